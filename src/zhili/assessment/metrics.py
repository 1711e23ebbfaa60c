"""The measures, as data: each rate is a numerator and a denominator over case events.

Every figure is counted from ``case_event`` rows whose time falls in the period (flow
definitions, as monthly 12345 and 数字城管 reports count them), attributed either to the unit
the step was done for (``unit_department_id``: a department's own record) or to the place of
the case (grid → community → street → district: an area's record). The same conditions drive
the counts and the drill-down to the cases behind a figure, so they cannot drift apart.

- 响应率 response_rate: accepts within the response time ÷ dispatches and escalations to the unit
- 解决率 resolution_rate: return visits judged resolved ÷ return visits
- 满意率 satisfaction_rate: visits satisfied or basically satisfied ÷ return visits
- 结案率 closure_rate: verified closings ÷ dispatches and escalations
- 按期结案率 on_time_closure_rate: verified closings whose handling result came before the
  deadline ÷ dispatches and escalations
- 返工率 rework_rate: failed verifications (rework) ÷ handling results
- 按时派遣率 on_time_dispatch_rate: dispatches within the dispatch time ÷ dispatches
- 准确派遣率 accurate_dispatch_rate: (dispatches − returns) ÷ dispatches
- 按时处置率 on_time_handling_rate: handling results before the deadline ÷ handling results
- 有效上报率 effective_report_rate: gridder reports not rejected ÷ gridder reports
- 按时核实率 on_time_verification_rate: verifications within their time ÷ verifications
- 漏报率 missed_report_rate: reports from the public (hotline, app, web, petition) ÷ registered
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, and_

from zhili.cases.models import Case, CaseEvent, CaseState

E = CaseEvent


class UnitKind(StrEnum):
    department = "department"
    district = "district"
    street = "street"
    community = "community"
    grid = "grid"


UNIT_LABELS_ZH = {
    UnitKind.department: "部门",
    UnitKind.district: "区县",
    UnitKind.street: "街道",
    UnitKind.community: "社区",
    UnitKind.grid: "网格",
}

_PUBLIC_CHANNELS = ("hotline", "app", "web", "petition")
_FIRST = E.seq == 1


def _act(*names: str) -> ColumnElement[bool]:
    return E.action.in_(names)


def _on_time(*names: str) -> ColumnElement[bool]:
    return and_(E.action.in_(names), E.on_time.is_(True))


ASSIGNED = _act("dispatch", "escalate")
VISITS = _act("visit")
HANDLED = _act("submit_result")


@dataclass(frozen=True)
class Metric:
    code: str
    name_zh: str
    numerator: ColumnElement[bool]
    denominator: ColumnElement[bool]
    # the numerator is "denominator minus this" (准确派遣率 = (派遣 − 退单) ÷ 派遣)
    subtract: bool = False
    needs_case: bool = False  # reads columns of the case row, not only the event


METRICS: tuple[Metric, ...] = (
    Metric("response_rate", "响应率", _on_time("accept"), ASSIGNED),
    Metric(
        "resolution_rate", "解决率", and_(VISITS, E.data["resolved"].as_boolean().is_(True)), VISITS
    ),
    Metric(
        "satisfaction_rate",
        "满意率",
        and_(VISITS, E.data["satisfaction"].as_string().in_(("satisfied", "basic"))),
        VISITS,
    ),
    Metric("closure_rate", "结案率", _act("verify_pass"), ASSIGNED),
    Metric(
        "on_time_closure_rate",
        "按期结案率",
        and_(_act("verify_pass"), E.data["result_on_time"].as_boolean().is_(True)),
        ASSIGNED,
    ),
    Metric("rework_rate", "返工率", _act("verify_fail"), HANDLED),
    Metric("on_time_dispatch_rate", "按时派遣率", _on_time("dispatch"), _act("dispatch")),
    Metric("accurate_dispatch_rate", "准确派遣率", _act("return"), _act("dispatch"), subtract=True),
    Metric("on_time_handling_rate", "按时处置率", _on_time("submit_result"), HANDLED),
    Metric(
        "effective_report_rate",
        "有效上报率",
        and_(_FIRST, Case.channel == "gridder", Case.state != CaseState.rejected.value),
        and_(_FIRST, Case.channel == "gridder"),
        needs_case=True,
    ),
    Metric(
        "on_time_verification_rate",
        "按时核实率",
        _on_time("verify_pass", "verify_fail"),
        _act("verify_pass", "verify_fail"),
    ),
    Metric(
        "missed_report_rate",
        "漏报率",
        and_(_FIRST, Case.channel.in_(_PUBLIC_CHANNELS)),
        _act("register"),
        needs_case=True,
    ),
)
METRICS_BY_CODE = {m.code: m for m in METRICS}
COMPOSITE_PARTS = ("response_rate", "resolution_rate", "satisfaction_rate")
# Where a smaller value is better (ranking and shrinkage must know the direction).
LOWER_IS_BETTER = frozenset({"rework_rate", "missed_report_rate"})
