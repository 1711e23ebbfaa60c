"""Residents through the API: masked everywhere by default, unmasked only with the
permission and a reason (and logged), scoped to the reader's area, every change audited."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.basedata import BaseWorld, cid, make_base
from factories.org import auth, token_for
from zhili.basedata.population.models import Resident
from zhili.core.audit import AuditLog
from zhili.core.config import Settings
from zhili.org.users.models import User

API = "/api/v1/basedata"
WANG_ID = cid(born="19650412", seq="031")


@pytest.fixture
def w(session: Session, settings: Settings) -> BaseWorld:
    return make_base(session, settings)


def h(session: Session, user: User) -> dict[str, str]:
    return auth(token_for(session, user))


def masked(body: dict[str, Any]) -> None:
    assert body["id_number"] == WANG_ID[:4] + "*" * 10 + WANG_ID[-4:]
    assert body["phone"] == "139****4321"
    assert body["birth_date"] is None and body["birth_year"] == 1965
    assert body["masked"] is True


def audit_rows(session: Session, action: str) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_every_read_endpoint_masks_by_default(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    headers = h(session, w.staff.community)
    masked(client.get(f"{API}/residents/{w.wang.id}", headers=headers).json())
    page = client.get(f"{API}/residents", headers=headers).json()
    masked(next(r for r in page["items"] if r["id"] == w.wang.id))
    found = client.post(f"{API}/residents/lookup", headers=headers, json={"id_number": WANG_ID})
    masked(found.json())
    household = client.get(f"{API}/households/{w.wang.household_id}", headers=headers).json()
    masked(household["members"][0])
    patched = client.patch(
        f"{API}/residents/{w.wang.id}",
        headers=headers,
        json={"version": w.wang.version, "occupation": "退休"},
    )
    masked(patched.json())
    assert audit_rows(session, "personal_data.read") == []


def test_a_new_resident_comes_back_masked_and_the_number_is_not_stored_in_clear(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    number = cid(born="20010101", seq="015")
    r = client.post(
        f"{API}/residents",
        headers=h(session, w.staff.gridder1),
        json={
            "id_number": number,
            "name": "王小明",
            "household_id": w.g1.households["501"].id,
            "relation": "child",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["id_number"] == "5201**********" + number[-4:]
    row = session.get_one(Resident, r.json()["id"])
    assert number not in (row.id_index, row.id_masked) and number.encode() not in row.id_cipher
    assert (row.gender, row.birth_date.isoformat()) == ("male", "2001-01-01")  # from the number


def test_unmasking_needs_a_reason_and_the_permission_and_is_logged(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    url = f"{API}/residents/{w.wang.id}/unmask"
    community = h(session, w.staff.community)
    assert client.post(url, headers=community, json={"reason": ""}).status_code == 422
    r = client.post(url, headers=community, json={"reason": "核实低保申请"})
    assert r.status_code == 200
    body = r.json()
    assert (body["id_number"], body["phone"], body["birth_date"]) == (
        WANG_ID,
        "13987654321",
        "1965-04-12",
    )
    [row] = audit_rows(session, "personal_data.read")
    assert (row.actor_username, row.entity_id) == ("bd_c", str(w.wang.id))
    assert row.after == {"fields": ["id_number", "birth_date", "phone"], "reason": "核实低保申请"}
    # a gridder may not unmask at all; a dispatcher sees the phone but never the ID number
    assert (
        client.post(
            url, headers=h(session, w.staff.gridder1), json={"reason": "随便看看"}
        ).status_code
        == 403
    )
    d = client.post(url, headers=h(session, w.staff.dispatcher), json={"reason": "回访联系"}).json()
    assert d["phone"] == "13987654321" and d["id_number"].count("*") == 10


def test_a_gridder_sees_only_their_own_grid(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    g1 = h(session, w.staff.gridder1)
    # one record of another grid: 404, as if it did not exist
    assert client.get(f"{API}/residents/{w.li.id}", headers=g1).status_code == 404
    lookup = client.post(
        f"{API}/residents/lookup",
        headers=g1,
        json={"id_number": cid(area="520103", born="19880921", seq="042")},
    )
    assert lookup.status_code == 404
    assert client.get(f"{API}/households/{w.li.household_id}", headers=g1).status_code == 404
    # lists: filtered
    ids = [r["id"] for r in client.get(f"{API}/residents", headers=g1).json()["items"]]
    assert ids == [w.wang.id]
    # asking for another grid's area: 403
    r = client.get(f"{API}/residents", headers=g1, params={"region_id": w.city.grids["G2"].id})
    assert r.status_code == 403
    # the community above both grids sees both
    ids = {
        r["id"]
        for r in client.get(f"{API}/residents", headers=h(session, w.staff.community)).json()[
            "items"
        ]
    }
    assert ids == {w.wang.id, w.li.id}


def test_roles_without_base_data_get_403(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    assert client.get(f"{API}/residents", headers=h(session, w.staff.operator)).status_code == 403


def test_special_groups_are_visible_only_to_roles_that_follow_them(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    url = f"{API}/residents/{w.wang.id}/special-groups"
    r = client.post(
        url, headers=h(session, w.staff.gridder1), json={"special_group": "released_prisoner"}
    )
    assert r.status_code == 200 and r.json()["special_groups"] == ["released_prisoner"]
    masked(r.json())
    community = client.get(
        f"{API}/residents/{w.wang.id}", headers=h(session, w.staff.community)
    ).json()
    assert community["special_groups"] == ["released_prisoner"]
    dispatcher = h(session, w.staff.dispatcher)
    assert (
        client.get(f"{API}/residents/{w.wang.id}", headers=dispatcher).json()["special_groups"]
        is None
    )
    r = client.get(
        f"{API}/residents", headers=dispatcher, params={"special_group": "released_prisoner"}
    )
    assert r.status_code == 403
    assert (
        client.post(url, headers=dispatcher, json={"special_group": "drug_user"}).status_code == 403
    )
    assert [a.after for a in audit_rows(session, "special_group.add")] == [
        {"special_group": "released_prisoner", "since": None}
    ]


def test_corrections_and_deletions_are_audited(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    headers = h(session, w.staff.gridder1)
    r = client.patch(
        f"{API}/residents/{w.wang.id}",
        headers=headers,
        json={"version": w.wang.version, "phone": "13600001111"},
    )
    assert r.status_code == 200
    [update] = audit_rows(session, "resident.update")
    assert (update.before, update.after) == (
        {"phone": "13987654321"},
        {"phone": "13600001111"},
    )
    stale = client.patch(
        f"{API}/residents/{w.wang.id}", headers=headers, json={"version": 1, "phone": "13600002222"}
    )
    assert stale.status_code == 409
    gender = client.patch(
        f"{API}/residents/{w.wang.id}", headers=headers, json={"version": 2, "gender": "female"}
    )
    assert gender.status_code == 422 and gender.json()["detail"][0]["loc"] == ["body", "gender"]
    assert (
        client.delete(
            f"{API}/residents/{w.wang.id}", headers=headers, params={"reason": "迁出"}
        ).status_code
        == 204
    )
    [deleted] = audit_rows(session, "resident.delete")
    assert deleted.before is not None and deleted.before["id_masked"].startswith("5201")
    assert deleted.after == {"reason": "迁出"}
    assert WANG_ID not in str(deleted.before)
    assert session.scalar(select(Resident.id).where(Resident.id == w.wang.id)) is None


def test_bad_input_is_a_422_naming_the_field(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    headers = h(session, w.staff.gridder1)
    base = {"name": "赵六", "household_id": w.g1.households["502"].id}
    bad_check = WANG_ID[:17] + ("0" if WANG_ID[17] != "0" else "1")
    for body, field in (
        ({**base, "id_number": bad_check}, "id_number"),
        ({**base, "id_number": cid(born="19900230")[:17] + "0"}, "id_number"),
        ({**base, "id_number": cid(seq="077"), "phone": "12345"}, "phone"),
        ({**base, "id_number": cid(seq="079"), "resident_type": "left_behind"}, "left_behind_kind"),
    ):
        r = client.post(f"{API}/residents", headers=headers, json=body)
        assert r.status_code == 422, body
        assert r.json()["detail"][0]["loc"] == ["body", field]
    again = client.post(f"{API}/residents", headers=headers, json={**base, "id_number": WANG_ID})
    assert again.status_code == 409
    # writing into another grid's household is refused
    other = {**base, "id_number": cid(seq="081"), "household_id": w.g2.households["102"].id}
    assert client.post(f"{API}/residents", headers=headers, json=other).status_code == 403
