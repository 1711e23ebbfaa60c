"""Standard addresses: the hierarchy, corrections that cascade, and free-text search that
forgives the ways people write an address."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.basedata import BaseWorld, make_base
from factories.org import auth, token_for
from zhili.basedata.addresses import search
from zhili.basedata.addresses.models import Address
from zhili.basedata.addresses.schemas import AddressIn, AddressPatch
from zhili.basedata.addresses.service import create_address, search_addresses, update_address
from zhili.core.audit import AuditLog
from zhili.core.config import Settings
from zhili.core.errors import Forbidden, ValidationFailed

API = "/api/v1/basedata"


@pytest.fixture
def w(session: Session, settings: Settings) -> BaseWorld:
    return make_base(session, settings)


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("人民路十八号3幢2单元501", "人民路18号3栋2单元501室"),
        ("人民路１８号 3-2-501", "人民路18号3栋2单元501室"),
        ("阳光花园三号楼五零一室", "阳光花园3栋501室"),
        ("青山村一百零五号", "青山村105号"),
    ],
)
def test_the_many_spellings_of_one_address_normalise_alike(text: str, normalised: str) -> None:
    assert search.normalise(text) == normalised


def test_numbers_must_match_exactly_and_a_contradicting_room_costs_more() -> None:
    q = search.tokens(search.normalise("人民路18号3-2-501"))
    right = search.tokens(search.normalise("人民路18号阳光花园3栋2单元501室"))
    neighbour = search.tokens(search.normalise("人民路18号阳光花园3栋2单元502室"))
    assert search.score(q, right, []) > 0.9 > 0.5 > search.score(q, neighbour, [])


def test_search_finds_the_room_from_shorthand_and_a_typo(session: Session, w: BaseWorld) -> None:
    [(best, score), *_] = search_addresses(session, text="人名路18号3-2-501")  # 民 typed as 名
    assert best.id == w.g1.rooms["501"].id and score > 0.7
    door = search_addresses(session, text="一区人民路18号")[0][0]
    assert door.id == w.g1.door.id  # no room asked: the door plate ranks first
    assert search_addresses(session, text="完全无关的文字") == []


def test_the_search_endpoint_is_open_to_staff_but_not_to_the_public(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    r = client.get(
        f"{API}/addresses/search",
        headers=auth(token_for(session, w.staff.operator)),
        params={"q": "解放路7号3栋2单元101"},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["items"][0]["address"]["code"] == "A0002-3-2-101"
    assert body["normalised"] == "解放路7号3栋2单元101室"
    assert client.get(f"{API}/addresses/search", params={"q": "解放路"}).status_code == 401


def test_a_corrected_road_name_follows_down_to_the_rooms(session: Session, w: BaseWorld) -> None:
    door = w.g1.door
    update_address(
        session,
        actor=None,
        address_id=door.id,
        patch=AddressPatch(version=door.version, road="人民东路"),
    )
    room = session.get_one(Address, w.g1.rooms["501"].id)
    assert room.road == "人民东路" and "人民东路18号" in room.full_text
    assert search_addresses(session, text="人民东路18号3-2-501")[0][0].id == room.id
    [row] = session.scalars(select(AuditLog).where(AuditLog.action == "address.update"))
    assert row.before is not None and row.before["road"] == "人民路"
    assert row.after is not None and row.after["cascaded"] == 4  # building, unit, two rooms


def test_hierarchy_rules(session: Session, w: BaseWorld) -> None:
    with pytest.raises(ValidationFailed, match="parent"):
        create_address(
            session, actor=None, data=AddressIn(code="X1", room="101", road="a", number="1")
        )
    with pytest.raises(ValidationFailed, match="level up"):
        create_address(
            session, actor=None, data=AddressIn(code="X2", parent_id=w.g1.rooms["501"].id, unit="9")
        )
    with pytest.raises(Forbidden):
        create_address(
            session,
            actor=w.staff.gridder1,
            data=AddressIn(code="X3", grid_id=w.city.grids["G2"].id, road="中山路", number="1"),
        )
