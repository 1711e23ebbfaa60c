"""The org and access API as its users meet it: login, scope, errors, audit, lookup."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories.org import (
    LAT0,
    LON0,
    PASSWORD,
    TinyCity,
    auth,
    box,
    make_tiny_city,
    make_user,
    polygon,
    token_for,
)
from zhili.core.audit import AuditLog
from zhili.core.errors import ValidationFailed
from zhili.core.security import Role
from zhili.org import service
from zhili.org.deps import CurrentUser, SessionDep
from zhili.org.models import Region, RegionLevel


def audit_count(session: Session, action: str | None = None) -> int:
    query = select(func.count()).select_from(AuditLog)
    if action:
        query = query.where(AuditLog.action == action)
    return session.scalar(query) or 0


def admin_headers(session: Session, tiny: TinyCity) -> dict[str, str]:
    return auth(
        token_for(
            session, make_user(session, role=Role.admin, region=tiny.city, username="city_admin")
        )
    )


# -- login and tokens ---------------------------------------------------------------------


def test_a_user_logs_in_with_a_password_and_uses_the_token(
    client: TestClient, session: Session
) -> None:
    tiny = make_tiny_city(session)
    make_user(session, role=Role.dispatcher, region=tiny.district, username="disp1")
    session.commit()
    r = client.post("/api/v1/auth/login", json={"username": "disp1", "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_at"]
    me = client.get("/api/v1/users/me", headers=auth(body["access_token"]))
    assert me.json()["username"] == "disp1"
    assert me.json()["phone"] == "13812345678"  # your own number is not masked
    assert audit_count(session, "token.create") == 1


def test_a_wrong_password_and_an_unknown_user_get_the_same_401(
    client: TestClient, session: Session
) -> None:
    make_user(session, role=Role.admin, region=None, username="root")
    session.commit()
    wrong = client.post("/api/v1/auth/login", json={"username": "root", "password": "nope-nope"})
    unknown = client.post("/api/v1/auth/login", json={"username": "ghost", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["message_zh"] == "用户名或密码错误"


def test_requests_without_a_valid_token_get_401(client: TestClient) -> None:
    assert client.get("/api/v1/users/me").status_code == 401
    r = client.get("/api/v1/users/me", headers=auth("zl_not-a-real-token"))
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_a_logged_out_token_stops_working(client: TestClient, session: Session) -> None:
    user = make_user(session, role=Role.admin, region=None, username="leaver")
    headers = auth(token_for(session, user))
    session.commit()
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401


# -- regions ------------------------------------------------------------------------------


def test_the_region_tree_lists_the_city_down_to_its_grids(
    client: TestClient, session: Session
) -> None:
    tiny = make_tiny_city(session)
    headers = admin_headers(session, tiny)
    tree = client.get("/api/v1/regions/tree", params={"depth": 4}, headers=headers).json()
    assert tree["code"] == "529900"
    community = tree["children"][0]["children"][0]["children"][0]
    assert [g["name"] for g in community["children"]] == [
        "第1网格",
        "第2网格",
        "第3网格",
        "第4网格",
    ]
    shallow = client.get("/api/v1/regions/tree", params={"depth": 1}, headers=headers).json()
    assert shallow["children"][0]["children"] == []


def test_regions_are_searched_by_name_or_code_prefix(client: TestClient, session: Session) -> None:
    tiny = make_tiny_city(session)
    headers = admin_headers(session, tiny)
    by_name = client.get("/api/v1/regions", params={"q": "网格"}, headers=headers).json()
    assert by_name["total"] == 4
    by_code = client.get(
        "/api/v1/regions", params={"q": "529901001", "level": "street"}, headers=headers
    ).json()
    assert [r["name"] for r in by_code["items"]] == ["一街道"]
    detail = client.get(f"/api/v1/regions/{tiny.grids['G2'].id}", headers=headers).json()
    assert [a["level"] for a in detail["ancestors"]] == ["city", "district", "street", "community"]


def test_an_unknown_region_is_404(client: TestClient, session: Session) -> None:
    tiny = make_tiny_city(session)
    r = client.get("/api/v1/regions/999999", headers=admin_headers(session, tiny))
    assert r.status_code == 404


def test_an_admin_adds_a_grid_and_the_change_is_audited(
    client: TestClient, session: Session
) -> None:
    tiny = make_tiny_city(session)
    headers = admin_headers(session, tiny)
    before = audit_count(session, "region.create")
    # G1..G4 fill the community, so widen nothing: add a grid under a new community
    r = client.post(
        "/api/v1/regions",
        headers=headers,
        json={
            "parent_id": tiny.street.id,
            "level": "community",
            "code": "529901001002",
            "name": "二社区",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["ancestors"][-1]["id"] == tiny.street.id
    assert audit_count(session, "region.create") == before + 1
    row = session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert row is not None and row.after is not None and row.after["code"] == "529901001002"
    assert row.actor_username == "city_admin" and row.request_id == r.headers["X-Request-ID"]


def test_bad_region_input_gets_422_naming_the_field(client: TestClient, session: Session) -> None:
    tiny = make_tiny_city(session)
    headers = admin_headers(session, tiny)
    base = {"parent_id": tiny.community.id, "level": "grid", "name": "新网格"}
    cases = [
        ({**base, "code": "529901001001"}, "code"),  # 12 digits for a grid
        ({**base, "code": "529902001001009"}, "code"),  # not under its parent's code
        ({**base, "code": "529901001001009", "parent_id": tiny.street.id}, "parent_id"),
        (
            {
                **base,
                "code": "529901001001009",
                "geometry": {"type": "Point", "coordinates": [1, 2]},
            },
            "geometry.type",
        ),
        (
            {
                **base,
                "code": "529901001001009",  # a bow tie crosses itself
                "geometry": polygon(
                    [[106, 26], [106.5, 26.5], [106.5, 26], [106, 26.5], [106, 26]]
                ),
            },
            "geometry",
        ),
        (
            {**base, "code": "529901001001009", "geometry": polygon(box(0.5, 0.2, 0.8, 0.4))},
            "geometry",
        ),  # overlaps G1
        (
            {**base, "code": "529901001001009", "geometry": polygon(box(2.9, 0.2, 3.5, 0.4))},
            "geometry",
        ),  # sticks out of the community
    ]
    count = session.scalar(select(func.count()).select_from(Region))
    for body, field in cases:
        r = client.post("/api/v1/regions", headers=headers, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["detail"][0]["loc"][-1] == field.split(".")[-1], r.text
        assert r.json()["detail"][0]["msg_zh"]
    assert session.scalar(select(func.count()).select_from(Region)) == count
    missing = client.post("/api/v1/regions", headers=headers, json={"level": "grid"})
    assert missing.status_code == 422
    assert {tuple(d["loc"]) for d in missing.json()["detail"]} >= {
        ("body", "code"),
        ("body", "name"),
    }


def test_a_duplicate_code_is_a_conflict(client: TestClient, session: Session) -> None:
    tiny = make_tiny_city(session)
    r = client.post(
        "/api/v1/regions",
        headers=admin_headers(session, tiny),
        json={
            "parent_id": tiny.district.id,
            "level": "street",
            "code": "529901001",
            "name": "重复街道",
        },
    )
    assert r.status_code == 409


def test_staff_cannot_edit_the_tree_and_street_officers_only_their_own_street(
    client: TestClient, session: Session
) -> None:
    tiny = make_tiny_city(session)
    gridder = make_user(session, role=Role.gridder, region=tiny.grids["G1"])
    body = {
        "parent_id": tiny.street.id,
        "level": "community",
        "code": "529901001003",
        "name": "三社区",
    }
    r = client.post("/api/v1/regions", headers=auth(token_for(session, gridder)), json=body)
    assert r.status_code == 403
    # an admin of another district is outside this street's subtree
    other = service.create_region(
        session,
        actor=None,
        level=RegionLevel.district,
        code="529902",
        name="二区",
        parent_id=tiny.city.id,
    )
    other_admin = make_user(session, role=Role.admin, region=other, username="admin2")
    r = client.post("/api/v1/regions", headers=auth(token_for(session, other_admin)), json=body)
    assert r.status_code == 403
    assert "不在您的管辖范围内" in r.json()["message_zh"]


def test_two_editors_of_one_region_cannot_both_win(client: TestClient, session: Session) -> None:
    tiny = make_tiny_city(session)
    headers = admin_headers(session, tiny)
    version = tiny.street.version
    first = client.patch(
        f"/api/v1/regions/{tiny.street.id}",
        headers=headers,
        json={"version": version, "name": "幸福街道"},
    )
    assert first.status_code == 200 and first.json()["version"] == version + 1
    updates = audit_count(session, "region.update")
    second = client.patch(
        f"/api/v1/regions/{tiny.street.id}",
        headers=headers,
        json={"version": version, "name": "和平街道"},
    )
    assert second.status_code == 409
    assert second.json()["current_state"] == f"version {version + 1}"
    assert audit_count(session, "region.update") == updates
    session.expire_all()
    assert session.get(Region, tiny.street.id).name == "幸福街道"  # type: ignore[union-attr]


def test_a_failed_request_leaves_neither_data_nor_audit(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    """The route writes a region and its audit row, then fails: both must vanish."""
    tiny = make_tiny_city(session)
    headers = admin_headers(session, tiny)
    session.commit()

    @app.post("/test/write-then-fail")
    def write_then_fail(db: SessionDep, user: CurrentUser) -> None:
        service.create_region(
            db,
            actor=user,
            level=RegionLevel.community,
            code="529901001077",
            name="半途社区",
            parent_id=tiny.street.id,
        )
        raise ValidationFailed("later_field", "a later step failed", "后续步骤失败")

    regions, audits = (
        session.scalar(select(func.count()).select_from(Region)),
        audit_count(session),
    )
    r = client.post("/test/write-then-fail", headers=headers)
    assert r.status_code == 422
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Region)) == regions
    assert audit_count(session) == audits
    assert session.scalar(select(Region).where(Region.code == "529901001077")) is None


# -- departments --------------------------------------------------------------------------


def test_departments_belong_to_districts_and_are_listed_by_subtree(
    client: TestClient, session: Session
) -> None:
    tiny = make_tiny_city(session)
    headers = admin_headers(session, tiny)
    r = client.post(
        "/api/v1/departments",
        headers=headers,
        json={
            "region_id": tiny.district.id,
            "kind": "urban_management",
            "name": "一区城市管理局",
            "code": "529901-urban_management",
        },
    )
    assert r.status_code == 201, r.text
    bad = client.post(
        "/api/v1/departments",
        headers=headers,
        json={"region_id": tiny.street.id, "kind": "water", "name": "街道水务", "code": "x-water"},
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "region_id"
    listed = client.get("/api/v1/departments", params={"region_id": tiny.city.id}, headers=headers)
    assert [d["name"] for d in listed.json()] == ["一区城市管理局"]


# -- point → grid -------------------------------------------------------------------------


def test_point_lookup_gives_the_grid_and_its_ancestors(
    client: TestClient, session: Session
) -> None:
    tiny = make_tiny_city(session)
    headers = admin_headers(session, tiny)
    r = client.get(
        "/api/v1/grids/lookup", params={"lon": LON0 + 1.5, "lat": LAT0 + 0.5}, headers=headers
    )
    body = r.json()
    assert body["found"] and body["grid"]["code"] == "529901001001002"
    assert body["street"]["name"] == "一街道" and body["city"]["code"] == "529900"
    outside = client.get(
        "/api/v1/grids/lookup", params={"lon": LON0 + 5, "lat": LAT0}, headers=headers
    ).json()
    assert outside == {
        **outside,
        "found": False,
        "grid": None,
        "message_zh": "该位置不在任何网格内",
    }


def test_batch_lookup_answers_every_point_in_order(client: TestClient, session: Session) -> None:
    tiny = make_tiny_city(session)
    headers = admin_headers(session, tiny)
    points = [
        {"lon": LON0 + 0.5, "lat": LAT0 + 0.5},
        {"lon": LON0 + 2.55, "lat": LAT0 + 0.5},
        {"lon": LON0 + 2.45, "lat": LAT0 + 0.5},
        {"lon": LON0 + 1.0, "lat": LAT0 + 0.5},
    ]
    r = client.post("/api/v1/grids/lookup", json={"points": points}, headers=headers)
    body = r.json()
    assert [x["grid"]["name"] if x["found"] else None for x in body["results"]] == [
        "第1网格",
        None,
        "第4网格",
        "第1网格",
    ]
    assert (body["found"], body["not_found"]) == (3, 1)


def test_lookup_refuses_impossible_coordinates(client: TestClient, session: Session) -> None:
    tiny = make_tiny_city(session)
    headers = admin_headers(session, tiny)
    r = client.get("/api/v1/grids/lookup", params={"lon": 200, "lat": 26}, headers=headers)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "lon"]
    r = client.post("/api/v1/grids/lookup", json={"points": []}, headers=headers)
    assert r.status_code == 422


# -- users and personal data --------------------------------------------------------------


def test_users_are_listed_within_the_readers_scope_with_phones_masked(
    client: TestClient, session: Session
) -> None:
    tiny = make_tiny_city(session)
    other = service.create_region(
        session,
        actor=None,
        level=RegionLevel.district,
        code="529902",
        name="二区",
        parent_id=tiny.city.id,
    )
    make_user(session, role=Role.gridder, region=tiny.grids["G1"], username="g1")
    make_user(session, role=Role.dispatcher, region=other, username="far_away")
    street_officer = make_user(session, role=Role.street, region=tiny.street, username="st1")
    r = client.get("/api/v1/users", headers=auth(token_for(session, street_officer)))
    names = {u["username"]: u for u in r.json()["items"]}
    assert set(names) == {"g1", "st1"}
    assert names["g1"]["phone"] == "138****5678" and names["g1"]["phone_masked"]


def test_unmasking_a_phone_needs_permission_and_is_logged(
    client: TestClient, session: Session
) -> None:
    tiny = make_tiny_city(session)
    gridder = make_user(session, role=Role.gridder, region=tiny.grids["G1"], username="g1")
    dispatcher = make_user(session, role=Role.dispatcher, region=tiny.district, username="d1")
    community = make_user(session, role=Role.community, region=tiny.community, username="c1")
    url = f"/api/v1/users/{gridder.id}"
    masked = client.get(url, headers=auth(token_for(session, community)))
    assert masked.json()["phone"] == "138****5678"
    denied = client.get(url, params={"unmask": True}, headers=auth(token_for(session, community)))
    assert denied.status_code == 403
    assert audit_count(session, "personal_data.read") == 0
    shown = client.get(url, params={"unmask": True}, headers=auth(token_for(session, dispatcher)))
    assert shown.json()["phone"] == "13812345678" and not shown.json()["phone_masked"]
    log = session.scalars(select(AuditLog).where(AuditLog.action == "personal_data.read")).all()
    assert [(row.actor_username, row.entity_id) for row in log] == [("d1", str(gridder.id))]


def test_a_user_outside_the_scope_is_not_found(client: TestClient, session: Session) -> None:
    tiny = make_tiny_city(session)
    other = service.create_region(
        session,
        actor=None,
        level=RegionLevel.district,
        code="529902",
        name="二区",
        parent_id=tiny.city.id,
    )
    far = make_user(session, role=Role.dispatcher, region=other, username="far_away")
    street_officer = make_user(session, role=Role.street, region=tiny.street, username="st1")
    r = client.get(f"/api/v1/users/{far.id}", headers=auth(token_for(session, street_officer)))
    assert r.status_code == 404


def test_an_admin_creates_a_scoped_account(client: TestClient, session: Session) -> None:
    tiny = make_tiny_city(session)
    headers = admin_headers(session, tiny)
    r = client.post(
        "/api/v1/users",
        headers=headers,
        json={
            "username": "new_gridder",
            "full_name": "李娜",
            "role": "gridder",
            "password": "s3cret-pass",
            "region_id": tiny.grids["G3"].id,
            "phone": "13900001111",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["phone"] == "139****1111"
    dup = client.post(
        "/api/v1/users",
        headers=headers,
        json={
            "username": "NEW_GRIDDER",
            "full_name": "李娜",
            "role": "gridder",
            "password": "s3cret-pass",
            "region_id": tiny.grids["G3"].id,
        },
    )
    assert dup.status_code == 409
    bad_phone = client.post(
        "/api/v1/users",
        headers=headers,
        json={
            "username": "x_user",
            "full_name": "王",
            "role": "gridder",
            "region_id": tiny.grids["G3"].id,
            "phone": "12345",
        },
    )
    assert bad_phone.status_code == 422 and bad_phone.json()["detail"][0]["loc"][-1] == "phone"
    no_scope = client.post(
        "/api/v1/users",
        headers=headers,
        json={"username": "y_user", "full_name": "王", "role": "gridder"},
    )
    assert no_scope.status_code == 422 and no_scope.json()["detail"][0]["loc"][-1] == "region_id"
