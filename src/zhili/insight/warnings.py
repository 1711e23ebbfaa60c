"""Warnings (预警): detections stored for the dashboard's feed, and what a user makes of them.

A warning is turned into a case (the problem enters the case loop like any other report) or
into supervision orders on the open cases behind it, in one step: one transaction with the
cases' own service functions and an audit row. Services never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.cases import service as cases
from zhili.cases.models import OPEN_STATES, Case, Channel
from zhili.cases.schemas import CaseIntake
from zhili.cases.supervision import service as supervision
from zhili.core import audit
from zhili.core.clock import utcnow
from zhili.core.errors import Conflict, Forbidden, NotFound
from zhili.core.security import Permission, Role
from zhili.insight.models import InsightWarning, WarningKind, WarningStatus
from zhili.org.access import authorize, scope_region
from zhili.org.geo import GridIndexCache
from zhili.org.users.models import User

AUDIT_FIELDS = ("kind", "status", "title", "region_id", "category_id", "case_id", "fingerprint")


@dataclass(frozen=True, slots=True)
class Detection:
    """What a scan found, before it is stored."""

    kind: WarningKind
    title: str
    region_id: int | None
    region_path: str
    category_id: int | None
    period_start: datetime
    period_end: datetime
    score: float
    evidence: dict[str, Any]
    fingerprint: str
    department_id: int | None = None


def store(session: Session, *, actor: User | None, detections: list[Detection]) -> int:
    """Add the detections not stored before (by fingerprint); returns how many were new."""
    prints = [d.fingerprint for d in detections]
    known: set[str] = set()
    for i in range(0, len(prints), 500):
        known.update(
            session.scalars(
                select(InsightWarning.fingerprint).where(
                    InsightWarning.fingerprint.in_(prints[i : i + 500])
                )
            )
        )
    new = [d for d in detections if d.fingerprint not in known]
    for d in new:
        session.add(
            InsightWarning(
                kind=d.kind.value,
                status=WarningStatus.new.value,
                title=d.title[:200],
                region_id=d.region_id,
                region_path=d.region_path,
                department_id=d.department_id,
                category_id=d.category_id,
                period_start=d.period_start,
                period_end=d.period_end,
                score=d.score,
                evidence=audit.jsonable(d.evidence),
                fingerprint=d.fingerprint,
            )
        )
        known.add(d.fingerprint)
    audit.record(
        session,
        actor=actor,
        action="insight.scan",
        entity_type="insight_warning",
        entity_id="*",
        after={"found": len(detections), "new": len(new)},
    )
    return len(new)


def feed(
    session: Session,
    *,
    actor: User,
    kind: WarningKind | None = None,
    status: WarningStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[InsightWarning], int]:
    """The warnings in the actor's scope, strongest and newest first."""
    authorize(session, actor=actor, permission=Permission.case_read)
    query = select(InsightWarning)
    if not (actor.role == Role.admin and actor.region_id is None):
        scope = scope_region(session, actor)
        if scope is None:
            raise Forbidden("no scope", "您没有管辖范围")
        query = query.where(InsightWarning.region_path.startswith(scope.path))
    if kind is not None:
        query = query.where(InsightWarning.kind == kind.value)
    if status is not None:
        query = query.where(InsightWarning.status == status.value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(
            InsightWarning.created_at.desc(), InsightWarning.score.desc(), InsightWarning.id
        )
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def get_warning(session: Session, *, actor: User, warning_id: int) -> InsightWarning:
    """One warning, if it lies in the actor's scope (by its area's path)."""
    warning = session.get(InsightWarning, warning_id)
    if warning is None:
        raise NotFound("warning", warning_id)
    authorize(session, actor=actor, permission=Permission.case_read)
    if not (actor.role == Role.admin and actor.region_id is None):
        scope = scope_region(session, actor)
        if scope is None or not warning.region_path.startswith(scope.path):
            raise Forbidden(
                f"warning {warning.id} is outside your scope", "该预警不在您的管辖范围内"
            )
    return warning


def _open(warning: InsightWarning) -> None:
    if warning.status != WarningStatus.new.value:
        raise Conflict(
            f"warning {warning.id} is already {warning.status}",
            "该预警已处理",
            current_state=warning.status,
        )


def to_case(
    session: Session,
    *,
    actor: User,
    cache: GridIndexCache,
    warning_id: int,
    note: str | None = None,
    version: int | None = None,
) -> tuple[InsightWarning, Case]:
    """Turn a warning into a case (channel ``department``) about its area and category."""
    warning = get_warning(session, actor=actor, warning_id=warning_id)
    _check_version(warning, version)
    _open(warning)
    before = audit.snapshot(warning, AUDIT_FIELDS)
    evidence = warning.evidence or {}
    description = note or evidence.get("summary") or warning.title
    case, _ = cases.intake(
        session,
        actor=actor,
        cache=cache,
        data=CaseIntake(
            channel=Channel.department,
            title=warning.title[:200],
            description=f"研判预警：{description}",
            category_id=warning.category_id,
            region_id=warning.region_id,
        ),
    )
    warning.status = WarningStatus.case.value
    warning.case_id = case.id
    warning.handled_by_id, warning.handled_at = actor.id, utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="insight.warning_to_case",
        entity_type="insight_warning",
        entity_id=warning.id,
        before=before,
        after=audit.snapshot(warning, AUDIT_FIELDS),
    )
    return warning, case


