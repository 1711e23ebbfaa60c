"""The read side of Open311: services, requests, tokens and updates. Nothing here writes.

What is public (see docs/decisions/0002-open311.md):
- every case reported through Open311, in full: the reporter chose to publish the problem,
  its place, text and photo link (never their name, phone, e-mail or account);
- the cases of public categories from other channels except petitions (信访), in outline
  only: service, status, dates, handling unit, and the grid's representative point instead of
  the exact place; no address, no text, no staff notes, since a hotline caller's words and
  home address are theirs, not the public's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from zhili.cases.categories.models import Category
from zhili.cases.categories.schemas import AttributeIn
from zhili.cases.models import OPEN_STATES, Case, CaseEvent, CaseState, Channel
from zhili.cases.workflow import ACTION_LABELS_ZH, Action
from zhili.core.errors import NotFound
from zhili.open311 import status as st
from zhili.open311.models import Open311Request
from zhili.open311.params import Page
from zhili.open311.schemas import (
    AttributeOut,
    DefinitionOut,
    RequestOut,
    ServiceOut,
    TokenOut,
    UpdateOut,
    ValueOut,
    w3,
)
from zhili.org.models import Department, Region, RegionLevel

_KIND_ZH = {"component": "部件", "event": "事件", "hotline": "12345热线"}
_UNIT_ZH = {"minutes": "分钟", "hours": "小时", "days": "天"}
_SCHEDULED = {CaseState.dispatched.value, CaseState.handling.value, CaseState.handled.value}
_CLOSED = [s.value for s in CaseState if s not in OPEN_STATES]


def city(session: Session) -> Region | None:
    """The jurisdiction this endpoint serves: the root of the administrative tree."""
    return session.scalar(
        select(Region)
        .where(Region.parent_id.is_(None), Region.level == RegionLevel.city.value)
        .order_by(Region.id)
        .limit(1)
    )


def check_jurisdiction(session: Session, jurisdiction_id: str | None) -> None:
    """One jurisdiction per installation: the id is optional, but a wrong one is a 404."""
    if not jurisdiction_id:
        return
    root = city(session)
    if root is None or jurisdiction_id != root.code:
        raise NotFound("jurisdiction_id", jurisdiction_id)


def rule_zh(amount: int, unit: str, working: bool) -> str:
    if unit == "days" and working:
        return f"{amount} 个工作日"
    if unit == "hours" and working:
        return f"{amount} 个工作小时"
    return f"{amount} {_UNIT_ZH.get(unit, unit)}" + ("（工作时间）" if working else "")


def service_notice(category: Category) -> str:
    return _notice(category.deadline_amount, category.deadline_unit, category.deadline_working)


@lru_cache(maxsize=256)
def _notice(amount: int, unit: str, working: bool) -> str:
    return f"处置时限 {rule_zh(amount, unit, working)}（自派遣起计）"


def _services(session: Session) -> dict[str, tuple[Category, Category | None]]:
    """Public leaf categories by code, each with its major class (the service group)."""
    rows = session.scalars(select(Category).where(Category.is_active.is_(True))).all()
    by_id = {c.id: c for c in rows}
    with_children = {c.parent_id for c in rows if c.parent_id is not None}
    return {
        c.code: (c, by_id.get(c.parent_id) if c.parent_id else None)
        for c in sorted(rows, key=lambda c: c.code)
        if c.is_public and c.id not in with_children
    }


def find_service(session: Session, code: str) -> Category:
    """The category behind a service code (one query: a POST asks it every time)."""
    child = aliased(Category)
    has_children = exists().where(child.parent_id == Category.id, child.is_active.is_(True))
    found = session.scalar(
        select(Category).where(
            Category.code == code,
            Category.is_active.is_(True),
            Category.is_public.is_(True),
            ~has_children,
        )
    )
    if found is None:
        raise NotFound("service_code", code)
    return found


def list_services(session: Session) -> list[ServiceOut]:
    out = []
    for category, parent in _services(session).values():
        kind = _KIND_ZH.get(category.kind, category.kind)
        group = parent.name if parent else kind
        out.append(
            ServiceOut(
                service_code=category.code,
                service_name=category.name,
                description=f"{kind} › {group} › {category.name}；{service_notice(category)}",
                metadata=bool(category.attributes),
                type="realtime",
                keywords=", ".join(dict.fromkeys([category.name, group, kind])),
                group=group,
            )
        )
    return out


def attributes_of(category: Category) -> list[AttributeIn]:
    return [AttributeIn.model_validate(a) for a in category.attributes]


def definition(session: Session, code: str) -> DefinitionOut:
    category = find_service(session, code)
    return DefinitionOut(
        service_code=category.code,
        attributes=[
            AttributeOut(
                variable=a.variable,
                code=a.code,
                datatype=a.datatype,
                required=a.required,
                datatype_description=a.datatype_description,
                order=a.order,
                description=a.description,
                values=[ValueOut(key=v.key, name=v.name) for v in a.values],
            )
            for a in attributes_of(category)
        ],
    )


@dataclass
class RequestFilter:
    numbers: Sequence[str] = ()  # overrides everything else, as the spec says
    service_codes: Sequence[str] = ()
    states: Sequence[str] = ()
    start: datetime | None = None
    end: datetime | None = None


def states_for(statuses: Sequence[str]) -> list[str]:
    states: list[str] = []
    if "open" in statuses:
        states += [s.value for s in OPEN_STATES]
    if "closed" in statuses:
        states += _CLOSED
    return states


def _visible() -> ColumnElement[bool]:
    return or_(
        Open311Request.id.is_not(None),
        and_(Category.is_public.is_(True), Case.channel != Channel.petition.value),
    )


_Agency = aliased(Region)
_Grid = aliased(Region)


def _request_query() -> Select[*tuple[Any, ...]]:
    return (
        select(
            Case.id,
            Case.number,
            Case.state,
            Case.created_at,
            Case.updated_at,
            Case.closed_at,
            Case.deadline_at,
            Case.address,
            Case.lat,
            Case.lon,
            # columns, not the Category entity: its JSON attributes would be decoded per row
            Category.code,
            Category.name,
            Category.deadline_amount,
            Category.deadline_unit,
            Category.deadline_working,
            Open311Request.id.label("o311_id"),
            Open311Request.description,
            Open311Request.media_url,
            Department.name.label("department"),
            _Agency.name.label("unit"),
            _Grid.centroid_lat,
            _Grid.centroid_lon,
        )
        .join(Category, Category.id == Case.category_id)
        .outerjoin(Open311Request, Open311Request.case_id == Case.id)
        .outerjoin(Department, Department.id == Case.handler_department_id)
        .outerjoin(_Agency, _Agency.id == Case.handler_region_id)
        .outerjoin(_Grid, _Grid.id == Case.grid_id)
        .where(_visible())
    )


def _latest_notes(session: Session, case_ids: list[int]) -> dict[int, str]:
    """Each case's latest reporter-facing note, in one query for the whole page."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(CaseEvent.case_id, CaseEvent.action, CaseEvent.note, CaseEvent.data)
        .where(CaseEvent.case_id.in_(case_ids), CaseEvent.action.in_(st.NOTE_ACTIONS))
        .order_by(CaseEvent.case_id, CaseEvent.seq)
    )
    notes: dict[int, str] = {}
    for case_id, action, note, data in rows:
        text = st.public_note(action, note, data)
        if text:
            notes[case_id] = text  # later steps overwrite earlier ones
    return notes


