"""`source: metric:<name>` indicators take zhili's own figures for the period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories.assessment import march_story
from zhili.assessment.metrics import UnitKind
from zhili.assessment.scorecards import scorecards
from zhili.cases.models import Case
from zhili.core.config import Settings
from zhili.indices import demo, framework
from zhili.indices.metrics import fill_metrics, units_from_db

MARCH = (
    datetime.fromisoformat("2026-03-01T00:00+08:00"),
    datetime.fromisoformat("2026-04-01T00:00+08:00"),
)


def test_rates_and_cases_per_10k_come_from_the_case_events(
    session: Session, settings: Settings
) -> None:
    w, _ = march_story(session, settings)
    w.city.street.population = 20000
    session.flush()
    fw = framework.load("kunming_social_governance")
    units = units_from_db(session, level="street")
    assert [u.code for u in units] == [w.city.street.code] and units[
        0
    ].district == w.city.district.code
    table = demo.demo_table(fw, units)
    filled, codes = fill_metrics(
        session, settings=settings, framework=fw, table=table, level="street",
        start=MARCH[0], end=MARCH[1],
    )  # fmt: skip
    assert codes == ["SATISFACTION", "RESPONSE", "RESOLUTION", "ONTIME_CLOSURE", "CASES"]
    card = scorecards(
        session, settings=settings, kind=UnitKind.street, start=MARCH[0], end=MARCH[1]
    )
    expected = card[w.city.street.id].figures["satisfaction_rate"].rate
    assert expected is not None and filled.numbers("SATISFACTION")[0] == expected
    n = session.scalar(
        select(func.count()).select_from(Case).where(Case.street_id == w.city.street.id)
    )
    assert n and filled.numbers("CASES")[0] == 10000 * n / 20000
    assert table.numbers("CRIME")[0] == filled.numbers("CRIME")[0]  # other columns untouched
