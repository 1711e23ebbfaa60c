"""The centre's desk (综治中心): the queue with filters and warnings, bulk steps, intake."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from zhili.basedata.addresses.service import search_addresses
from zhili.cases import queries
from zhili.cases import service as cases_service
from zhili.cases.categories.service import list_categories
from zhili.cases.models import Channel
from zhili.cases.queries import CaseFilter
from zhili.cases.sla import WarningLevel
from zhili.cases.workflow import STATE_LABELS_ZH
from zhili.core.clock import utcnow
from zhili.core.errors import ValidationFailed, ZhiliError
from zhili.core.security import Permission, Role, role_allows
from zhili.org.access import scope_region
from zhili.org.deps import GridCacheDep, SessionDep, SettingsDep
from zhili.org.service import list_departments
from zhili.web.case_page import CHANNEL_ZH, URGENCY_ZH
from zhili.web.deps import WebUser, require_roles
from zhili.web.errors import describe, fail_back
from zhili.web.forms import FormDep, intake_data, photos_of, storage_of, take_in, text
from zhili.web.templating import flash, render

router = APIRouter()

QUEUE_ROLES = (Role.dispatcher, Role.operator, Role.leader, Role.evaluator)
INTAKE_ROLES = (Role.dispatcher, Role.operator)
OPEN_STATES = ["registered", "dispatched", "handling", "handled"]
STAFF_CHANNELS = {"hotline": "热线", "web": "网站", "app": "APP", "petition": "信访"}


def queue_filters(
    state: list[str] | None, warning: str | None, q: str | None, channel: str | None, days: int
) -> CaseFilter:
    created_from = utcnow() - timedelta(days=days) if days else None
    return CaseFilter(
        states=[s for s in (state or []) if s in STATE_LABELS_ZH],
        warning=WarningLevel(warning) if warning in ("red", "yellow", "normal") else None,
        q=q or None,
        channel=channel if channel in CHANNEL_ZH else None,
        created_from=created_from,
    )


def case_list_context(
    session: SessionDep, user: WebUser, filters: CaseFilter, cursor: str | None, limit: int = 50
) -> dict[str, Any]:
    items, next_cursor, _ = queries.list_cases(
        session, actor=user, filters=filters, limit=limit, cursor=cursor
    )
    return {"items": items, "next_cursor": next_cursor, "channels": CHANNEL_ZH}


@router.get("/work/queue")
def queue(
    request: Request,
    session: SessionDep,
    user: WebUser,
    state: Annotated[list[str] | None, Query()] = None,
    warning: str | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    channel: str | None = None,
    days: Annotated[int, Query(ge=0, le=3660)] = 0,
    cursor: str | None = None,
) -> Response:
    require_roles(user, QUEUE_ROLES)
    if state is None and warning is None and q is None and channel is None:
        state = ["received", "registered"]  # the desk's default: what waits for the centre
    filters = queue_filters(state, warning, q, channel, days)
    context = case_list_context(session, user, filters, cursor)
    scope = scope_region(session, user)
    context.update(
        {
            "states": STATE_LABELS_ZH,
            "chosen": {"state": state or [], "warning": warning, "q": q or "", "channel": channel},
            "can_bulk": role_allows(user.role, Permission.case_register),
            "departments": list_departments(session, region=scope) if scope else [],
            "query_string": str(request.url.query),
        }
    )
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "queue":
        return render(request, "work/_queue_table.html", context, user=user)
    return render(request, "work/queue.html", context, user=user)


@router.post("/work/queue/bulk")
def bulk(
    request: Request, session: SessionDep, settings: SettingsDep, user: WebUser, form: FormDep
) -> Response:
    """Bulk register or register-and-dispatch: all the chosen cases, or none of them."""
    back = "/work/queue" + (f"?{text(form.get('back_query'))}" if form.get("back_query") else "")
    op = text(form.get("op"))
    ids = [int(v) for v in form.getlist("case_id") if isinstance(v, str) and v.isdigit()]
    try:
        if not ids:
            raise ValidationFailed("case_id", "choose cases", "请先勾选案件")
        department_id = None
        if op == "dispatch":
            raw = text(form.get("department_id"))
            if raw is None or not raw.isdigit():
                raise ValidationFailed("department_id", "choose one", "批量派遣请选择部门")
            department_id = int(raw)
        elif op != "register":
            raise ValidationFailed("op", "unknown bulk step", "未知的批量操作")
        for case_id in ids:
            number = str(case_id)
            try:
                case = cases_service.get_case(session, case_id)
                number = case.number
                if case.state == "received":
                    cases_service.register(session, actor=user, case_id=case_id)
                if department_id is not None:
                    cases_service.dispatch(
                        session,
                        actor=user,
                        settings=settings,
                        case_id=case_id,
                        department_id=department_id,
                    )
            except ZhiliError as exc:
                exc.message_zh = f"案件 {number}：{exc.message_zh}"
                raise
    except ZhiliError as exc:
        return fail_back(request, session, exc, back)
    flash(request, f"已批量{'立案并派遣' if department_id else '立案'} {len(ids)} 件")
    return RedirectResponse(back, status_code=303)


def _intake_page(
    request: Request, session: SessionDep, user: WebUser, form: dict[str, str], **kw: Any
) -> Response:
    return render(
        request,
        "work/intake.html",
        {
            "form": form,
            "categories": list_categories(session),
            "channels": STAFF_CHANNELS,
            "urgencies": URGENCY_ZH,
            "can_answer": role_allows(user.role, Permission.case_answer),
            "address_search": role_allows(user.role, Permission.basedata_read),
        },
        user=user,
        **kw,
    )


@router.get("/work/intake")
def intake_form(request: Request, session: SessionDep, user: WebUser) -> Response:
    require_roles(user, INTAKE_ROLES)
    return _intake_page(request, session, user, {"channel": "hotline"})


@router.post("/work/intake")
def intake(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    cache: GridCacheDep,
    user: WebUser,
    form: FormDep,
) -> Response:
    require_roles(user, INTAKE_ROLES)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        channel = text(form.get("channel")) or "hotline"
        if channel not in STAFF_CHANNELS:
            raise ValidationFailed("channel", "unknown channel", "渠道不正确")
        case = take_in(
            session,
            actor=user,
            cache=cache,
            settings=settings,
            storage=storage_of(request),
            data=intake_data(form, Channel(channel)),
            photos=photos_of(form, settings),
        )
    except (ZhiliError, ValidationError) as exc:
        session.rollback()
        status = exc.status_code if isinstance(exc, ZhiliError) else 422
        return _intake_page(
            request, session, user, values, status_code=status, errors=describe(exc)
        )
    flash(request, f"已受理，案件编号 {case.number}")
    return RedirectResponse(f"/work/cases/{case.id}", status_code=303)


@router.get("/work/address-search")
def address_search(
    request: Request,
    session: SessionDep,
    user: WebUser,
    address: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """HTMX fragment: standard addresses (一标三实) matching the typed text, in the scope."""
    if not role_allows(user.role, Permission.basedata_read):
        return render(request, "work/_addresses.html", {"hits": []}, user=user)
    scope = scope_region(session, user)
    hits = (
        search_addresses(session, text=address, limit=8, region_path=scope.path if scope else None)
        if len(address.strip()) >= 2
        else []
    )
    return render(request, "work/_addresses.html", {"hits": [a for a, _ in hits]}, user=user)


@router.get("/work/leader")
def leader_home(request: Request, session: SessionDep, user: WebUser) -> Response:
    require_roles(user, (Role.leader,))
    context = case_list_context(
        session,
        user,
        CaseFilter(
            warning=WarningLevel.red,
            states=["registered", "dispatched", "handling", "handled", "received"],
        ),
        None,
        20,
    )
    return render(request, "work/leader.html", context, user=user)