def _coordinate(value: float | None) -> float | None:
    return None if value is None else round(value, 7)


def _present(row: Row[Any], note: str | None) -> RequestOut:
    full = row.o311_id is not None  # reported through Open311: published in full
    status = st.request_status(row.state)
    updated = row.closed_at if status == "closed" and row.closed_at else row.updated_at
    return {
        "service_request_id": row.number,
        "status": status,
        "status_notes": st.status_notes(row.state, note if full else None),
        "service_name": row.name,
        "service_code": row.code,
        # reporters do type their phone into the text; it is theirs, not the public's
        "description": st.mask_phones(row.description) if full and row.description else None,
        "agency_responsible": row.department or row.unit,
        "service_notice": _notice(row.deadline_amount, row.deadline_unit, row.deadline_working),
        "requested_datetime": w3(row.created_at),
        "updated_datetime": w3(updated),
        "expected_datetime": w3(row.deadline_at) if row.state in _SCHEDULED else None,
        "address": row.address if full else None,
        "lat": _coordinate(row.lat if full else row.centroid_lat),
        "long": _coordinate(row.lon if full else row.centroid_lon),
        "media_url": row.media_url if full else None,
    }


def list_requests(session: Session, *, filters: RequestFilter, page: Page) -> list[RequestOut]:
    """Most recent first, one page of at most 1000, in three queries whatever the page size."""
    query = _request_query()
    f = filters
    if f.numbers:
        query = query.where(Case.number.in_(list(f.numbers)))
    else:
        if f.start is not None:
            query = query.where(Case.created_at >= f.start)
        if f.end is not None:
            query = query.where(Case.created_at <= f.end)
        if f.service_codes:
            query = query.where(Category.code.in_(list(f.service_codes)))
        if f.states:
            query = query.where(Case.state.in_(list(f.states)))
    rows = session.execute(
        query.order_by(Case.created_at.desc(), Case.id.desc()).offset(page.offset).limit(page.size)
    ).all()
    notes = _latest_notes(session, [r.id for r in rows if r.o311_id is not None])
    return [_present(r, notes.get(r.id)) for r in rows]


