"""POST Service Request: a form checked against the service definition becomes a zhili case."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories.cases import World
from factories.open311 import BASE, Client, children, fields, make_client, read_json, read_xml
from factories.org import LAT0, LON0
from zhili.cases import service as cases
from zhili.cases.models import Case, CaseEvent, Channel
from zhili.core.audit import AuditLog
from zhili.core.errors import ValidationFailed
from zhili.open311 import service
from zhili.open311.models import Open311Request, RequestType
from zhili.org.users.models import User

IN_G2 = {"lat": f"{LAT0 + 0.5}", "long": f"{LON0 + 1.5}"}


def lamp(key: str, **extra: Any) -> dict[str, Any]:
    return {
        "api_key": key,
        "jurisdiction_id": "529900",
        "service_code": "C0201",
        **IN_G2,
        "attribute[lamp_state]": "off",
        "attribute[pole_number]": "LD-0231",
        "description": "小区北门路灯整晚不亮",
        "first_name": "芳",
        "last_name": "王",
        "phone": "+86 139 0000 1234",
        "email": "wangfang@example.cn",
        "device_id": "device-7",
        "account_id": "fms-42",
        "media_url": "https://photos.example.org/lamp.jpg",
        **extra,
    }


def case_by_number(session: Session, number: str) -> Case:
    session.expire_all()
    found = session.scalar(select(Case).where(Case.number == number))
    assert found is not None
    return found


def test_a_request_becomes_a_case_in_its_grid_category_and_channel(
    client: TestClient, session: Session, world: World, o311: Client
) -> None:
    doc = read_xml(client.post(f"{BASE}/requests.xml", data=lamp(o311.key)), "service_requests")
    (request,) = doc
    assert children(request) == ["service_request_id", "service_notice", "account_id"]
    answer = fields(request)
    assert answer["account_id"] == "fms-42"
    assert answer["service_notice"] == "已受理，待立案派遣；处置时限 3 个工作日（自派遣起计）"
    case = case_by_number(session, answer["service_request_id"] or "")
    assert case.state == "received"
    assert case.grid_id == world.city.grids["G2"].id
    assert case.category_id == world.category(session, "C0201").id
    assert case.channel == Channel.app
    assert (case.reporter_name, case.reporter_phone) == ("王芳", "13900001234")
    assert case.title == "路灯：小区北门路灯整晚不亮"
    assert "【路灯状况 (state of the lamp)】夜间不亮 (out at night)" in case.description
    assert "【灯杆编号 (number on the pole)】LD-0231" in case.description
    acting = session.get(User, case.created_by_id)
    assert acting is not None and acting.id == o311.row.user_id
    assert (acting.role, acting.region_id) == ("operator", world.city.city.id)
    event = session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id))
    assert event is not None and event.actor_name == "Open311·fixmystreet"
    row = session.scalar(select(Open311Request).where(Open311Request.case_id == case.id))
    assert row is not None
    assert row.attributes == {"lamp_state": "off", "pole_number": "LD-0231"}
    assert (row.email, row.device_id, row.phone) == (
        "wangfang@example.cn",
        "device-7",
        "+86 139 0000 1234",
    )
    assert (row.description, row.token) == ("小区北门路灯整晚不亮", None)
    audit = session.scalar(
        select(AuditLog).where(
            AuditLog.action == "open311.request.create", AuditLog.entity_id == str(case.id)
        )
    )
    assert audit is not None and audit.actor_id == o311.row.user_id
    assert "wangfang" not in str(audit.after) and "1234" not in str(audit.after)


def test_json_answers_carry_the_same_three_fields(
    client: TestClient, session: Session, world: World, o311: Client
) -> None:
    data = read_json(client.post(f"{BASE}/requests.json", data=lamp(o311.key, account_id="")), 200)
    assert len(data) == 1 and list(data[0]) == [
        "service_request_id",
        "service_notice",
        "account_id",
    ]
    assert data[0]["account_id"] is None
    assert case_by_number(session, data[0]["service_request_id"]).channel == "app"


def test_list_attributes_take_repeated_values_and_local_times_become_utc(
    client: TestClient, session: Session, world: World, o311: Client
) -> None:
    form = {
        "api_key": o311.key,
        "service_code": "E0601",
        **IN_G2,
        "attribute[noise_time]": "2026-11-23T22:30",  # no zone: Beijing time
        "attribute[noise_source][]": ["construction", "business", "construction"],
        "attribute[title]": "FixMyStreet sends attributes of its own",  # ignored
    }
    number = read_json(client.post(f"{BASE}/requests.json", data=form))[0]["service_request_id"]
    case = case_by_number(session, number)
    row = session.scalar(select(Open311Request).where(Open311Request.case_id == case.id))
    assert row is not None and row.attributes == {
        "noise_time": "2026-11-23T14:30:00Z",
        "noise_source": ["construction", "business"],
    }
    assert "【噪声来源 (source)】施工 (construction)、商业经营 (shops, bars)" in case.description


def test_an_address_alone_is_enough_and_leaves_the_grid_to_the_dispatcher(
    client: TestClient, session: Session, world: World, o311: Client
) -> None:
    form = {"api_key": o311.key, "service_code": "C0101", "address_string": "一街道幸福路12号"}
    number = read_json(client.post(f"{BASE}/requests.json", data=form))[0]["service_request_id"]
    case = case_by_number(session, number)
    assert (case.address, case.grid_id, case.region_path, case.lat) == (
        "一街道幸福路12号",
        None,
        None,
        None,
    )
    assert case.title == "上水井盖（Open311）"


def errors_of(response: Any, status: int) -> list[str]:
    doc = read_xml(response, "errors", status)
    assert all(children(e) == ["code", "description"] for e in doc)
    assert {e.findtext("code") for e in doc} == {str(status)}
    return [e.findtext("description") or "" for e in doc]


def test_every_problem_of_a_form_is_reported_at_once(
    client: TestClient, session: Session, world: World, o311: Client
) -> None:
    form = {
        "api_key": o311.key,
        "service_code": "C0201",
        "lat": f"{LAT0 + 0.5}",
        "attribute[lamp_state]": "broken-ish",
        "email": "not-an-address",
        "media_url": "ftp://example.org/x.jpg",
        "description": "长" * 4001,
    }
    before = session.scalar(select(func.count()).select_from(Case))
    problems = errors_of(client.post(f"{BASE}/requests.xml", data=form), 400)
    assert problems == [
        "long: lat and long come together (经纬度须同时提供)",
        "attribute[lamp_state]: unknown value 'broken-ish' (路灯状况 (state of the lamp)："
        "无此选项 broken-ish)",
        "description: at most 4000 characters (不超过4000字)",
        "media_url: must be an http(s) URL (须为 http(s) 链接)",
        "email: not an e-mail address (邮箱格式不正确)",
    ]
    assert session.scalar(select(func.count()).select_from(Case)) == before


@pytest.mark.parametrize(
    ("change", "status", "expected"),
    [
        ({"attribute[lamp_state]": None}, 400, "attribute[lamp_state]: is required"),
        ({"service_code": None}, 400, "service_code: service_code was not provided"),
        ({"service_code": "C9999"}, 404, "service_code C9999 not found"),
        ({"service_code": "C02"}, 404, "service_code C02 not found"),
        ({"lat": None, "long": None}, 400, "lat: a location is required"),
        (
            {"lat": None, "long": None, "address_id": "545483"},
            400,
            "address_id: address_id is not supported here: send lat and long, or address_string",
        ),
        ({"lat": "north"}, 400, "lat: lat/long must be WGS84 decimal degrees"),
        ({"lat": "95"}, 400, "lat: lat/long must be WGS84 decimal degrees"),
        ({"lat": f"{LAT0 + 2}"}, 400, "lon: the point lies in no grid of this city"),
        ({"api_key": None}, 403, "invalid api_key"),
        ({"api_key": "o311_wrong"}, 403, "invalid api_key"),
        ({"jurisdiction_id": "other.gov"}, 404, "jurisdiction_id other.gov not found"),
    ],
)
def test_a_bad_request_gets_the_specs_error_and_makes_no_case(
    client: TestClient,
    session: Session,
    world: World,
    o311: Client,
    change: dict[str, str | None],
    status: int,
    expected: str,
) -> None:
    form = {k: v for k, v in (lamp(o311.key) | change).items() if v is not None}
    before = session.scalar(select(func.count()).select_from(Case))
    (problem,) = errors_of(client.post(f"{BASE}/requests.xml", data=form), status)
    assert problem.startswith(expected)
    data = read_json(client.post(f"{BASE}/requests.json", data=form), status)
    assert data[0]["code"] == status and data[0]["description"] == problem
    assert session.scalar(select(func.count()).select_from(Case)) == before


@pytest.mark.parametrize(
    ("code", "answers", "expected"),
    [
        ("E0401", {"attribute[area_m2]": "about ten"}, "attribute[area_m2]: must be a number"),
        ("E0601", {"attribute[noise_time]": "last night"}, "attribute[noise_time]: must be an"),
        (
            "E0601",
            {"attribute[noise_time]": "2026-11-23T22:30:00Z", "attribute[noise_source][]": "ufo"},
            "attribute[noise_source]: unknown value 'ufo'",
        ),
        (
            "C0201",
            {"attribute[lamp_state]": ["off", "flicker"]},
            "attribute[lamp_state]: takes one value",
        ),
        (
            "C0201",
            {"attribute[lamp_state]": "off", "attribute[pole_number]": "LD\n0231"},
            "attribute[pole_number]: one line of at most 255 characters",
        ),
    ],
)
def test_answers_must_fit_their_datatype(
    client: TestClient,
    world: World,
    o311: Client,
    code: str,
    answers: dict[str, Any],
    expected: str,
) -> None:
    form = {"api_key": o311.key, "service_code": code, **IN_G2, **answers}
    (problem,) = errors_of(client.post(f"{BASE}/requests.xml", data=form), 400)
    assert problem.startswith(expected)


def test_a_revoked_client_is_refused(
    client: TestClient, session: Session, world: World, o311: Client
) -> None:
    service.revoke_client(session, actor=None, name="fixmystreet")
    session.commit()
    (problem,) = errors_of(client.post(f"{BASE}/requests.xml", data=lamp(o311.key)), 403)
    assert problem.startswith("invalid api_key")


def test_a_retry_with_the_same_idempotency_key_returns_the_first_case(
    client: TestClient, session: Session, world: World, o311: Client
) -> None:
    headers = {"Idempotency-Key": "fms-report-9"}
    first = read_json(client.post(f"{BASE}/requests.json", data=lamp(o311.key), headers=headers))
    again = read_json(client.post(f"{BASE}/requests.json", data=lamp(o311.key), headers=headers))
    assert first == again
    count = session.scalar(
        select(func.count())
        .select_from(Open311Request)
        .where(Open311Request.client_id == o311.row.id)
    )
    assert count == 1
    changed = lamp(o311.key, description="另一件事")
    conflict = read_json(client.post(f"{BASE}/requests.json", data=changed, headers=headers), 409)
    assert conflict[0]["code"] == 409 and "Idempotency-Key" in conflict[0]["description"]


def test_a_batch_client_gets_a_token_that_resolves_once_the_case_is_registered(
    client: TestClient, session: Session, world: World
) -> None:
    kiosk = make_client(
        session, name="kiosk-1", channel=Channel.web, request_type=RequestType.batch
    )
    session.commit()
    doc = read_xml(client.post(f"{BASE}/requests.xml", data=lamp(kiosk.key)), "service_requests")
    assert children(doc[0]) == ["token", "service_notice", "account_id"]
    token = doc[0].findtext("token") or ""
    pending = read_xml(client.get(f"{BASE}/tokens/{token}.xml"), "service_requests")
    assert children(pending[0]) == ["service_request_id", "token"]
    assert fields(pending[0]) == {"service_request_id": None, "token": token}

    row = session.scalar(select(Open311Request).where(Open311Request.token == token))
    assert row is not None
    cases.register(session, actor=world.staff.dispatcher, case_id=row.case_id)
    session.commit()
    number = case_by_number_id(session, row.case_id)
    assert read_json(client.get(f"{BASE}/tokens/{token}.json")) == [
        {"service_request_id": number, "token": token}
    ]
    missing = read_json(client.get(f"{BASE}/tokens/no-such-token.json"), 404)
    assert "token no-such-token not found" in missing[0]["description"]


def case_by_number_id(session: Session, case_id: int) -> str:
    case = session.get(Case, case_id)
    assert case is not None
    return case.number


def test_an_error_after_the_case_was_written_leaves_nothing_behind(
    client: TestClient,
    session: Session,
    world: World,
    o311: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*args: object, **kwargs: object) -> str:
        raise ValidationFailed("notice", "notice rules unreadable", "时限规则无法读取")

    # service_notice runs in the route after the case, its Open311 row and audit rows are
    # written: the error document must come after the rollback, not instead of it.
    monkeypatch.setattr("zhili.open311.routes.queries.service_notice", fail)
    before = session.scalar(select(func.count()).select_from(Case))
    audits = session.scalar(select(func.count()).select_from(AuditLog))
    (problem,) = errors_of(client.post(f"{BASE}/requests.xml", data=lamp(o311.key)), 400)
    assert problem == "notice: notice rules unreadable (时限规则无法读取)"
    assert session.scalar(select(func.count()).select_from(Case)) == before
    assert session.scalar(select(func.count()).select_from(Open311Request)) == 0
    assert session.scalar(select(func.count()).select_from(AuditLog)) == audits
