"""Workbenches of the units that handle cases: department inbox (部门待办), street and
community area (属地), and the street's ratings of summoned departments (一案一评)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from zhili.assessment import service as assessment
from zhili.assessment.models import WhistleRating
from zhili.cases.models import Case
from zhili.cases.queries import CaseFilter
from zhili.cases.whistles.models import Whistle, WhistleState, WhistleSummons
from zhili.core.errors import ZhiliError
from zhili.core.security import Role
from zhili.org.deps import SessionDep
from zhili.org.models import Department
from zhili.web.case_page import SUMMONS_STATE_ZH, WHISTLE_TYPE_ZH
from zhili.web.deps import WebUser, require_roles
from zhili.web.errors import fail_back
from zhili.web.forms import FormDep, integer, text
from zhili.web.queue import case_list_context
from zhili.web.templating import flash, render

router = APIRouter()

OPEN_STATES = ["registered", "dispatched", "handling", "handled"]


@router.get("/work/inbox")
def inbox(request: Request, session: SessionDep, user: WebUser) -> Response:
    """Whistles waiting for this department to report in (with countdown), and its cases."""
    require_roles(user, (Role.department,))
    summons = session.execute(
        select(WhistleSummons, Whistle, Case)
        .join(Whistle, Whistle.id == WhistleSummons.whistle_id)
        .join(Case, Case.id == Whistle.case_id)
        .where(
            WhistleSummons.department_id == user.department_id,
            Whistle.state == WhistleState.open.value,
            WhistleSummons.state.in_(["summoned", "reported"]),
        )
        .order_by(WhistleSummons.report_due_at)
    ).all()
    context = case_list_context(
        session,
        user,
        CaseFilter(states=["dispatched", "handling"], department_id=user.department_id),
        None,
    )
    context.update(
        {
            "summons": summons,
            "whistle_types": WHISTLE_TYPE_ZH,
            "summons_states": SUMMONS_STATE_ZH,
        }
    )
    return render(request, "work/inbox.html", context, user=user)


@router.get("/work/area")
def area(request: Request, session: SessionDep, user: WebUser, tab: str = "todo") -> Response:
    """Street and community: cases in the area; the unit's own ones first."""
    require_roles(user, (Role.street, Role.community))
    filters = {
        "todo": CaseFilter(states=["dispatched", "handling"], handler_region_id=user.region_id),
        "verify": CaseFilter(states=["handled"]),
        "all": CaseFilter(states=OPEN_STATES),
    }.get(tab) or CaseFilter(states=OPEN_STATES)
    context: dict[str, Any] = case_list_context(session, user, filters, None)
    context["tab"] = tab
    return render(request, "work/area.html", context, user=user)


@router.get("/work/ratings")
def ratings(request: Request, session: SessionDep, user: WebUser) -> Response:
    """Key whistles this street blew that have completed: rate each summoned department."""
    require_roles(user, (Role.street,))
    rows = session.execute(
        select(WhistleSummons, Whistle, Case, Department)
        .join(Whistle, Whistle.id == WhistleSummons.whistle_id)
        .join(Case, Case.id == Whistle.case_id)
        .join(Department, Department.id == WhistleSummons.department_id)
        .where(
            Whistle.blown_by_region_id == user.region_id,
            Whistle.state == WhistleState.completed.value,
            Whistle.type.in_(["tackling", "emergency"]),
        )
        .order_by(Whistle.completed_at.desc())
        .limit(100)
    ).all()
    rated = {
        (r.whistle_id, r.department_id): r
        for r in session.scalars(
            select(WhistleRating).where(
                WhistleRating.whistle_id.in_({w.id for _, w, _, _ in rows} or {0})
            )
        )
    }
    return render(
        request,
        "work/ratings.html",
        {"rows": rows, "rated": rated, "whistle_types": WHISTLE_TYPE_ZH},
        user=user,
    )


@router.post("/work/ratings")
def rate(request: Request, session: SessionDep, user: WebUser, form: FormDep) -> Response:
    try:
        assessment.rate_department(
            session,
            actor=user,
            whistle_id=integer(form.get("whistle_id"), "whistle_id") or 0,
            department_id=integer(form.get("department_id"), "department_id") or 0,
            report_in=integer(form.get("report_in"), "report_in") or 0,
            result=integer(form.get("result"), "result") or 0,
            attitude=integer(form.get("attitude"), "attitude") or 0,
            comment=text(form.get("comment")),
        )
    except ZhiliError as exc:
        return fail_back(request, session, exc, "/work/ratings")
    flash(request, "评价已保存")
    return RedirectResponse("/work/ratings", status_code=303)
