"""The case state machine: which action may happen in which state, and where it leads.

This table is the single source of truth; service functions ask it before acting (an illegal
step is a 409 naming the current state), and ``replay`` rebuilds a case's state from its
events with the same table, so the stored state and the history can never disagree unseen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from zhili.cases.models import CaseState
from zhili.core.errors import Conflict

S = CaseState


class Action(StrEnum):
    intake = "intake"
    register = "register"
    reject = "reject"
    answer = "answer"  # 直接办结
    resolve_on_spot = "resolve_on_spot"  # 网格员自行处置
    merge = "merge"
    absorb = "absorb"  # the earlier case takes in a merged duplicate and its callers
    follow = "follow"  # a merged duplicate follows its case when that is merged on in turn
    dispatch = "dispatch"
    accept = "accept"  # 签收 (the response)
    return_ = "return"  # 退单
    escalate = "escalate"  # 上报: the community hands the case to its street
    request_extension = "request_extension"
    approve_extension = "approve_extension"
    refuse_extension = "refuse_extension"
    whistle = "whistle"
    report_in = "report_in"
    part_done = "part_done"
    whistle_completed = "whistle_completed"
    submit_result = "submit_result"
    verify_pass = "verify_pass"  # noqa: S105 - an action name, not a secret
    verify_fail = "verify_fail"  # 返工
    visit = "visit"
    reopen = "reopen"
    supervise = "supervise"
    overdue = "overdue"  # the tick found the step overdue and escalated it
    attach = "attach"


ACTION_LABELS_ZH: dict[Action, str] = {
    Action.intake: "受理",
    Action.register: "立案",
    Action.reject: "不予立案",
    Action.answer: "直接办结",
    Action.resolve_on_spot: "自行处置",
    Action.merge: "合并",
    Action.absorb: "并入重复案件",
    Action.follow: "随并案转移",
    Action.dispatch: "派遣",
    Action.accept: "签收",
    Action.return_: "退单",
    Action.escalate: "上报街道",
    Action.request_extension: "申请延期",
    Action.approve_extension: "同意延期",
    Action.refuse_extension: "驳回延期",
    Action.whistle: "吹哨",
    Action.report_in: "报到",
    Action.part_done: "部门办结",
    Action.whistle_completed: "吹哨事项完成",
    Action.submit_result: "处置反馈",
    Action.verify_pass: "核查通过并结案",
    Action.verify_fail: "核查未通过（返工）",
    Action.visit: "回访",
    Action.reopen: "重办",
    Action.supervise: "督办",
    Action.overdue: "超时升级",
    Action.attach: "上传附件",
}

OPEN = frozenset({S.received, S.registered, S.dispatched, S.handling, S.handled})


@dataclass(frozen=True)
class Transition:
    sources: frozenset[CaseState]
    target: CaseState | None  # None: the state does not change


TRANSITIONS: dict[Action, Transition] = {
    Action.register: Transition(frozenset({S.received}), S.registered),
    Action.reject: Transition(frozenset({S.received}), S.rejected),
    Action.answer: Transition(frozenset({S.received}), S.closed),
    Action.merge: Transition(frozenset({S.received, S.registered}), S.merged),
    Action.absorb: Transition(OPEN | {S.closed}, None),
    Action.follow: Transition(frozenset({S.merged}), None),
    Action.dispatch: Transition(frozenset({S.registered}), S.dispatched),
    Action.accept: Transition(frozenset({S.dispatched}), S.handling),
    Action.return_: Transition(frozenset({S.dispatched, S.handling}), S.registered),
    Action.escalate: Transition(frozenset({S.dispatched, S.handling}), S.dispatched),
    Action.request_extension: Transition(frozenset({S.handling}), None),
    Action.approve_extension: Transition(frozenset({S.handling}), None),
    Action.refuse_extension: Transition(frozenset({S.handling}), None),
    Action.whistle: Transition(frozenset({S.handling}), None),
    Action.report_in: Transition(frozenset({S.handling}), None),
    Action.part_done: Transition(frozenset({S.handling}), None),
    Action.whistle_completed: Transition(frozenset({S.handling}), None),
    Action.submit_result: Transition(frozenset({S.handling}), S.handled),
    Action.verify_pass: Transition(frozenset({S.handled}), S.closed),
    Action.verify_fail: Transition(frozenset({S.handled}), S.handling),
    Action.visit: Transition(frozenset({S.closed}), None),
    Action.reopen: Transition(frozenset({S.closed}), S.registered),
    Action.supervise: Transition(OPEN, None),
    Action.overdue: Transition(OPEN, None),
    Action.attach: Transition(frozenset(CaseState), None),
}


def allowed_actions(state: CaseState) -> list[Action]:
    return [a for a, t in TRANSITIONS.items() if state in t.sources]


def check(state: CaseState | str, action: Action) -> CaseState:
    """The state after ``action`` from ``state``, or 409 naming the current state."""
    current = CaseState(state)
    transition = TRANSITIONS[action]
    if current not in transition.sources:
        raise Conflict(
            f"cannot {action.value} a case that is {current.value}",
            f"案件当前状态为「{STATE_LABELS_ZH[current]}」，不能{ACTION_LABELS_ZH[action]}",
            current_state=current.value,
        )
    return transition.target or current


STATE_LABELS_ZH: dict[CaseState, str] = {
    S.received: "已受理",
    S.registered: "已立案",
    S.dispatched: "已派遣",
    S.handling: "处置中",
    S.handled: "待核查",
    S.closed: "已结案",
    S.rejected: "不予立案",
    S.merged: "已合并",
}


def intake_target(action: Action) -> CaseState:
    """A case starts received, or closed at once when answered or fixed on the spot."""
    return S.closed if action in (Action.answer, Action.resolve_on_spot) else S.received


def replay(events: Iterable[tuple[str, str | None, str]]) -> CaseState:
    """Rebuild the state from (action, from_state, to_state) triples, checking each step.

    Raises ValueError when the history is impossible under TRANSITIONS: a step recorded from
    a state other than the one the history had reached, or to a state the table forbids.
    """
    state: CaseState | None = None
    for action_name, from_state, to_state in events:
        action = Action(action_name)
        if state is None:
            if action not in (Action.intake, Action.answer, Action.resolve_on_spot):
                raise ValueError(f"history starts with {action_name}")
            state = CaseState(to_state)
            continue
        if from_state != state.value:
            raise ValueError(f"{action_name} recorded from {from_state}, history was at {state}")
        if action not in TRANSITIONS:
            raise ValueError(f"{action_name} only starts a history")
        try:
            expected = check(state, action)
        except Conflict as exc:  # the table forbids it: an impossible history, not a 409
            raise ValueError(str(exc)) from exc
        if expected.value != to_state:
            raise ValueError(f"{action_name} from {state} must lead to {expected}, not {to_state}")
        state = expected
    if state is None:
        raise ValueError("no events")
    return state
