"""One case for staff: details, full timeline, whistles, and only the actions the viewer may
take in its current state. Each action posts to the service that owns it; a refusal (403,
409, 422) comes back as a Chinese message on the same page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases import queries
from zhili.cases import service as cases_service
from zhili.cases.categories.service import list_categories
from zhili.cases.feedback.service import already_rated
from zhili.cases.handling import service as handling
from zhili.cases.models import Attachment, Case, CaseState, Satisfaction
from zhili.cases.routes import attachment_response
from zhili.cases.schemas import DispatchIn, WhistleIn
from zhili.cases.scope import is_handler
from zhili.cases.supervision import service as supervision
from zhili.cases.whistles import service as whistles
from zhili.cases.whistles.models import SummonsRole, SummonsState, WhistleType
from zhili.cases.workflow import ACTION_LABELS_ZH, Action, allowed_actions
from zhili.core.config import Settings
from zhili.core.errors import ValidationFailed, ZhiliError
from zhili.core.security import Permission, Role, role_allows
from zhili.org.access import scope_region
from zhili.org.deps import SessionDep, SettingsDep
from zhili.org.models import Department, Region
from zhili.org.service import list_departments
from zhili.org.users.models import User
from zhili.web.deps import WebUser
from zhili.web.errors import fail_back
from zhili.web.forms import FormDep, integer, photos_of, storage_of, text
from zhili.web.templating import flash, render

router = APIRouter()

A = Action
# Which permission shows which button (the service checks again, with scope and state).
ACTION_PERMISSION: dict[Action, Permission] = {
    A.register: Permission.case_register,
    A.reject: Permission.case_register,
    A.merge: Permission.case_register,
    A.dispatch: Permission.case_register,
    A.approve_extension: Permission.case_register,
    A.refuse_extension: Permission.case_register,
    A.answer: Permission.case_answer,
    A.accept: Permission.case_handle,
    A.return_: Permission.case_handle,
    A.escalate: Permission.case_handle,
    A.request_extension: Permission.case_handle,
    A.submit_result: Permission.case_handle,
    A.whistle: Permission.case_whistle,
    A.verify_pass: Permission.case_verify,
    A.visit: Permission.case_visit,
    A.supervise: Permission.case_supervise,
}
_HANDLER_ACTIONS = {A.accept, A.return_, A.escalate, A.request_extension, A.submit_result}
WHISTLE_TYPE_ZH = {"daily": "日常哨", "tackling": "攻坚哨", "emergency": "应急哨"}
SUMMONS_STATE_ZH = {"summoned": "待报到", "reported": "已报到", "done": "已办结"}
URGENCY_ZH = {"normal": "一般", "urgent": "紧急", "emergency": "特急"}
CHANNEL_ZH = {
    "hotline": "热线",
    "gridder": "网格员",
    "app": "APP",
    "web": "网站",
    "petition": "信访",
    "department": "部门",
    "sensor": "感知设备",
}


def actions_for(user: User, case: Case) -> list[Action]:
    """The buttons to show: legal in the state, granted to the role, and the unit's own."""
    out = []
    for action in allowed_actions(CaseState(case.state)):
        permission = ACTION_PERMISSION.get(action)
        if permission is None or not role_allows(user.role, permission):
            continue
        if action in _HANDLER_ACTIONS and not is_handler(user, case):
            continue
        if action == A.request_extension and case.extension_requested:
            continue
        if action in (A.approve_extension, A.refuse_extension) and not case.extension_requested:
            continue
        if action == A.escalate and case.handler_region_id is None:
            continue
        if action == A.whistle and user.role == Role.street and not is_handler(user, case):
            continue
        if action == A.verify_pass and user.role not in (Role.gridder, Role.community, Role.street):
            continue
        if action == A.visit and already_rated(case):
            continue
        out.append(action)
    return out


def _dispatch_targets(session: Session, user: User, case: Case) -> dict[str, Any]:
    # Departments of the case's district and of the city above it (市、区两级部门).
    place = {int(x) for x in (case.region_path or "").strip("/").split("/") if x}
    scope = scope_region(session, user)
    departments = [
        d
        for d in list_departments(session)
        if d.is_active
        and (d.region_id in place or (not place and scope and d.region_id == scope.id))
    ]
    unit_ids = [i for i in (case.street_id, case.community_id, case.grid_id) if i]
    units = session.scalars(select(Region).where(Region.id.in_(unit_ids))).all() if unit_ids else []
    return {"departments": departments, "units": sorted(units, key=lambda r: r.path)}


