"""Open311 writes: clients and their keys, service requests, client updates. Never commits.

A request becomes an ordinary zhili case through ``cases.service.intake``, acting as the
client's service user (role operator, scoped to the city) on the client's channel; the
GeoReport specifics and the reporter's contact stay in ``open311_request`` beside it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases import service as cases
from zhili.cases.history import notify
from zhili.cases.models import Case, Channel
from zhili.cases.schemas import CaseIntake
from zhili.core import audit
from zhili.core.clock import utcnow
from zhili.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from zhili.core.security import Role, token_digest
from zhili.open311 import attributes as attrs
from zhili.open311 import queries
from zhili.open311 import status as st
from zhili.open311.forms import Fields, first, read_request, read_update
from zhili.open311.models import Open311Client, Open311Request, Open311Update, RequestType
from zhili.open311.params import invalid
from zhili.org.geo import GridIndexCache
from zhili.org.users import service as users_service
from zhili.org.users.models import User

KEY_PREFIX = "o311_"  # lets secret scanners recognise a leaked Open311 key
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,47}$")
CLIENT_AUDIT_FIELDS = ("name", "channel", "request_type", "user_id", "is_active")


def _require_admin(actor: User | None) -> None:
    if actor is not None and actor.role != Role.admin:
        raise Forbidden(
            "only administrators manage Open311 clients", "只有系统管理员可以管理Open311客户端"
        )


def create_client(
    session: Session,
    *,
    actor: User | None,
    name: str,
    channel: Channel,
    request_type: RequestType = RequestType.realtime,
) -> tuple[Open311Client, str]:
    """Register a client with its service user; returns it and its API key (shown only once).

    ``actor=None`` is the console (``zhili open311 client create``).
    """
    _require_admin(actor)
    if not _NAME.match(name):
        raise ValidationFailed(
            "name", "2–48 lower-case letters, digits, - or _", "名称须为2–48位小写字母、数字、-或_"
        )
    if channel == Channel.petition:
        raise ValidationFailed(
            "channel", "petitions (信访) have their own procedure", "信访不经Open311受理"
        )
    if session.scalar(select(Open311Client.id).where(Open311Client.name == name)):
        raise Conflict(f"client {name} exists", f"客户端 {name} 已存在")
    root = queries.city(session)
    if root is None:
        raise ValidationFailed("city", "create the city first", "请先建立本市区划")
    user = users_service.create_user(
        session,
        actor=actor,
        username=f"open311.{name}",
        full_name=f"Open311·{name}"[:64],
        role=Role.operator,
        region_id=root.id,
    )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client = Open311Client(
        name=name,
        channel=channel.value,
        request_type=request_type.value,
        key_digest=token_digest(key),
        user_id=user.id,
        is_active=True,
    )
    session.add(client)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="open311.client.create",
        entity_type="open311_client",
        entity_id=client.id,
        after=audit.snapshot(client, CLIENT_AUDIT_FIELDS),
    )
    return client, key


def revoke_client(session: Session, *, actor: User | None, name: str) -> Open311Client:
    """Stop a client's key at once. Its service user has no password or token, so with the
    key gone nothing can act as it; the account stays so the case history keeps its name."""
    _require_admin(actor)
    client = session.scalar(select(Open311Client).where(Open311Client.name == name))
    if client is None:
        raise NotFound("open311_client", name)
    if not client.is_active:
        raise Conflict(
            f"client {name} is revoked already", "该客户端已停用", current_state="revoked"
        )
    before = audit.snapshot(client, CLIENT_AUDIT_FIELDS)
    client.is_active = False
    client.revoked_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="open311.client.revoke",
        entity_type="open311_client",
        entity_id=client.id,
        before=before,
        after=audit.snapshot(client, CLIENT_AUDIT_FIELDS),
    )
    return client


def list_clients(session: Session) -> Sequence[Open311Client]:
    return session.scalars(select(Open311Client).order_by(Open311Client.name)).all()


def authenticate(session: Session, api_key: str | None) -> tuple[Open311Client, User]:
    """The active client holding ``api_key`` and the user it acts as, or 403."""
    row = (
        session.execute(
            select(Open311Client, User)
            .join(User, User.id == Open311Client.user_id)
            .where(Open311Client.key_digest == token_digest(api_key))
        ).first()
        if api_key
        else None
    )
    if row is None or not row.Open311Client.is_active or not row.User.is_active:
        raise Forbidden("invalid api_key", "api_key 无效或已停用")
    client, user = row.Open311Client, row.User
    return client, user


def _case_text(category_name: str, description: str | None, lines: list[str]) -> tuple[str, str]:
    """A title the queues show and a description with the answers for the dispatcher."""
    snippet = (description or "").strip().splitlines()[0][:60] if description else ""
    title = f"{category_name}：{snippet}" if snippet else f"{category_name}（Open311）"
    # zhili wants a description of at least two characters; the service name fills in
    text = description if description and len(description) >= 2 else category_name
    body = "\n".join([text, *lines])
    return title[:200], body[:5000]


def submit_request(
    session: Session,
    *,
    actor: User,
    client: Open311Client,
    cache: GridIndexCache,
    fields: Fields,
    idempotency_key: str | None = None,
) -> tuple[Open311Request, Case]:
    """POST Service Request: check the form against the service, then take the case in.

    With an ``Idempotency-Key`` a client's retry returns the first answer, never a second
    case (keys are per client).
    """
    code = first(fields, "service_code")
    if code is None:
        raise invalid("service_code", "service_code was not provided", "缺少参数 service_code")
    category = queries.find_service(session, code)
    definition = queries.attributes_of(category)
    form = read_request(fields, definition)
    title, body = _case_text(
        category.name, form.description, attrs.summary(definition, form.attributes)
    )
    try:
        data = CaseIntake(
            channel=Channel(client.channel),
            title=title,
            description=body,
            category_id=category.id,
            lon=form.lon,
            lat=form.lat,
            address=form.address,
            reporter_name=form.reporter_name,
            reporter_phone=form.reporter_phone,
        )
    except ValidationError as exc:  # the form checks above should leave nothing for this
        first_error = exc.errors()[0]
        raise invalid(
            str(first_error["loc"][-1] if first_error["loc"] else "request"),
            first_error["msg"],
            "请求内容不合法",
        ) from exc
    key = f"open311:{client.id}:{idempotency_key[:100]}" if idempotency_key else None
    case, replayed = cases.intake(session, actor=actor, cache=cache, data=data, idempotency_key=key)
    if replayed:
        existing = session.scalar(select(Open311Request).where(Open311Request.case_id == case.id))
        if existing is not None:
            return existing, case
    row = Open311Request(
        case_id=case.id,
        client_id=client.id,
        service_code=category.code,
        attributes=form.attributes,
        description=form.description,
        media_url=form.media_url,
        token=secrets.token_urlsafe(24) if client.request_type == RequestType.batch else None,
        email=form.email,
        device_id=form.device_id,
        account_id=form.account_id,
        first_name=form.first_name,
        last_name=form.last_name,
        phone=form.phone,
    )
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action="open311.request.create",
        entity_type="case",
        entity_id=case.id,
        # ids and codes only: the reporter's contact is not copied into the log
        after={
            "client": client.name,
            "service_code": category.code,
            "attributes": sorted(form.attributes),
        },
    )
    return row, case


def post_update(
    session: Session, *, actor: User, client: Open311Client, fields: Fields
) -> Open311Update:
    """A client's comment on a request (FixMyStreet's POST servicerequestupdates).

    The case does not move: closing needs the on-site check and reopening the return visit.
    The unit holding the case (or the district centre) is told, with what the client claims.
    """
    form = read_update(fields)
    case = cases.get_by_number(session, form.service_request_id)
    queries.get_request(session, case.number)  # 404 unless Open311 shows the case
    if form.external_id is not None:
        existing = session.scalar(
            select(Open311Update).where(
                Open311Update.client_id == client.id,
                Open311Update.external_id == form.external_id,
            )
        )
        if existing is not None:
            return existing
    row = Open311Update(
        client_id=client.id,
        case_id=case.id,
        external_id=form.external_id,
        status=form.status,
        description=form.description,
        media_url=form.media_url,
        updated_at=form.updated_at,
        email=form.email,
        first_name=form.first_name,
        last_name=form.last_name,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="open311.update.create",
        entity_type="case",
        entity_id=case.id,
        after={"client": client.name, "status": form.status, "update_id": form.external_id},
    )
    says_closed = form.status in st.CLOSED_CLIENT_STATUSES
    hint = ""
    if says_closed and st.request_status(case.state) == "open":
        hint = "群众反映问题已解决，请核实。"
    elif not says_closed and st.request_status(case.state) == "closed":
        hint = "群众反映问题仍未解决，请回访研判是否重办。"
    notify(
        session,
        case,
        kind="open311_update",
        department_id=case.handler_department_id,
        region_id=case.handler_region_id
        or (None if case.handler_department_id else case.district_id),
        message=(
            f"案件 {case.number} 收到群众补充（{client.name}，{form.status}）："
            f"{hint}{form.description[:300]}"
        ),
    )
    return row
