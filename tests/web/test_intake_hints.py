"""Insight at intake on the dispatcher's form: the classifier's top categories with their
confidence, and the open case nearby that looks like the same report, with its evidence."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.orm import Session

from factories.cases import World, report
from factories.org import LAT0, LON0
from factories.texts import labelled
from web.helpers import WebClient
from zhili.core.clock import ManualClock, use_clock
from zhili.insight.classify import service as classify
from zhili.insight.classify import store
from zhili.insight.models import Target

LAMP = "市民来电反映：幸福小区门口的路灯坏了好几天，晚上黑漆漆的不安全，希望尽快处理。"
AGAIN = "来电人称：幸福小区门口路灯坏了好几天了，晚上很黑不安全，请尽快派人来看看。"
SPOT = (1.5, 0.5)  # inside grid G2 of the tiny city


def test_the_intake_form_suggests_categories_and_flags_the_likely_duplicate(
    session: Session, world: World, web: WebClient, app: FastAPI, tmp_path: Path
) -> None:
    store.forget()
    settings = app.state.settings.model_copy(update={"media_root": str(tmp_path / "media")})
    app.state.settings = settings
    texts, labels = labelled(180, seed=5)
    classify.train(
        session, actor=None, settings=settings, target=Target.category,
        texts=texts, labels=labels, source="test",
    )  # fmt: skip
    now = datetime.now(UTC)
    with use_clock(ManualClock(now)):
        earlier = report(session, world, category="C0201", title="小区门口路灯不亮", at=SPOT)
        earlier.description = LAMP
    session.commit()

    web.login(world.staff.dispatcher.username)
    assert "insight-hints" in web.get("/work/intake").text
    lon, lat = LON0 + SPOT[0] + 0.0005, LAT0 + SPOT[1]  # about 50 m east of the first report
    params = {"title": "路灯不亮", "description": AGAIN, "lon": str(lon), "lat": str(lat)}
    hints = web.get("/work/intake/hints", params=params)
    assert hints.status_code == 200
    assert "智能分类建议：" in hints.text and "路灯" in hints.text
    assert "疑似重复件" in hints.text and earlier.number in hints.text
    assert re.search(r"相距 (4\d|5\d) 米", hints.text)

    # far away: still a suggestion, no duplicate; a half-typed coordinate is no error
    far = web.get("/work/intake/hints", params={**params, "lon": str(lon + 0.1)})
    assert "智能分类建议" in far.text and "疑似重复件" not in far.text
    assert web.get("/work/intake/hints", params={**params, "lon": "1."}).status_code == 200
    # a gridder is not a registrar: no hints
    web.login(world.staff.gridder.username)
    assert "智能分类建议" not in web.get("/work/intake/hints", params=params).text
