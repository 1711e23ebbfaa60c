"""Per-unit and overall reports (测评分报告 / 总报告): the figures, then HTML (Jinja2) or
Excel (``workbook``). PDF is not made here: no lean PDF library is among zhili's
dependencies, and the HTML is print-ready (a browser's "print to PDF" keeps the charts).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.core.clock import utcnow
from zhili.core.errors import NotFound
from zhili.indices.campaigns.models import (
    METHOD_LABELS_ZH,
    EvalCampaign,
    EvalCatalogue,
    EvalCriterion,
    EvalRectification,
    Method,
)
from zhili.indices.campaigns.rectification.service import comparison
from zhili.indices.campaigns.scoring import UnitScore, score_campaign
from zhili.indices.campaigns.svg import bar_chart
from zhili.org.models import Region
from zhili.org.users.models import User

STATE_ZH = {"draft": "筹备中", "open": "测评中", "closed": "已结束"}
TASK_ZH = {"open": "整改中", "reported": "已报整改", "verified": "已验收"}


@dataclass
class Report:
    campaign: EvalCampaign
    catalogue: EvalCatalogue
    units: list[UnitScore]  # those shown (the reader's scope), ranks of the whole campaign
    total_units: int
    tasks: list[dict[str, Any]] = field(default_factory=list)
    follow_up: list[dict[str, Any]] | None = None
    generated_at: str = ""

    @property
    def shortfall_ratio_pct(self) -> float:
        return round(self.campaign.shortfall_ratio * 100, 2)


def _tasks(session: Session, campaign_id: int, region_ids: set[int]) -> list[dict[str, Any]]:
    rows = session.execute(
        select(
            EvalRectification, Region.name, EvalCriterion.code, EvalCriterion.name, User.full_name
        )
        .join(Region, Region.id == EvalRectification.region_id)
        .join(EvalCriterion, EvalCriterion.id == EvalRectification.criterion_id)
        .join(User, User.id == EvalRectification.owner_id)
        .where(EvalRectification.campaign_id == campaign_id)
        .order_by(Region.code, EvalCriterion.seq)
    )
    return [
        {
            "id": t.id,
            "region_id": t.region_id,
            "unit_name": unit,
            "criterion_code": code,
            "criterion_name": name,
            "score_before": t.score_before,
            "full_score": t.full_score,
            "owner": owner,
            "deadline": t.deadline.isoformat(),
            "state": TASK_ZH[t.state],
        }
        for t, unit, code, name, owner in rows
        if t.region_id in region_ids
    ]


def build(session: Session, campaign: EvalCampaign, *, region_ids: set[int] | None) -> Report:
    """The report's figures for the given units (None: all of them)."""
    units = score_campaign(session, campaign)
    shown = [u for u in units if region_ids is None or u.region_id in region_ids]
    ids = {u.region_id for u in shown}
    catalogue = session.get(EvalCatalogue, campaign.catalogue_id)
    assert catalogue is not None  # foreign key
    follow = None
    if campaign.follow_up_of_id is not None:
        follow = [r for r in comparison(session, campaign) if r["region_id"] in ids]
    return Report(
        campaign=campaign,
        catalogue=catalogue,
        units=shown,
        total_units=len(units),
        tasks=_tasks(session, campaign.id, ids),
        follow_up=follow,
        generated_at=utcnow().strftime("%Y-%m-%d %H:%M UTC"),
    )


def unit_of(report: Report, region_id: int) -> UnitScore:
    for u in report.units:
        if u.region_id == region_id:
            return u
    raise NotFound("evaluated unit", region_id)


def method_summary(units: list[UnitScore]) -> list[dict[str, Any]]:
    """Per method: points scored over points available (scored criteria only)."""
    got: dict[str, float] = defaultdict(float)
    full: dict[str, float] = defaultdict(float)
    for u in units:
        for c in u.criteria:
            if c.score is not None:
                got[c.method] += c.score
                full[c.method] += c.full
    return [
        {
            "method": METHOD_LABELS_ZH[m],
            "score": round(got[m.value], 2),
            "full": round(full[m.value], 2),
            "rate": round(100 * got[m.value] / full[m.value], 2) if full[m.value] else None,
        }
        for m in Method
        if full[m.value]
    ]


def criterion_rates(units: list[UnitScore]) -> list[dict[str, Any]]:
    """Per criterion across units: average 得分率 and how many units fell short."""
    rows: dict[int, dict[str, Any]] = {}
    for u in units:
        for c in u.criteria:
            r = rows.setdefault(
                c.criterion_id,
                {"code": c.code, "name": c.name, "method": METHOD_LABELS_ZH[Method(c.method)],
                 "got": 0.0, "full": 0.0, "shortfalls": 0},
            )  # fmt: skip
            if c.score is not None:
                r["got"] += c.score
                r["full"] += c.full
                r["shortfalls"] += int(c.shortfall)
    for r in rows.values():
        r["rate"] = round(100 * r["got"] / r["full"], 2) if r["full"] else None
    return list(rows.values())


_env = Environment(
    loader=PackageLoader("zhili.indices.campaigns", "templates"),
    autoescape=select_autoescape(["html"]),
)
_env.globals.update(method_zh=lambda m: METHOD_LABELS_ZH[Method(m)], state_zh=STATE_ZH)


def unit_html(report: Report, region_id: int) -> str:
    unit = unit_of(report, region_id)
    chart: Markup = bar_chart(
        [f"{c.code} {c.name}" for c in unit.criteria],
        [None if c.score is None else round(100 * c.score / c.full, 1) for c in unit.criteria],
        threshold=report.shortfall_ratio_pct,
        title="各测评标准得分率",
    )
    return _env.get_template("unit.html").render(
        r=report,
        unit=unit,
        methods=method_summary([unit]),
        surveys=[t.as_dict() for t in unit.surveys.values()],
        tasks=[t for t in report.tasks if t["region_id"] == region_id],
        follow_up=[f for f in report.follow_up or [] if f["region_id"] == region_id],
        chart=chart,
    )


def overall_html(report: Report) -> str:
    ranked = sorted(report.units, key=lambda u: (u.rank is None, u.rank or 0, u.code))
    crit = criterion_rates(report.units)
    return _env.get_template("overall.html").render(
        r=report,
        units=ranked,
        methods=method_summary(report.units),
        criteria=crit,
        chart=bar_chart([u.name for u in ranked], [u.rate for u in ranked], title="各单位得分率"),
        criteria_chart=bar_chart(
            [f"{c['code']} {c['name']}" for c in crit],
            [c["rate"] for c in crit],
            threshold=report.shortfall_ratio_pct,
            title="各测评标准平均得分率",
        ),
    )
