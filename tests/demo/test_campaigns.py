"""The demo campaign runs end to end through the services on the small test city."""

from __future__ import annotations

import tempfile

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories.cases import make_world
from factories.org import make_user
from zhili.cases.storage import LocalStorage
from zhili.core.config import Settings
from zhili.core.security import Role
from zhili.demo.campaigns import build_demo_campaign
from zhili.indices.campaigns.models import EvalRectification
from zhili.indices.campaigns.scoring import score_campaign


def test_the_demo_campaign_is_closed_scored_and_has_its_tasks(
    session: Session, settings: Settings
) -> None:
    w = make_world(session, settings)
    make_user(session, role=Role.evaluator, region=w.city.city, username="evaluator_city_1")
    storage = LocalStorage(tempfile.mkdtemp(prefix="zhili-demo-"))
    campaign = build_demo_campaign(session, settings=settings, storage=storage, seed=3)
    assert campaign is not None and campaign.state == "closed"
    (unit,) = score_campaign(session, campaign)
    assert unit.name == "一街道" and all(c.score is not None for c in unit.criteria)
    shortfalls = sum(1 for c in unit.criteria if c.shortfall)
    tasks = session.scalar(select(func.count()).select_from(EvalRectification))
    assert tasks == shortfalls
    # built once: a second call finds the catalogue and does nothing
    assert build_demo_campaign(session, settings=settings, storage=storage) is None
