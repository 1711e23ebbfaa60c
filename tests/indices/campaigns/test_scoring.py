"""Scores of the small campaign in factories/campaigns.py, worked out by hand.

S1 (一街道):
  C1: items fail, fail, fail (−2 each) and a named −3 → 9 points off, capped at 6 → 10 − 6 = 4
  C2: one named −1.5 → 5 − 1.5 = 3.5
  C3: 工作方案 and 台账 accepted, 会议记录 rejected → one missing × (6 ÷ 3) → 6 − 2 = 4
  C4: 7 of 10 answered ≥ 4 → 70 %; (0.70 − 0.50) ÷ (0.90 − 0.50) = 0.5 → 10 × 0.5 = 5
  C5: 8 of 10 aware → 80 % → 4 × 0.8 = 3.2
  total 19.7 of 35 → 56.29 %; shortfalls (< 60 % of full): C1 (4 < 6) and C4 (5 < 6)
S2 (二街道):
  C1 10, C2 5 (all items pass); C3 nothing uploaded → 3 × 2 = 6 off → 0; C4 100 % → capped
  at full → 10; C5 100 % → 4; total 29 of 35 → 82.86 %, rank 1; shortfall C3
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.campaigns import evidence, fill_first_round, open_campaign, setup, visit
from zhili.core.audit import AuditLog
from zhili.core.config import Settings
from zhili.core.errors import Conflict, ValidationFailed
from zhili.indices.campaigns.evidence import service as evidence_service
from zhili.indices.campaigns.questionnaires import service as surveys
from zhili.indices.campaigns.scoring import score_campaign
from zhili.indices.campaigns.tally import tally, wilson


def _scores(session: Session, campaign) -> dict[str, dict[str, float | None]]:  # type: ignore[no-untyped-def]
    return {
        u.name: {c.code: c.score for c in u.criteria} for u in score_campaign(session, campaign)
    }


def test_a_small_campaign_scores_as_computed_by_hand(session: Session, settings: Settings) -> None:
    s = setup(session, settings)
    fill_first_round(session, s, settings)
    units = {u.name: u for u in score_campaign(session, s.campaign)}
    assert _scores(session, s.campaign) == {
        "一街道": {"C1": 4.0, "C2": 3.5, "C3": 4.0, "C4": 5.0, "C5": 3.2},
        "二街道": {"C1": 10.0, "C2": 5.0, "C3": 0.0, "C4": 10.0, "C5": 4.0},
    }
    s1, s2 = units["一街道"], units["二街道"]
    assert (s1.total, s1.full, s1.rate, s1.rank) == (pytest.approx(19.7), 35.0, 56.29, 2)
    assert (s2.total, s2.full, s2.rate, s2.rank) == (29.0, 35.0, 82.86, 1)
    assert [c.code for c in s1.criteria if c.shortfall] == ["C1", "C4"]
    assert [c.code for c in s2.criteria if c.shortfall] == ["C3"]
    c1 = next(c for c in s1.criteria if c.code == "C1")
    assert "扣 9 分" in c1.detail and "封顶 6 分" in c1.detail
    c3 = next(c for c in s1.criteria if c.code == "C3")
    assert c3.detail.endswith("缺：会议记录")


def test_the_satisfaction_rate_carries_its_wilson_interval(
    session: Session, settings: Settings
) -> None:
    s = setup(session, settings)
    fill_first_round(session, s, settings)
    s1 = next(u for u in score_campaign(session, s.campaign) if u.name == "一街道")
    q1 = s1.surveys["Q1"].as_dict()
    # 7 of 10: Wilson 95 % interval (0.3968, 0.8922), as in Newcombe (1998), table I.
    assert (q1["n"], q1["positive"], q1["rate"]) == (10, 7, 0.7)
    assert q1["ci_low"] == pytest.approx(0.3968, abs=1e-4)
    assert q1["ci_high"] == pytest.approx(0.8922, abs=1e-4)
    assert q1["counts"] == {"非常满意": 3, "比较满意": 4, "一般": 1, "不太满意": 1, "非常不满意": 1}
    q2 = s1.surveys["Q2"].as_dict()
    assert (q2["n"], q2["positive"]) == (10, 8)
    assert q2["ci_low"] == pytest.approx(0.4902, abs=1e-4)  # 8/10 → (0.4902, 0.9433)
    assert q2["ci_high"] == pytest.approx(0.9433, abs=1e-4)
    s2 = next(u for u in score_campaign(session, s.campaign) if u.name == "二街道")
    assert s2.surveys["Q3"].rate is None and s2.surveys["Q3"].counts == {"热线": 5}


def test_wilson_by_hand_and_at_the_edges() -> None:
    # k = 0, n = 10: centre = (z²/20)/(1 + z²/10) = half, so the interval starts at 0 and
    # ends at z²/n ÷ (1 + z²/n) = 0.38415 / 1.38415 = 0.27753.
    low, high = wilson(0, 10)
    assert low == 0.0 and high == pytest.approx(0.27753, abs=1e-5)
    assert wilson(10, 10)[0] == pytest.approx(1 - 0.27753, abs=1e-5)
    assert wilson(0, 0) == (0.0, 1.0)
    question = {
        "code": "A",
        "kind": "single",
        "text": "?",
        "options": ["满意", "基本满意", "不满意"],
        "positive": ["满意", "基本满意"],
    }
    t = tally([question], [{"A": "满意"}, {"A": "基本满意"}, {"A": "不满意"}, {}])
    assert (t["A"].n, t["A"].positive) == (3, 2)


def test_a_criterion_without_facts_is_not_scored_and_does_not_count(
    session: Session, settings: Settings
) -> None:
    s = setup(session, settings)
    open_campaign(session, s)
    visit(session, s, s.s1, "综治中心", [{"criterion_code": "C1", "outcome": "fail"}])
    s1 = next(u for u in score_campaign(session, s.campaign) if u.name == "一街道")
    scores = {c.code: c.score for c in s1.criteria}
    # C3 (department review) is scored even with nothing uploaded: missing materials deduct.
    assert scores == {"C1": 8.0, "C2": None, "C3": 0.0, "C4": None, "C5": None}
    assert (s1.total, s1.full, s1.rate) == (8.0, 16.0, 50.0)


def test_illegal_steps_are_refused_and_change_nothing(session: Session, settings: Settings) -> None:
    s = setup(session, settings)
    with pytest.raises(Conflict):  # still a draft
        visit(session, s, s.s1, "综治中心", [{"criterion_code": "C1", "outcome": "fail"}])
    open_campaign(session, s)
    with pytest.raises(ValidationFailed) as e:
        visit(session, s, s.s1, "综治中心", [{"criterion_code": "C4", "outcome": "fail"}])
    assert e.value.field == "items.0.criterion_code"
    with pytest.raises(ValidationFailed) as e:
        visit(session, s, s.s1, "学校", [{"criterion_code": "C1", "outcome": "fail"}])
    assert e.value.field == "site_type"
    with pytest.raises(ValidationFailed) as e:
        evidence(session, s, settings, s.street1, s.s1, "照片")
    assert e.value.field == "item"
    eid = evidence(session, s, settings, s.street1, s.s1, "台账")
    with pytest.raises(ValidationFailed) as e:
        evidence_service.review_evidence(session, actor=s.reviewer, evidence_id=eid, accept=False)
    assert e.value.field == "reason"
    evidence_service.review_evidence(session, actor=s.reviewer, evidence_id=eid, accept=True)
    with pytest.raises(Conflict):
        evidence_service.review_evidence(session, actor=s.reviewer, evidence_id=eid, accept=True)
    for answers, field in (
        ({"Q1": 6, "Q2": True}, "answers.Q1"),
        ({"Q1": True, "Q2": True}, "answers.Q1"),  # a bool is not a Likert answer
        ({"Q1": 4}, "answers.Q2"),
        ({"Q1": 4, "Q2": True, "Q3": "信访"}, "answers.Q3"),
        ({"Q1": 4, "Q2": True, "Q9": 1}, "answers.Q9"),
    ):
        with pytest.raises(ValidationFailed) as e:
            surveys.submit_collected(
                session, actor=s.evaluator, questionnaire_id=s.questionnaire_id,
                region_id=s.s1.id, answers=answers,
            )  # fmt: skip
        assert e.value.field == field
    actions = session.scalars(
        select(AuditLog.action).where(AuditLog.action.like("evaluation.%"))
    ).all()
    assert actions.count("evaluation.record_visit") == 0
    assert actions.count("evaluation.review_evidence") == 1
