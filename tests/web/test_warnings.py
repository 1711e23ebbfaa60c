"""研判预警 on the workbench: insight's warnings appear in the dashboard's feed (inert), and a
dispatcher turns one into a case or dismisses it from its page, in one step each."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.cases import World
from web.helpers import WebClient, messages
from zhili.cases.models import Case, Channel
from zhili.insight.models import InsightWarning

HOSTILE = '<script>alert("x")</script><b>井盖</b>'


def _warning(session: Session, w: World, *, title: str, path: str, fingerprint: str) -> int:
    at = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
    warning = InsightWarning(
        kind="hotspot",
        status="new",
        title=title,
        region_id=w.city.community.id,
        region_path=path,
        period_start=at,
        period_end=at,
        score=5.0,
        evidence={"summary": "7 件，期望 1.2 件", "count": 7, "expected": 1.2},
        fingerprint=fingerprint,
    )
    session.add(warning)
    session.commit()
    return warning.id


def test_a_warning_shows_inert_in_the_feed_and_becomes_a_case_in_one_step(
    session: Session, world: World, web: WebClient
) -> None:
    wid = _warning(
        session, world, title=HOSTILE, path=world.city.community.path, fingerprint="w-here"
    )
    _warning(session, world, title="别区的预警", path="/999999/", fingerprint="w-elsewhere")
    web.login(world.staff.dispatcher.username)
    feed = web.get(f"/dashboard/fragments/insights?region={world.city.district.id}")
    assert feed.status_code == 200
    assert HOSTILE not in feed.text and "&lt;script&gt;" in feed.text
    assert f"/work/warnings/{wid}" in feed.text and "别区的预警" not in feed.text

    page = web.get(f"/work/warnings/{wid}")
    assert page.status_code == 200 and "据此立案" in page.text and HOSTILE not in page.text
    # dismissing needs a reason: refused with a message, nothing changed
    r = web.post(f"/work/warnings/{wid}/dismiss", {"note": ""})
    assert any("忽略预警须填写理由" in m for m in messages(r.text))
    session.expire_all()
    assert session.get(InsightWarning, wid).status == "new"  # type: ignore[union-attr]

    r = web.post(f"/work/warnings/{wid}/case", {"note": "井盖缺失，请核查"})
    assert r.status_code == 200 and any("已据预警立案" in m for m in messages(r.text))
    session.expire_all()
    warning = session.get(InsightWarning, wid)
    assert warning is not None and warning.status == "case" and warning.case_id is not None
    case = session.scalars(select(Case).where(Case.id == warning.case_id)).one()
    assert case.channel == Channel.department and "井盖缺失" in case.description
    # done once: the feed no longer lists it and the page offers no actions
    assert (
        f"/work/warnings/{wid}"
        not in web.get(f"/dashboard/fragments/insights?region={world.city.district.id}").text
    )
    after = web.get(f"/work/warnings/{wid}").text
    assert "据此立案" not in after and f"/work/cases/{case.id}" in after
