"""How zhili's case states and steps read in Open311.

GeoReport v2 knows only ``open`` and ``closed``; FixMyStreet's update extension adds states a
resident understands. Each public step of the case history becomes one update with the state
below; internal steps (supervision, report-ins, attachments, extension requests, the return
visit, which is the resident's own judgement) are not published.

    zhili step                  update status                why
    intake 受理                  OPEN                         reported, waiting for 立案
    register 立案                INVESTIGATING                accepted, being routed
    dispatch 派遣                ACTION_SCHEDULED             a unit holds it, with a deadline
    approve_extension 同意延期    ACTION_SCHEDULED             the same, with a later deadline
    accept 签收                  IN_PROGRESS                  the unit is working on it
    whistle 吹哨                 INTERNAL_REFERRAL            district departments summoned
    return 退单, escalate 上报    INTERNAL_REFERRAL            passed to the right / higher unit
    submit_result 处置反馈        IN_PROGRESS                  done, awaiting the on-site check
    verify_fail 返工             IN_PROGRESS                  the check failed: rework
    verify_pass 核查结案          FIXED                        checked fixed on site; closed
    resolve_on_spot 自行处置      FIXED                        the gridder fixed it at once
    answer 直接办结              CLOSED                       a question answered
    reject 不予立案              NOT_COUNCILS_RESPONSIBILITY  not a matter for the government
    merge 合并                   DUPLICATE                    joined an earlier case
    reopen 重办                  OPEN                         the resident was not satisfied
"""

from __future__ import annotations

import re
from typing import Literal

from zhili.cases.models import OPEN_STATES, CaseState
from zhili.cases.workflow import STATE_LABELS_ZH, Action
from zhili.core.security import mask_phone

UPDATE_STATUS: dict[str, str] = {
    Action.intake: "OPEN",
    Action.register: "INVESTIGATING",
    Action.dispatch: "ACTION_SCHEDULED",
    Action.approve_extension: "ACTION_SCHEDULED",
    Action.accept: "IN_PROGRESS",
    Action.whistle: "INTERNAL_REFERRAL",
    Action.return_: "INTERNAL_REFERRAL",
    Action.escalate: "INTERNAL_REFERRAL",
    Action.submit_result: "IN_PROGRESS",
    Action.verify_fail: "IN_PROGRESS",
    Action.verify_pass: "FIXED",
    Action.resolve_on_spot: "FIXED",
    Action.answer: "CLOSED",
    Action.reject: "NOT_COUNCILS_RESPONSIBILITY",
    Action.merge: "DUPLICATE",
    Action.reopen: "OPEN",
}
PUBLIC_ACTIONS = tuple(UPDATE_STATUS)

# Statuses a client may send with its own update (FixMyStreet sends these, in any case).
CLIENT_STATUSES = frozenset(
    {
        "OPEN",
        "CLOSED",
        "FIXED",
        "IN_PROGRESS",
        "ACTION_SCHEDULED",
        "INVESTIGATING",
        "DUPLICATE",
        "NOT_COUNCILS_RESPONSIBILITY",
        "NO_FURTHER_ACTION",
        "INTERNAL_REFERRAL",
    }
)
CLOSED_CLIENT_STATUSES = frozenset(
    {"CLOSED", "FIXED", "DUPLICATE", "NOT_COUNCILS_RESPONSIBILITY", "NO_FURTHER_ACTION"}
)

# Steps whose note is meant for the reporter (the reason, the answer, the result); notes of
# other steps are instructions between staff and stay inside.
NOTE_ACTIONS = (
    Action.answer,
    Action.resolve_on_spot,
    Action.reject,
    Action.merge,
    Action.submit_result,
    Action.verify_pass,
    Action.verify_fail,
    Action.reopen,
)

_OPEN = frozenset(s.value for s in OPEN_STATES)
# Mobile and landline numbers a staff note may quote (a call-back number): masked on the way out.
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")


def request_status(state: str) -> Literal["open", "closed"]:
    """open / closed: closed covers 结案, 不予立案 and 合并 alike."""
    return "open" if state in _OPEN else "closed"


def mask_phones(text: str) -> str:
    return _PHONE.sub(lambda m: mask_phone(m.group(0)) or "", text)


def public_note(action: str, note: str | None, data: dict[str, object] | None) -> str | None:
    """The reporter-facing text of one step, or None."""
    if action == Action.merge and data and data.get("into"):
        return f"并入案件 {data['into']}" + (f"：{mask_phones(note)}" if note else "")
    return mask_phones(note) if note else None


def status_notes(state: str, note: str | None) -> str:
    """The state in words, with the latest reporter-facing note when there is one."""
    label = STATE_LABELS_ZH[CaseState(state)]
    return f"{label}：{note}" if note else label
