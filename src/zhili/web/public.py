"""Residents' pages, no account needed: report a problem, follow it by number, rate it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from zhili.cases import queries
from zhili.cases.categories.service import list_categories
from zhili.cases.feedback import service as feedback
from zhili.cases.models import Channel, Satisfaction
from zhili.cases.service import get_by_number
from zhili.core.errors import ValidationFailed, ZhiliError
from zhili.core.ratelimit import RateLimiter
from zhili.org.deps import GridCacheDep, SessionDep, SettingsDep
from zhili.web.deps import MaybeUser
from zhili.web.errors import describe, fail_back
from zhili.web.forms import FormDep, intake_data, photos_of, storage_of, take_in, text
from zhili.web.templating import flash, render

router = APIRouter()

SATISFACTION_ZH = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}


def _limiter(request: Request, per_hour: int) -> RateLimiter:
    limiter = getattr(request.app.state, "public_report_limiter", None)
    if not isinstance(limiter, RateLimiter) or limiter.limit != per_hour:
        limiter = RateLimiter(per_hour, 3600)
        request.app.state.public_report_limiter = limiter
    return limiter


def _report_page(
    request: Request, session: SessionDep, user: MaybeUser, form: dict[str, str], **kw: object
) -> Response:
    categories = [c for c in list_categories(session) if c.is_public and c.parent_id is None]
    return render(
        request,
        "public/report.html",
        {"form": form, "categories": categories},
        user=user,
        **kw,  # type: ignore[arg-type]
    )


@router.get("/public/report")
def report_form(request: Request, session: SessionDep, user: MaybeUser) -> Response:
    return _report_page(request, session, user, {})


@router.post("/public/report")
def report(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    cache: GridCacheDep,
    user: MaybeUser,
    form: FormDep,
) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    client = request.client.host if request.client else "unknown"
    if not _limiter(request, settings.public_reports_per_hour).allow(client):
        return _report_page(
            request,
            session,
            user,
            values,
            status_code=429,
            errors=["提交过于频繁，请一小时后再试；紧急情况请拨打 12345 或 110"],
        )
    try:
        data = intake_data(form, Channel.web)
        photos = photos_of(form, settings)
        actor = user if user is not None and user.role == "citizen" else None
        case = take_in(
            session,
            actor=actor or feedback.public_reporter(session),
            cache=cache,
            settings=settings,
            storage=storage_of(request),
            data=data,
            photos=photos,
        )
    except (ZhiliError, ValidationError) as exc:
        session.rollback()
        status = exc.status_code if isinstance(exc, ZhiliError) else 422
        return _report_page(
            request, session, user, values, status_code=status, errors=describe(exc)
        )
    flash(request, f"已收到您反映的问题，案件编号 {case.number}，请保存以便查询进度。")
    return RedirectResponse(f"/public/cases/{case.number}", status_code=303)


@router.get("/public/status")
def status_lookup(
    request: Request,
    user: MaybeUser,
    number: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    if number:
        return RedirectResponse(f"/public/cases/{number.strip().upper()}", status_code=303)
    return render(request, "public/status.html", {}, user=user)


@router.get("/public/cases/{number}")
def case_status(request: Request, session: SessionDep, user: MaybeUser, number: str) -> Response:
    view = queries.public_view(session, number=number)
    case = get_by_number(session, number)
    return render(
        request,
        "public/case.html",
        {
            "case": view,
            "can_rate": case.state == "closed" and not feedback.already_rated(case),
            "rated": SATISFACTION_ZH.get(case.satisfaction or "")
            if feedback.already_rated(case)
            else None,
            "satisfactions": SATISFACTION_ZH,
        },
        user=user,
    )


@router.post("/public/cases/{number}/rate")
def rate(
    request: Request, session: SessionDep, user: MaybeUser, number: str, form: FormDep
) -> Response:
    back = f"/public/cases/{number}"
    try:
        satisfaction = text(form.get("satisfaction"))
        if satisfaction not in SATISFACTION_ZH:
            raise ValidationFailed("satisfaction", "choose one", "请选择满意程度")
        resolved = text(form.get("resolved"))
        if resolved not in ("yes", "no"):
            raise ValidationFailed("resolved", "choose one", "请选择问题是否解决")
        actor = user if user is not None else feedback.public_reporter(session)
        feedback.rate(
            session,
            actor=actor,
            number=number,
            resolved=resolved == "yes",
            satisfaction=Satisfaction(satisfaction),
            comment=text(form.get("comment")),
        )
    except ZhiliError as exc:
        return fail_back(request, session, exc, back)
    flash(request, "感谢您的评价！")
    return RedirectResponse(back, status_code=303)
