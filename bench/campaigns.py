"""Benchmark: scoring and reporting a campaign the size of Kunming's 2020 "摸底大考".

35 evaluated units × 214 criteria, 6 467 check items on site visits, 3 500 questionnaire
responses, evidence for the department-review criteria. Prints the time of
``score_campaign`` (all units, all criteria, totals and ranks) and of the overall report (HTML
and Excel), next to the reference measured in the same run: the bare SELECTs of the rows the
scoring reads (check items with their visits, accepted evidence, responses) — the floor of any
implementation that scores from the recorded facts.

    PYTHONPATH=src python bench/campaigns.py [--database-url URL] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.core import migrate
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory
from zhili.indices.campaigns import reports, workbook
from zhili.indices.campaigns.models import (
    EvalCampaign,
    EvalCatalogue,
    EvalCheckItem,
    EvalCriterion,
    EvalEvidence,
    EvalQuestionnaire,
    EvalResponse,
    EvalSiteVisit,
    EvalUnit,
)
from zhili.indices.campaigns.scoring import score_campaign
from zhili.org.models import Region
from zhili.org.users.models import User

UNITS, CRITERIA, ITEMS, RESPONSES = 35, 214, 6467, 3500
METHODS = ["field_survey"] * 90 + ["online_review"] * 30 + ["field_monitoring"] * 30
METHODS += ["department_review"] * 54 + ["questionnaire"] * 10


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def build(session: Session) -> EvalCampaign:
    rng = random.Random(1)
    city = Region(level="city", code="539900", name="基准市", path="/")
    session.add(city)
    session.flush()
    city.path = f"/{city.id}/"
    units = [
        Region(level="district", code=f"5399{i:02d}", name=f"区{i}", parent_id=city.id, path="")
        for i in range(1, UNITS + 1)
    ]
    session.add_all(units)
    session.flush()
    for u in units:
        u.path = f"{city.path}{u.id}/"
    user = User(username="bench_eval", full_name="测评", role="evaluator", region_id=city.id)
    session.add(user)
    cat = EvalCatalogue(name="基准体系", filename="b.xlsx", sha256="0" * 64)
    session.add(cat)
    session.flush()
    criteria = []
    for i, method in enumerate(METHODS, start=1):
        criteria.append(
            EvalCriterion(
                catalogue_id=cat.id,
                seq=i,
                code=f"C{i:03d}",
                requirement="要求",
                name=f"标准{i}",
                full_score=5.0,
                method=method,
                evidence=["方案", "记录", "台账"] if method == "department_review" else [],
                site_types=[],
                per_item=1.0,
                cap=4.0,
                question=f"Q{i % 10}" if method == "questionnaire" else None,
            )
        )
    session.add_all(criteria)
    campaign = EvalCampaign(name="基准测评", catalogue_id=cat.id, state="open")
    session.add(campaign)
    session.flush()
    session.add_all(EvalUnit(campaign_id=campaign.id, region_id=u.id) for u in units)
    checked = [
        c for c in criteria if c.method in ("field_survey", "online_review", "field_monitoring")
    ]
    visits = [
        EvalSiteVisit(
            campaign_id=campaign.id,
            region_id=u.id,
            site_type="综治中心",
            site_name=f"{u.name}点位{k}",
            visited_on=date(2026, 11, 1),
            evaluator_id=user.id,
        )
        for u in units
        for k in range(6)
    ]
    session.add_all(visits)
    session.flush()
    session.add_all(
        EvalCheckItem(
            visit_id=rng.choice(visits).id,
            criterion_id=rng.choice(checked).id,
            outcome=rng.choice(["pass", "pass", "fail", "deduction"]),
            deduction=0.5,
            photos=[],
        )
        for _ in range(ITEMS)
    )
    for u in units:
        for c in criteria:
            if c.method == "department_review":
                for item in c.evidence[: rng.randint(0, 3)]:
                    session.add(
                        EvalEvidence(
                            campaign_id=campaign.id,
                            region_id=u.id,
                            criterion_id=c.id,
                            item=item,
                            filename="x.pdf",
                            content_type="application/pdf",
                            size=1,
                            storage_key="k",
                            state="accepted",
                            uploaded_by_id=user.id,
                        )
                    )
    questions = [
        {
            "code": f"Q{k}",
            "kind": "likert" if k % 2 else "awareness",
            "text": f"题{k}",
            "options": [],
            "positive": [],
            "positive_min": 4,
            "required": True,
        }
        for k in range(10)
    ]
    qn = EvalQuestionnaire(campaign_id=campaign.id, title="问卷", questions=questions)
    session.add(qn)
    session.flush()
    session.add_all(
        EvalResponse(
            questionnaire_id=qn.id,
            region_id=rng.choice(units).id,
            answers={
                q["code"]: (rng.randint(1, 5) if q["kind"] == "likert" else rng.random() < 0.8)
                for q in questions
            },
        )
        for _ in range(RESPONSES)
    )
    session.flush()
    return campaign


def bare(session: Session, campaign_id: int) -> int:
    n = len(
        session.execute(
            select(
                EvalSiteVisit.region_id,
                EvalCheckItem.criterion_id,
                EvalCheckItem.outcome,
                EvalCheckItem.deduction,
            )
            .join(EvalSiteVisit, EvalSiteVisit.id == EvalCheckItem.visit_id)
            .where(EvalSiteVisit.campaign_id == campaign_id)
        ).all()
    )
    n += len(session.execute(select(EvalEvidence.region_id, EvalEvidence.item)).all())
    n += len(session.execute(select(EvalResponse.region_id, EvalResponse.answers)).all())
    return n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(Settings(database_url=url))
    migrate.upgrade(engine)
    with make_session_factory(engine)() as session:
        t = time.perf_counter()
        campaign = build(session)
        session.commit()
        print(
            f"database {engine.dialect.name}; built in {time.perf_counter() - t:.1f} s: "
            f"{UNITS} units × {CRITERIA} criteria, {ITEMS} check items, {RESPONSES} responses"
        )
        t_bare, rows = best_of(args.repeat, lambda: bare(session, campaign.id))
        t_score, units = best_of(args.repeat, lambda: score_campaign(session, campaign))
        t_report, _ = best_of(
            args.repeat,
            lambda: (
                reports.overall_html(r := reports.build(session, campaign, region_ids=None)),
                workbook.overall_workbook(r),
            ),
        )
        print(f"reference: bare SELECT of the {rows} fact rows    {t_bare * 1000:8.1f} ms")
        print(f"score_campaign ({len(units)} units, totals, ranks)   {t_score * 1000:8.1f} ms")
        print(f"overall report (score + HTML + Excel)        {t_report * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