def supervise(
    session: Session,
    *,
    actor: User,
    warning_id: int,
    note: str | None = None,
    version: int | None = None,
) -> tuple[InsightWarning, list[Case]]:
    """Supervision orders (督办) on every open case behind the warning, all or none."""
    warning = get_warning(session, actor=actor, warning_id=warning_id)
    _check_version(warning, version)
    _open(warning)
    ids = [int(x) for x in (warning.evidence or {}).get("case_ids", [])]
    open_values = [s.value for s in OPEN_STATES]
    open_ids = session.scalars(
        select(Case.id)
        .where(Case.id.in_(ids or [-1]), Case.state.in_(open_values))
        .order_by(Case.id)
    ).all()
    if not open_ids:
        raise Conflict(
            f"warning {warning.id} has no open case to supervise",
            "该预警没有在办案件可督办",
            current_state=warning.status,
        )
    before = audit.snapshot(warning, AUDIT_FIELDS)
    text = note or f"研判预警督办：{warning.title}"
    done = [supervision.supervise(session, actor=actor, case_id=i, note=text) for i in open_ids]
    warning.status = WarningStatus.supervised.value
    warning.handled_by_id, warning.handled_at = actor.id, utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="insight.warning_supervise",
        entity_type="insight_warning",
        entity_id=warning.id,
        before=before,
        after={**audit.snapshot(warning, AUDIT_FIELDS), "cases": list(open_ids)},
    )
    return warning, done


def dismiss(
    session: Session, *, actor: User, warning_id: int, reason: str, version: int | None = None
) -> InsightWarning:
    """A false alarm, or nothing to do: kept, with the reason, off the open feed."""
    warning = get_warning(session, actor=actor, warning_id=warning_id)
    authorize(session, actor=actor, permission=Permission.case_supervise)
    _check_version(warning, version)
    _open(warning)
    before = audit.snapshot(warning, AUDIT_FIELDS)
    warning.status = WarningStatus.dismissed.value
    warning.evidence = {**(warning.evidence or {}), "dismissed": reason}
    warning.handled_by_id, warning.handled_at = actor.id, utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="insight.warning_dismiss",
        entity_type="insight_warning",
        entity_id=warning.id,
        before=before,
        after={**audit.snapshot(warning, AUDIT_FIELDS), "reason": reason},
    )
    return warning


def _check_version(warning: InsightWarning, version: int | None) -> None:
    if version is not None and version != warning.version:
        raise Conflict(
            f"warning {warning.id} changed since you read it",
            "预警已被他人处理，请刷新后重试",
            current_state=warning.status,
        )


__all__ = ["Detection", "dismiss", "feed", "get_warning", "store", "supervise", "to_case"]
