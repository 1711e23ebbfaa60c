"""Intake by standard address: a caller who names a door plate or a flat instead of a point
is placed through the base-data address register, whatever way they spell it; an address
the register does not know is a 422 naming the field, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories.basedata import BaseWorld, make_base
from factories.org import auth, token_for
from zhili.cases.models import Case
from zhili.core.config import Settings

API = "/api/v1"


@pytest.fixture
def w(session: Session, settings: Settings) -> BaseWorld:
    world = make_base(session, settings)
    session.commit()
    return world


def body(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "channel": "hotline",
        "title": "楼道灯不亮",
        "description": "三单元楼道灯坏了一周",
        "reporter_phone": "13900001234",
    }
    data.update(changes)
    return data


def post(client: TestClient, session: Session, w: BaseWorld, **changes: Any) -> Any:
    h = auth(token_for(session, w.staff.operator))
    session.commit()
    return client.post(f"{API}/cases", json=body(**changes), headers=h)


@pytest.mark.parametrize(
    "text", ["人民路18号阳光花园3栋2单元501室", "人民路十八号3-2-501", "人民路18号3幢2单元501"]
)
def test_a_flat_named_in_any_spelling_places_the_case_in_its_grid(
    client: TestClient, session: Session, w: BaseWorld, text: str
) -> None:
    r = post(client, session, w, standard_address=text)
    assert r.status_code == 201, r.text
    case = r.json()
    room = w.g1.rooms["501"]
    assert case["grid_id"] == room.grid_id == w.city.grids["G1"].id
    assert case["street_id"] == w.city.street.id
    assert case["address"] == room.full_text
    # the room has no point of its own: the door plate's is used
    assert (case["lon"], case["lat"]) == (w.g1.door.lon, w.g1.door.lat)


def test_the_reporter_s_own_wording_is_kept_when_given(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    r = post(client, session, w, standard_address="解放路7号", address="解放路7号门口的井盖")
    assert r.status_code == 201, r.text
    assert r.json()["grid_id"] == w.city.grids["G2"].id
    assert r.json()["address"] == "解放路7号门口的井盖"


def test_an_unknown_address_is_a_422_naming_the_field_and_writes_nothing(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    before = session.scalar(select(func.count()).select_from(Case))
    r = post(client, session, w, standard_address="幸福大道999号")
    assert r.status_code == 422, r.text
    assert "standard_address" in r.text and "标准地址" in r.text
    assert session.scalar(select(func.count()).select_from(Case)) == before


def test_an_address_and_a_point_together_are_refused(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    r = post(client, session, w, standard_address="解放路7号", lon=106.7, lat=26.6)
    assert r.status_code == 422
    assert "standard address" in r.text
