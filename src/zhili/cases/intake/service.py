"""受理 (intake): a report from any channel becomes a case. Services never commit.

``intake`` takes one report (one user action, one transaction). ``intake_many`` takes a feed's
batch — the 12345 platform syncing its calls, a sensor network's alarms — in one transaction:
every report is checked (role, idempotency key, category, place) before anything is written,
so one bad report refuses the whole batch with an error naming it, and nothing is
half-received. Both write the same rows: the case, its first event, its caller and its audit
row (a test compares them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from zhili.cases.categories.models import Category
from zhili.cases.history import CASE_AUDIT_FIELDS
from zhili.cases.intake.rows import (
    CASE_TABLE,
    case_values,
    first_rows,
    request_hash,
    table_of,
)
from zhili.cases.intake.schemas import BatchItem, Received
from zhili.cases.models import Case, CaseCaller, CaseEvent, Channel
from zhili.cases.places import AddressResolver
from zhili.cases.schemas import CaseIntake
from zhili.cases.workflow import Action
from zhili.core import audit
from zhili.core.clock import utcnow
from zhili.core.errors import Conflict, Forbidden, ValidationFailed
from zhili.core.security import Permission, Role
from zhili.org.access import authorize
from zhili.org.geo import NO_GRID, GridIndexCache
from zhili.org.service import get_region, grid_index
from zhili.org.users.models import User

# Channels a resident may use themselves; staff channels need staff roles.
_CITIZEN_CHANNELS = {Channel.app, Channel.web}
# A case row carries its place chain; every row names all four (batched INSERTs need the
# same columns in every row).
_PLACE_IDS = ("district_id", "street_id", "community_id", "grid_id")


# Prebuilt statements: intake is the busiest write path, and building a statement costs
# more CPU than running it from the compiled cache.
_INSERT_CASES = insert(CASE_TABLE).returning(CASE_TABLE.c.id, sort_by_parameter_order=True)
_INSERT_EVENT = insert(table_of(CaseEvent))
_INSERT_CALLER = insert(table_of(CaseCaller))
_INSERT_AUDIT = insert(table_of(audit.AuditLog))
_BY_IDEMPOTENCY_KEY = select(Case.id).where(Case.idempotency_key == bindparam("key"))


def _check_role(actor: User, data: CaseIntake, where: str) -> None:
    if actor.role == Role.citizen and data.channel not in _CITIZEN_CHANNELS:
        raise Forbidden(
            f"{where}residents report through app or web", f"{where}群众只能通过APP或网站反映问题"
        )
    if data.answer and actor.role not in (Role.operator, Role.dispatcher, Role.admin):
        raise Forbidden(
            f"{where}only operators answer on the spot", f"{where}只有话务员或调度员可以直接办结"
        )
    if data.resolved_on_spot and actor.role not in (Role.gridder, Role.admin):
        raise Forbidden(
            f"{where}only gridders resolve on the spot", f"{where}只有网格员可以自行处置"
        )


def _locate(
    session: Session,
    *,
    data: CaseIntake,
    grid_path: str | None,
    resolve_address: AddressResolver | None,
    field: str = "",
) -> dict[str, object]:
    """The place columns of a case: from the grid a point fell in (``grid_path``, found by the
    caller), the standard address or the named area, up to grid, community, street and
    district (and, for an address, the point and standard spelling stored)."""
    path: str | None = None
    found: dict[str, object] = {"lon": data.lon, "lat": data.lat, "address": data.address}
    if data.standard_address:
        place = resolve_address(session, data.standard_address) if resolve_address else None
        if place is None:
            raise ValidationFailed(
                f"{field}standard_address",
                "no standard address matches this text",
                "未找到匹配的标准地址，请核对地址或在地图上选点",
            )
        path = get_region(session, place.grid_id).path
        found = {"lon": place.lon, "lat": place.lat, "address": data.address or place.text}
    elif data.lon is not None and data.lat is not None:
        if grid_path is None:
            raise ValidationFailed(
                f"{field}lon",
                "the point lies in no grid of this city",
                "该位置不在本市任何网格内，请核对位置",
            )
        path = grid_path
    elif data.region_id is not None:
        path = get_region(session, data.region_id).path
    if path is None:
        return found | dict.fromkeys(_PLACE_IDS) | {"region_path": None}
    ids = [int(x) for x in path.strip("/").split("/")]
    # path = /city/district/street/community/grid/: position tells the level
    located: dict[str, object] = {
        name: ids[i + 1] if i + 1 < len(ids) else None for i, name in enumerate(_PLACE_IDS)
    }
    return found | located | {"region_path": path}


def _grid_paths(
    session: Session, cache: GridIndexCache, items: Sequence[CaseIntake]
) -> list[str | None]:
    """The grid path of every item's point in one vectorised look-up (None: no point, or a
    point outside every grid)."""
    with_point = [
        i
        for i, d in enumerate(items)
        if d.lon is not None and d.lat is not None and not d.standard_address
    ]
    paths: list[str | None] = [None] * len(items)
    if not with_point:
        return paths
    index = grid_index(session, cache=cache)
    lons = [float(items[i].lon or 0.0) for i in with_point]  # not None: filtered above
    lats = [float(items[i].lat or 0.0) for i in with_point]
    ids = index.locate_region_ids(lons, lats)
    for i, grid_id in zip(with_point, ids, strict=True):
        if int(grid_id) != NO_GRID:
            paths[i] = index.paths[int(grid_id)]
    return paths


def _known_category(session: Session, category_id: int | None, field: str) -> None:
    if category_id is not None and session.get(Category, category_id) is None:
        raise ValidationFailed(field, "unknown category", "案件类别不存在")


def intake(
    session: Session,
    *,
    actor: User,
    cache: GridIndexCache,
    data: CaseIntake,
    idempotency_key: str | None = None,
    resolve_address: AddressResolver | None = None,
) -> tuple[Case, bool]:
    """Receive a case from a channel. Returns (case, replayed).

    With an idempotency key, a retry of the same request returns the case made the first
    time (replayed=True) and never a second case; the same key with a different request is
    a conflict.
    """
    authorize(session, actor=actor, permission=Permission.case_intake)
    _check_role(actor, data, "")
    digest = request_hash(data)
    key = f"{actor.id}:{idempotency_key}" if idempotency_key else None
    if key:
        # A key belongs to the account that sent it: another client's key never matches.
        existing_id = session.scalar(_BY_IDEMPOTENCY_KEY, {"key": key})
        if existing_id is not None:
            existing = session.get_one(Case, existing_id)
            if existing.request_hash != digest:
                raise Conflict(
                    "Idempotency-Key reused for a different request",
                    "幂等键已用于另一请求",
                    current_state=existing.state,
                )
            return existing, True
    _known_category(session, data.category_id, "category_id")
    place = _locate(
        session,
        data=data,
        grid_path=_grid_paths(session, cache, [data])[0],
        resolve_address=resolve_address,
    )
    action, values = case_values(
        actor=actor, data=data, place=place, key=key, digest=digest, now=utcnow()
    )
    case = Case(**values)
    session.add(case)
    session.flush()  # the only flush: the case's id for the rows below
    # The first event, the caller and the audit row are plain Core INSERTs on the session's
    # connection (no unit of work).
    # the audit snapshot is read off the flushed case (the batch path computes the same one
    # from the column defaults; a test holds the two equal)
    snapshot = audit.snapshot(case, CASE_AUDIT_FIELDS)
    event, caller, row = first_rows(
        case.id, values, action=action, actor=actor, data=data, after=snapshot
    )
    conn = session.connection()
    conn.execute(_INSERT_EVENT, event)
    conn.execute(_INSERT_CALLER, caller)
    conn.execute(_INSERT_AUDIT, row)
    return case, False


def intake_many(
    session: Session,
    *,
    actor: User,
    cache: GridIndexCache,
    items: Sequence[BatchItem],
    resolve_address: AddressResolver | None = None,
) -> list[Received]:
    """Receive a feed's batch in one transaction; returns one result per item, in order.

    Items whose idempotency key was seen before are replayed (the case made then), never
    made twice; a key reused for a different report is a conflict naming the item. Errors
    name the item (``items.3.lon``) and leave nothing written.
    """
    authorize(session, actor=actor, permission=Permission.case_intake)
    for i, item in enumerate(items):
        _check_role(actor, item, f"items[{i}]: ")
    digests = [request_hash(item) for item in items]
    keys = [f"{actor.id}:{it.idempotency_key}" if it.idempotency_key else None for it in items]
    wanted_keys = {k for k in keys if k}
    seen = (
        {
            r.idempotency_key: r
            for r in session.execute(
                select(
                    Case.id, Case.number, Case.state, Case.request_hash, Case.idempotency_key
                ).where(Case.idempotency_key.in_(wanted_keys))
            )
        }
        if wanted_keys
        else {}
    )
    results: dict[int, Received] = {}
    fresh: list[int] = []
    for i, key in enumerate(keys):
        hit = seen.get(key) if key else None
        if hit is None:
            fresh.append(i)
            continue
        if hit.request_hash != digests[i]:
            raise Conflict(
                f"items[{i}]: Idempotency-Key reused for a different request",
                f"第 {i + 1} 条：幂等键已用于另一请求",
                current_state=hit.state,
            )
        results[i] = Received(index=i, id=hit.id, number=hit.number, state=hit.state, replayed=True)
    categories = {items[i].category_id for i in fresh if items[i].category_id is not None}
    known = (
        set(session.scalars(select(Category.id).where(Category.id.in_(categories))))
        if categories
        else set()
    )
    for i in fresh:
        if items[i].category_id is not None and items[i].category_id not in known:
            raise ValidationFailed(
                f"items.{i}.category_id", "unknown category", f"第 {i + 1} 条：案件类别不存在"
            )
    paths = _grid_paths(session, cache, [items[i] for i in fresh])
    now = utcnow()
    made: list[tuple[int, Action, dict[str, Any]]] = []
    for i, path in zip(fresh, paths, strict=True):
        place = _locate(
            session,
            data=items[i],
            grid_path=path,
            resolve_address=resolve_address,
            field=f"items.{i}.",
        )
        action, values = case_values(
            actor=actor, data=items[i], place=place, key=keys[i], digest=digests[i], now=now
        )
        made.append((i, action, values))
    if made:
        conn = session.connection()
        ids = conn.execute(_INSERT_CASES, [v for _, _, v in made]).scalars().all()
        rows = [
            first_rows(case_id, v, action=a, actor=actor, data=items[i])
            for case_id, (i, a, v) in zip(ids, made, strict=True)
        ]
        conn.execute(_INSERT_EVENT, [r[0] for r in rows])
        conn.execute(_INSERT_CALLER, [r[1] for r in rows])
        conn.execute(_INSERT_AUDIT, [r[2] for r in rows])
        for case_id, (i, _, v) in zip(ids, made, strict=True):
            results[i] = Received(
                index=i, id=case_id, number=v["number"], state=v["state"], replayed=False
            )
    return [results[i] for i in range(len(items))]
