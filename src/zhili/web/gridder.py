"""The gridder's phone (网格员): report with photo and location in a few taps, verification
tasks, household visits (入户走访)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select

from zhili.basedata.addresses.models import Address
from zhili.basedata.housing.models import Dwelling, Household
from zhili.basedata.visits import service as visits
from zhili.basedata.visits.models import HouseholdVisit, VisitKind
from zhili.basedata.visits.schemas import VisitIn
from zhili.cases.categories.service import list_categories
from zhili.cases.models import Channel
from zhili.cases.queries import CaseFilter
from zhili.core.errors import ZhiliError
from zhili.core.security import Role
from zhili.org.access import scope_region
from zhili.org.deps import GridCacheDep, SessionDep, SettingsDep
from zhili.web.deps import WebUser, require_roles
from zhili.web.errors import describe, fail_back
from zhili.web.forms import FormDep, intake_data, integer, photos_of, storage_of, take_in, text
from zhili.web.queue import case_list_context
from zhili.web.templating import flash, render

router = APIRouter()

VISIT_KIND_ZH = {
    "routine": "日常走访",
    "verification": "信息核实",
    "special_group": "特殊人群帮扶",
    "dispute": "矛盾排查",
    "policy": "政策宣传",
    "service": "民生服务",
}


@router.get("/m")
def home(request: Request, session: SessionDep, user: WebUser) -> Response:
    require_roles(user, (Role.gridder,))
    verify = case_list_context(session, user, CaseFilter(states=["handled"]), None, 30)
    mine = case_list_context(
        session,
        user,
        CaseFilter(states=["dispatched", "handling"], handler_region_id=user.region_id),
        None,
        30,
    )
    return render(
        request,
        "m/home.html",
        {"verify": verify["items"], "mine": mine["items"], "channels": verify["channels"]},
        user=user,
    )


def _report_page(
    request: Request, session: SessionDep, user: WebUser, form: dict[str, str], **kw: Any
) -> Response:
    categories = list_categories(session)
    return render(
        request, "m/report.html", {"form": form, "categories": categories}, user=user, **kw
    )


@router.get("/m/report")
def report_form(request: Request, session: SessionDep, user: WebUser) -> Response:
    require_roles(user, (Role.gridder,))
    return _report_page(request, session, user, {})


@router.post("/m/report")
def report(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    cache: GridCacheDep,
    user: WebUser,
    form: FormDep,
) -> Response:
    require_roles(user, (Role.gridder,))
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        data = intake_data(form, Channel.gridder)
        if data.lon is None and data.region_id is None:
            # No point given (location refused): the gridder's own grid is the place.
            data = data.model_copy(update={"region_id": user.region_id})
        case = take_in(
            session,
            actor=user,
            cache=cache,
            settings=settings,
            storage=storage_of(request),
            data=data,
            photos=photos_of(form, settings),
        )
    except (ZhiliError, ValidationError) as exc:
        session.rollback()
        status = exc.status_code if isinstance(exc, ZhiliError) else 422
        return _report_page(
            request, session, user, values, status_code=status, errors=describe(exc)
        )
    flash(request, f"已上报，案件编号 {case.number}")
    return RedirectResponse("/m", status_code=303)


@router.get("/m/visits")
def visit_list(request: Request, session: SessionDep, user: WebUser) -> Response:
    require_roles(user, (Role.gridder, Role.community))
    scope = scope_region(session, user)
    last = (
        select(HouseholdVisit.household_id, func.max(HouseholdVisit.visited_at).label("last"))
        .group_by(HouseholdVisit.household_id)
        .subquery()
    )
    rows = (
        session.execute(
            select(Household, Address.full_text, last.c.last)
            .join(Dwelling, Dwelling.id == Household.dwelling_id)
            .join(Address, Address.id == Dwelling.address_id)
            .outerjoin(last, last.c.household_id == Household.id)
            .where(Household.region_path.startswith(scope.path if scope else "/nowhere/"))
            .order_by(last.c.last.is_not(None), last.c.last, Household.id)
            .limit(50)
        ).all()
        if scope
        else []
    )
    return render(request, "m/visits.html", {"rows": rows, "kinds": VISIT_KIND_ZH}, user=user)


@router.post("/m/visits")
def log_visit(
    request: Request, session: SessionDep, cache: GridCacheDep, user: WebUser, form: FormDep
) -> Response:
    try:
        kind = text(form.get("kind")) or "routine"
        data = VisitIn(
            household_id=integer(form.get("household_id"), "household_id") or 0,
            kind=VisitKind(kind) if kind in VISIT_KIND_ZH else VisitKind.routine,
            findings=text(form.get("findings")),
        )
        visits.log_visit(session, actor=user, cache=cache, data=data)
    except (ZhiliError, ValidationError) as exc:
        return fail_back(request, session, exc, "/m/visits")
    flash(request, "走访已记录")
    return RedirectResponse("/m/visits", status_code=303)
