"""Grid work: a gridder logs household visits, raises a case from one in the same step,
and the year's coverage is measured per grid and per gridder against the 90 % target."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.basedata import BaseWorld, make_base
from factories.org import auth, token_for
from zhili.basedata.visits import service as visits
from zhili.basedata.visits.models import HouseholdVisit
from zhili.basedata.visits.schemas import VisitIn
from zhili.cases.models import Case
from zhili.core.clock import utcnow
from zhili.core.config import Settings
from zhili.core.errors import Forbidden

API = "/api/v1/basedata"


@pytest.fixture
def w(session: Session, settings: Settings) -> BaseWorld:
    return make_base(session, settings)


def visit(
    session: Session, w: BaseWorld, room: str, days_ago: int, gridder: str = "gridder1"
) -> None:
    place = w.g1 if room.startswith("5") else w.g2
    visits.log_visit(
        session,
        actor=getattr(w.staff, gridder),
        cache=w.cache,
        data=VisitIn(
            household_id=place.households[room].id, visited_at=utcnow() - timedelta(days=days_ago)
        ),
    )


def test_a_visit_raises_a_case_in_one_step(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    r = client.post(
        f"{API}/visits",
        headers=auth(token_for(session, w.staff.gridder1)),
        json={
            "household_id": w.g1.households["501"].id,
            "kind": "dispute",
            "findings": "楼上漏水，邻里有矛盾",
            "raise_case": {
                "title": "楼上漏水引发邻里纠纷",
                "description": "501室天花板渗水，楼上不配合维修",
            },
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    case = session.get_one(Case, body["case_id"])
    assert body["case_number"] == case.number
    assert (case.channel, case.grid_id, case.created_by_id) == (
        "gridder",
        w.city.grids["G1"].id,
        w.staff.gridder1.id,
    )
    assert case.address is not None and case.address.endswith("人民路18号阳光花园3栋2单元501室")


def test_a_case_that_cannot_be_raised_leaves_no_visit_behind(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    r = client.post(
        f"{API}/visits",
        headers=auth(token_for(session, w.staff.gridder1)),
        json={
            "household_id": w.g1.households["501"].id,
            "raise_case": {"title": "占道经营", "description": "门口占道", "category_id": 999999},
        },
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "category_id"]
    assert session.scalar(select(HouseholdVisit.id)) is None
    assert session.scalar(select(Case.id)) is None


def test_a_gridder_cannot_visit_another_grid_nor_in_the_future(
    session: Session, w: BaseWorld
) -> None:
    with pytest.raises(Forbidden):
        visit(session, w, "101", days_ago=1, gridder="gridder1")
    with pytest.raises(Exception, match="future"):
        visit(session, w, "501", days_ago=-1)


def test_coverage_counts_each_household_once_over_the_rolling_year(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    visit(session, w, "501", days_ago=10)
    visit(session, w, "501", days_ago=40)  # the same household again: still one
    visit(session, w, "502", days_ago=400)  # outside the rolling year
    visit(session, w, "101", days_ago=3, gridder="gridder2")
    visit(session, w, "102", days_ago=300, gridder="gridder2")
    session.flush()
    r = client.get(f"{API}/visits/coverage", headers=auth(token_for(session, w.staff.community)))
    assert r.status_code == 200
    body = r.json()
    rows = {
        row["name"]: (row["households"], row["visited"], row["rate"], row["meets_target"])
        for row in body["rows"]
    }
    assert rows == {"第1网格": (2, 1, 0.5, False), "第2网格": (2, 2, 1.0, True)}
    assert (body["target"], body["households"], body["visited"], body["below_target"]) == (
        0.9,
        4,
        3,
        1,
    )
    by_gridder = client.get(
        f"{API}/visits/coverage",
        headers=auth(token_for(session, w.staff.community)),
        params={"by": "gridder"},
    ).json()
    assert {row["code"]: row["rate"] for row in by_gridder["rows"]} == {"bd_g1": 0.5, "bd_g2": 1.0}
    # a gridder sees their own grid only; another grid by id is 403
    mine = client.get(
        f"{API}/visits/coverage", headers=auth(token_for(session, w.staff.gridder1))
    ).json()
    assert [row["name"] for row in mine["rows"]] == ["第1网格"]
    other = client.get(
        f"{API}/visits/coverage",
        headers=auth(token_for(session, w.staff.gridder1)),
        params={"region_id": w.city.grids["G2"].id},
    )
    assert other.status_code == 403


def test_the_grid_profile(client: TestClient, session: Session, w: BaseWorld) -> None:
    visit(session, w, "501", days_ago=5)
    session.flush()
    url = f"{API}/grids/{w.city.grids['G1'].id}/profile"
    body = client.get(url, headers=auth(token_for(session, w.staff.gridder1))).json()
    assert (body["households"], body["residents"], body["residents_by_type"]) == (
        2,
        1,
        {"registered": 1},
    )
    assert body["dwellings_by_use"] == {"self_occupied": 2}
    assert (body["visit_rate"], body["visit_target"], body["open_cases"]) == (0.5, 0.9, 0)
    assert body["special_groups"] == {} and body["gridders"] == ["张伟"]
    leader_view = client.get(url, headers=auth(token_for(session, w.staff.dispatcher))).json()
    assert leader_view["special_groups"] is None
    other = client.get(
        f"{API}/grids/{w.city.grids['G2'].id}/profile",
        headers=auth(token_for(session, w.staff.gridder1)),
    )
    assert other.status_code == 403
