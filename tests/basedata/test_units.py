"""Units (实有单位): credit code checked, contact phone masked in every view and export,
scope as for residents, deletion audited."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.basedata import BaseWorld, make_base
from factories.org import auth, token_for
from zhili.core.audit import AuditLog
from zhili.core.config import Settings

API = "/api/v1/basedata"
HUAWEI = "914403001922038216"


@pytest.fixture
def w(session: Session, settings: Settings) -> BaseWorld:
    return make_base(session, settings)


def test_a_unit_is_masked_everywhere_and_unmasked_with_a_logged_reason(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    gridder = auth(token_for(session, w.staff.gridder1))
    body = {
        "uscc": HUAWEI.lower(),
        "name": "华为技术有限公司黔安分公司",
        "address_id": w.g1.door.id,
        "contact_name": "赵工",
        "contact_phone": "13912345678",
        "staff_count": 80,
    }
    r = client.post(f"{API}/units", headers=gridder, json=body)
    assert r.status_code == 201, r.text
    unit = r.json()
    assert (unit["uscc"], unit["contact_phone"], unit["masked"]) == (HUAWEI, "139****5678", True)
    assert unit["address"].endswith("人民路18号阳光花园")
    assert (
        client.get(f"{API}/units/{unit['id']}", headers=gridder).json()["contact_phone"]
        == "139****5678"
    )
    listed = client.get(f"{API}/units", headers=gridder).json()["items"]
    assert [u["contact_phone"] for u in listed] == ["139****5678"]
    export = client.get(
        f"{API}/exports/units.csv", headers=auth(token_for(session, w.staff.community))
    )
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0]["联系电话"] == "139****5678" and rows[0]["统一社会信用代码"] == HUAWEI
    url = f"{API}/units/{unit['id']}/unmask"
    assert client.post(url, headers=gridder, json={"reason": "联系企业负责人"}).status_code == 403
    dispatcher = auth(token_for(session, w.staff.dispatcher))
    shown = client.post(url, headers=dispatcher, json={"reason": "联系企业负责人"}).json()
    assert shown["contact_phone"] == "13912345678"
    [read] = session.scalars(select(AuditLog).where(AuditLog.action == "personal_data.read"))
    assert read.entity_type == "unit" and read.after == {
        "fields": ["contact_phone"],
        "reason": "联系企业负责人",
    }


def test_bad_codes_scope_and_deletion(client: TestClient, session: Session, w: BaseWorld) -> None:
    gridder = auth(token_for(session, w.staff.gridder1))
    base = {"name": "某某商店", "address_id": w.g1.door.id}
    r = client.post(f"{API}/units", headers=gridder, json={**base, "uscc": HUAWEI[:17] + "5"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "uscc"]
    other = client.post(
        f"{API}/units", headers=gridder, json={**base, "uscc": HUAWEI, "address_id": w.g2.door.id}
    )
    assert other.status_code == 403
    created = client.post(f"{API}/units", headers=gridder, json={**base, "uscc": HUAWEI}).json()
    assert (
        client.post(f"{API}/units", headers=gridder, json={**base, "uscc": HUAWEI}).status_code
        == 409
    )
    g2 = auth(token_for(session, w.staff.gridder2))
    assert client.get(f"{API}/units/{created['id']}", headers=g2).status_code == 404
    assert client.get(f"{API}/units", headers=g2).json()["items"] == []
    gone = client.delete(
        f"{API}/units/{created['id']}", headers=gridder, params={"reason": "已注销"}
    )
    assert gone.status_code == 204
    [deleted] = session.scalars(select(AuditLog).where(AuditLog.action == "unit.delete"))
    assert deleted.before is not None and deleted.before["uscc"] == HUAWEI
    assert deleted.after == {"reason": "已注销"}