def get_request(session: Session, number: str) -> RequestOut:
    rows = list_requests(session, filters=RequestFilter(numbers=[number]), page=Page(1, 1))
    if not rows:
        raise NotFound("service_request_id", number)
    return rows[0]


def resolve_token(session: Session, token: str) -> TokenOut:
    """A batch client's token: the case number once the centre has registered (立案) it."""
    row = session.execute(
        select(Case.number, Case.state)
        .join(Open311Request, Open311Request.case_id == Case.id)
        .where(Open311Request.token == token)
    ).first()
    if row is None:
        raise NotFound("token", token)
    pending = row.state == CaseState.received.value
    return TokenOut(service_request_id=None if pending else row.number, token=token)


def list_updates(
    session: Session, *, start: datetime, end: datetime, page: Page
) -> list[UpdateOut]:
    """Public steps of visible cases in [start, end], oldest first (clients poll forward)."""
    rows = session.execute(
        select(
            CaseEvent.id,
            CaseEvent.at,
            CaseEvent.action,
            CaseEvent.note,
            CaseEvent.data,
            Case.number,
            Open311Request.id.label("o311_id"),
        )
        .join(Case, Case.id == CaseEvent.case_id)
        .join(Category, Category.id == Case.category_id)
        .outerjoin(Open311Request, Open311Request.case_id == Case.id)
        .where(
            CaseEvent.at >= start,
            CaseEvent.at <= end,
            CaseEvent.action.in_(st.PUBLIC_ACTIONS),
            _visible(),
        )
        .order_by(CaseEvent.at, CaseEvent.id)
        .offset(page.offset)
        .limit(page.size)
    ).all()
    out: list[UpdateOut] = []
    for r in rows:
        label = ACTION_LABELS_ZH[Action(r.action)]
        note = (
            st.public_note(r.action, r.note, r.data)
            if r.o311_id is not None and r.action in st.NOTE_ACTIONS
            else None
        )
        out.append(
            {
                "update_id": str(r.id),
                "service_request_id": r.number,
                "status": st.UPDATE_STATUS[r.action],
                "updated_datetime": w3(r.at),
                "description": f"{label}：{note}" if note else label,
                "media_url": None,
            }
        )
    return out
