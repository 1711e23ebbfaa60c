"""The indices API as a leader and a gridder meet it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.indices import DATA, FW
from factories.org import auth, make_tiny_city, make_user, token_for
from zhili.core.security import Role
from zhili.indices import demo, framework, tables
from zhili.org.models import Region


def _leader(session: Session) -> dict[str, str]:
    city = make_tiny_city(session)
    headers = auth(token_for(session, make_user(session, role=Role.leader, region=city.district)))
    session.commit()
    return headers


def test_compute_from_an_uploaded_framework_and_data(client: TestClient, session: Session) -> None:
    headers = _leader(session)
    files = {"framework": ("f.yaml", FW.encode()), "data": ("d.csv", DATA.encode())}
    r = client.post("/api/v1/indices/compute", files=files, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    u3 = next(u for u in body["units"] if u["code"] == "u3")
    assert u3["ranks"]["IDX"] == 1 and u3["scores"]["D1"] == 62.5
    assert {w["code"]: w["weight"] for w in body["effective_weights"]}["B"] == 0.5
    csv = client.post("/api/v1/indices/compute?format=csv", files=files, headers=headers)
    assert csv.text.splitlines()[0] == "code,name,IDX,IDX_rank,D1,D1_rank,D2,D2_rank,veto"


def test_shipped_frameworks_are_listed_and_computed_by_name(
    client: TestClient, session: Session
) -> None:
    headers = _leader(session)
    listed = client.get("/api/v1/indices/frameworks", headers=headers).json()
    gansu = next(f for f in listed if f["name"] == "gansu_safety")
    assert (gansu["indicators"], gansu["veto_indicators"]) == (133, 5)
    fw = framework.load("kunming_social_governance")
    units = [demo.Unit(f"S{i}", f"街道{i}", 30000, f"D{i % 3}") for i in range(12)]
    t = demo.demo_table(fw, units)
    header = ["code", "name", *t.columns]
    rows = [
        [c, n, *(t.cells[k][i] for k in t.columns)]
        for i, (c, n) in enumerate(zip(t.codes, t.names, strict=True))
    ]
    data = tables.write_csv(header, rows).encode()
    r = client.post(
        "/api/v1/indices/uncertainty",
        data={"framework_name": "kunming_social_governance", "runs": "70"},
        files={"data": ("d.csv", data)},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["runs"] == 70 and len(r.json()["charts"]["rank_intervals"]["units"]) == 12


def test_bad_uploads_are_422_naming_the_problem_and_gridders_may_not(
    client: TestClient, session: Session
) -> None:
    headers = _leader(session)
    cyclic = FW.replace(
        "{code: D1, name: 维度一, parent: IDX, weight: 2}", "{code: D1, name: 维度一, parent: D1}"
    )
    r = client.post(
        "/api/v1/indices/compute",
        files={"framework": ("f.yaml", cyclic.encode()), "data": ("d.csv", DATA.encode())},
        headers=headers,
    )
    assert r.status_code == 422 and "cycle" in r.json()["detail"][0]["msg"]
    r = client.post(
        "/api/v1/indices/compute",
        files={
            "framework": ("f.yaml", FW.encode()),
            "data": ("d.csv", b"code,name,A,B\nu,x,1,2\n"),
        },
        headers=headers,
    )
    assert r.status_code == 422 and "unknown column C" in r.json()["detail"][0]["msg"]
    grid = session.scalar(select(Region).where(Region.level == "grid"))
    gridder = make_user(session, role=Role.gridder, region=grid)
    g = auth(token_for(session, gridder))
    session.commit()
    assert client.get("/api/v1/indices/frameworks", headers=g).status_code == 403