@router.get("/work/cases/{case_id}")
def case_page(request: Request, session: SessionDep, user: WebUser, case_id: int) -> Response:
    detail = queries.detail(session, actor=user, case_id=case_id)
    case = cases_service.get_case(session, case_id)
    parts = whistles.whistles_of(session, case_id)
    dept_names = {
        d.id: d.name
        for d in session.scalars(
            select(Department).where(
                Department.id.in_(
                    {s.department_id for _, ss in parts for s in ss}
                    | ({case.handler_department_id} if case.handler_department_id else set())
                )
            )
        )
    }
    handler_unit = session.get(Region, case.handler_region_id) if case.handler_region_id else None
    attachments = session.scalars(
        select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.id)
    ).all()
    actions = actions_for(user, case)
    if any(w.state == "open" for w, _ in parts):
        # one whistle at a time, and no return while departments are summoned
        actions = [a for a in actions if a not in (A.whistle, A.return_)]
    context: dict[str, Any] = {
        "case": detail,
        "actions": [a.value for a in actions],
        "action_labels": {a.value: label for a, label in ACTION_LABELS_ZH.items()},
        "whistles": parts,
        "dept_names": dept_names,
        "handler_unit": handler_unit,
        "attachments": attachments,
        "my_department": user.department_id,
        "whistle_types": WHISTLE_TYPE_ZH,
        "summons_states": SUMMONS_STATE_ZH,
        "urgencies": URGENCY_ZH,
        "channels": CHANNEL_ZH,
        "categories": list_categories(session) if A.register in actions else [],
        "can_attach": role_allows(user.role, Permission.case_handle) and is_handler(user, case),
    }
    if A.dispatch in actions or A.whistle in actions:
        context.update(_dispatch_targets(session, user, case))
    return render(request, "work/case.html", context, user=user)


def _run(
    session: Session, user: User, settings: Settings, case_id: int, action: str, form: FormDep
) -> str:
    """Call the service behind ``action``; returns the success message."""
    version = integer(form.get("version"), "version")
    note = text(form.get("note"))
    reason = text(form.get("reason")) or ""
    common: dict[str, Any] = {"actor": user, "case_id": case_id, "version": version}
    calls: dict[str, Callable[[], object]] = {
        "register": lambda: cases_service.register(
            session,
            **common,
            category_id=integer(form.get("category_id"), "category_id"),
            urgency=text(form.get("urgency")),
            note=note,
        ),
        "reject": lambda: cases_service.reject(session, **common, reason=_long(reason, "reason")),
        "answer": lambda: cases_service.answer(session, **common, reason=_long(reason, "reason")),
        "merge": lambda: cases_service.merge(
            session, **common, into_case_id=_merge_target(session, form), note=note
        ),
        "dispatch": lambda: _dispatch(session, settings, common, form, note),
        "accept": lambda: handling.accept(session, **common, note=note),
        "return": lambda: handling.return_case(
            session, **common, settings=settings, reason=_long(reason, "reason")
        ),
        "escalate": lambda: handling.escalate(session, **common, reason=_long(reason, "reason")),
        "request_extension": lambda: handling.request_extension(
            session,
            **common,
            days=integer(form.get("days"), "days") or 0,
            reason=_long(reason, "reason"),
        ),
        "approve_extension": lambda: handling.decide_extension(
            session, **common, settings=settings, approve=True, note=note
        ),
        "refuse_extension": lambda: handling.decide_extension(
            session, **common, settings=settings, approve=False, note=note
        ),
        "whistle": lambda: _whistle(session, settings, common, form),
        "submit_result": lambda: handling.submit_result(
            session, **common, settings=settings, result=_long(text(form.get("result")), "result")
        ),
        "verify": lambda: handling.verify(
            session, **common, settings=settings, passed=form.get("passed") == "yes", note=note
        ),
        "visit": lambda: handling.visit(
            session,
            **common,
            settings=settings,
            resolved=form.get("resolved") == "yes",
            satisfaction=_satisfaction(form),
            reopen=form.get("reopen") == "on",
            note=note,
        ),
        "supervise": lambda: supervision.supervise(
            session, **common, note=_long(text(form.get("note")), "note")
        ),
    }
    if action not in calls:
        raise ValidationFailed("action", f"unknown action {action}", "未知操作")
    calls[action]()
    label = {"verify": "核查", "return": "退单"}.get(action) or ACTION_LABELS_ZH[Action(action)]
    return f"已{label}" if not label.startswith("已") else label


def _long(value: str | None, field: str) -> str:
    if value is None or len(value) < 2:
        raise ValidationFailed(field, "at least 2 characters", "请填写（至少2个字）")
    return value


def _satisfaction(form: FormDep) -> str:
    value = text(form.get("satisfaction"))
    if value not in {s.value for s in Satisfaction}:
        raise ValidationFailed("satisfaction", "choose one", "请选择满意程度")
    return value


