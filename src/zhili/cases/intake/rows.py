"""The rows a new case starts with: its column values and clock, its first event, its
caller and its audit row. Pure functions: ``intake.service`` writes them, one case at a time
through the ORM or a batch through Core, so both paths write exactly the same rows."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Table

from zhili.cases import sla
from zhili.cases.history import CASE_AUDIT_FIELDS
from zhili.cases.models import Case, CaseState
from zhili.cases.schemas import CaseIntake
from zhili.cases.workflow import Action, intake_target
from zhili.core import audit
from zhili.core.calendar import DeadlineRule
from zhili.core.security import Role
from zhili.org.users.models import User

# 32 symbols, no 0/O or 1/I: numbers are read out over the phone
_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_INTAKE_FIELDS = set(CaseIntake.model_fields)


def table_of(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


CASE_TABLE = table_of(Case)


def new_case_number(now: datetime) -> str:
    """A public number residents can read out: date plus 8 random characters (≈ 10¹²)."""
    # 32 symbols divide 256, so a random byte modulo 32 picks each one equally often; one
    # call for all eight (eight secrets.choice calls were a tenth of a batch's CPU)
    suffix = "".join(_NUMBER_ALPHABET[b % 32] for b in secrets.token_bytes(8))
    return f"{now:%Y%m%d}-{suffix}"


def request_hash(data: CaseIntake) -> str:
    """The fingerprint of a report (a batch item's own key left out), to tell a retry from a
    different report sent under the same idempotency key."""
    body = data.model_dump(mode="json", include=_INTAKE_FIELDS)
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def dispatch_rule(urgency: str) -> DeadlineRule:
    """按时派遣: the centre must register and dispatch within a few working hours."""
    if urgency == "emergency":
        return DeadlineRule(amount=15, unit="minutes", working=False)
    return DeadlineRule(amount=2, unit="hours", working=True)


def case_values(
    *,
    actor: User,
    data: CaseIntake,
    place: dict[str, object],
    key: str | None,
    digest: str,
    now: datetime,
) -> tuple[Action, dict[str, Any]]:
    """The new case's column values, with the clock of its first step."""
    action = (
        Action.answer
        if data.answer
        else Action.resolve_on_spot
        if data.resolved_on_spot
        else Action.intake
    )
    state = intake_target(action)
    values: dict[str, Any] = {
        "number": new_case_number(now),
        "title": data.title.strip(),
        "description": data.description,
        "channel": data.channel.value,
        "urgency": data.urgency.value,
        "category_id": data.category_id,
        "state": state.value,
        **place,
        "reporter_name": None if data.anonymous else data.reporter_name,
        "reporter_phone": None if data.anonymous else data.reporter_phone,
        "reporter_user_id": actor.id if actor.role == Role.citizen else None,
        "anonymous": data.anonymous,
        "created_by_id": actor.id,
        "idempotency_key": key,
        "request_hash": digest,
        "created_at": now,
        "updated_at": now,
        "event_seq": 1,
        "closed_at": None,
        "close_reason": None,
        "step_started_at": None,
        "warn_at": None,
        "deadline_at": None,
        "deadline_working": True,
    }
    if state == CaseState.closed:
        values["closed_at"] = now
        values["close_reason"] = action.value
    else:
        clock = sla.start_clock(now, dispatch_rule(data.urgency.value), warn_share=0.8)
        values["step_started_at"] = clock.started_at
        values["warn_at"] = clock.warn_at
        values["deadline_at"] = clock.deadline_at
        values["deadline_working"] = clock.working
    return action, values


def audit_after(values: dict[str, Any]) -> dict[str, Any]:
    """The audit snapshot of a new case: its values, else the column defaults it gets."""
    return {
        name: audit.jsonable(values[name] if name in values else _DEFAULTS[name])
        for name in CASE_AUDIT_FIELDS
    }


def _default(name: str) -> object:
    default = CASE_TABLE.c[name].default
    return getattr(default, "arg", None) if default is not None and default.is_scalar else None


_DEFAULTS = {name: _default(name) for name in CASE_AUDIT_FIELDS}


def first_rows(
    case_id: int,
    values: dict[str, Any],
    *,
    action: Action,
    actor: User,
    data: CaseIntake,
    after: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The first event, the caller and the audit row of a new case (``after``: the audit
    snapshot when the caller has the flushed case; else it is computed from the values)."""
    now = values["created_at"]
    event = {
        "case_id": case_id,
        "seq": 1,
        "at": now,
        "actor_id": actor.id,
        "actor_name": actor.full_name,
        "action": action.value,
        "from_state": None,
        "to_state": values["state"],
        "note": data.answer or data.resolved_on_spot,
        "data": {"channel": values["channel"]},
        "unit_department_id": None,
        "unit_region_id": None,
        "on_time": None,
    }
    caller = {
        "case_id": case_id,
        "source_case_id": case_id,
        "name": values["reporter_name"],
        "phone": values["reporter_phone"],
        "user_id": values["reporter_user_id"],
        "channel": values["channel"],
        "at": now,
    }
    row = audit.entry(
        actor=actor,
        action=f"case.{action.value}",
        entity_type="case",
        entity_id=case_id,
        after=after if after is not None else audit_after(values),
        at=now,
    )
    return event, caller, row