def _merge_target(session: Session, form: FormDep) -> int:
    number = text(form.get("into_number"))
    if not number:
        raise ValidationFailed("into_case_id", "give the case number", "请填写要合并到的案件编号")
    return cases_service.get_by_number(session, number.upper()).id


def _dispatch(
    session: Session, settings: Settings, common: dict[str, Any], form: FormDep, note: str | None
) -> object:
    target = text(form.get("target")) or ""
    kind, _, raw = target.partition(":")
    if kind not in ("d", "r") or not raw.isdigit():
        raise ValidationFailed("target", "choose the unit", "请选择承办单位")
    body = DispatchIn(
        department_id=int(raw) if kind == "d" and raw.isdigit() else None,
        region_id=int(raw) if kind == "r" and raw.isdigit() else None,
        note=note,
    )
    return cases_service.dispatch(
        session,
        **common,
        settings=settings,
        department_id=body.department_id,
        region_id=body.region_id,
        note=note,
    )


def _whistle(session: Session, settings: Settings, common: dict[str, Any], form: FormDep) -> object:
    lead = integer(form.get("lead_department"), "departments")
    co = [int(v) for v in form.getlist("co_departments") if isinstance(v, str) and v.isdigit()]
    departments = [{"department_id": lead, "role": SummonsRole.lead}] if lead else []
    departments += [{"department_id": d, "role": SummonsRole.co} for d in co if d != lead]
    body = WhistleIn.model_validate(
        {
            "type": text(form.get("type")) or "",
            "reason": text(form.get("reason")) or "",
            "departments": departments,
        }
    )
    return whistles.blow(
        session,
        **common,
        settings=settings,
        type=WhistleType(body.type),
        reason=body.reason,
        departments=[(d.department_id, d.role) for d in body.departments],
    )


@router.get("/work/cases/{case_id}/files/{attachment_id}")
def case_file(
    request: Request, session: SessionDep, user: WebUser, case_id: int, attachment_id: int
) -> Response:
    """A photo or document of the case, opened from its page (same rules as the API)."""
    row = queries.attachment(session, actor=user, case_id=case_id, attachment_id=attachment_id)
    return attachment_response(storage_of(request), row)


@router.post("/work/cases/{case_id}/act/{action}")
def act(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: WebUser,
    case_id: int,
    action: str,
    form: FormDep,
) -> Response:
    back = f"/work/cases/{case_id}"
    try:
        message = _run(session, user, settings, case_id, action, form)
        if action == "submit_result":  # 处置反馈 carries its photos: one step, one transaction
            for filename, blob in photos_of(form, settings):
                cases_service.attach(
                    session,
                    actor=user,
                    settings=settings,
                    storage=storage_of(request),
                    case_id=case_id,
                    filename=filename,
                    data=blob,
                )
    except (ZhiliError, ValidationError) as exc:
        return fail_back(request, session, exc, back)
    flash(request, message)
    return RedirectResponse(back, status_code=303)


@router.post("/work/whistles/{whistle_id}/{step}")
def whistle_step(
    request: Request, session: SessionDep, user: WebUser, whistle_id: int, step: str, form: FormDep
) -> Response:
    """A summoned department's part: 报到 (report in), then 办结 (its part done)."""
    case_id = integer(form.get("case_id"), "case_id")
    back = f"/work/cases/{case_id}" if case_id else "/work/inbox"
    try:
        if step == "report-in":
            whistles.report_in(
                session, actor=user, whistle_id=whistle_id, note=text(form.get("note"))
            )
            message = "已报到"
        elif step == "done":
            result = _long(text(form.get("result")), "result")
            whistles.finish_part(session, actor=user, whistle_id=whistle_id, result=result)
            message = "本部门事项已办结"
        else:
            raise ValidationFailed("step", "unknown step", "未知操作")
    except ZhiliError as exc:
        return fail_back(request, session, exc, back)
    flash(request, message)
    return RedirectResponse(back, status_code=303)


@router.post("/work/cases/{case_id}/photos")
def upload_photos(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: WebUser,
    case_id: int,
    form: FormDep,
) -> Response:
    back = f"/work/cases/{case_id}"
    try:
        photos = photos_of(form, settings)
        if not photos:
            raise ValidationFailed("file", "choose a file", "请选择要上传的照片")
        for filename, blob in photos:
            cases_service.attach(
                session,
                actor=user,
                settings=settings,
                storage=storage_of(request),
                case_id=case_id,
                filename=filename,
                data=blob,
            )
    except ZhiliError as exc:
        return fail_back(request, session, exc, back)
    flash(request, f"已上传 {len(photos)} 张照片")
    return RedirectResponse(back, status_code=303)


SUMMONED = SummonsState.summoned.value
