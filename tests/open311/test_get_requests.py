"""GET requests and requests/{id}: filters, pages, windows, and what is never shown."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories.cases import World, report
from factories.open311 import BASE, Client, children, fields, read_json, read_xml
from factories.org import LAT0, LON0
from zhili.cases import service as cases
from zhili.cases.models import Channel
from zhili.core.clock import ManualClock, use_clock

REQUEST_TAGS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "lat",
    "long",
    "media_url",
]
W3 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
PRIVATE = ["王芳", "13900001234", "139****1234", "wangfang", "device-7", "fms-42", "王"]


def post(client: TestClient, key: str, code: str = "C0201", **extra: str) -> str:
    form = {
        "api_key": key,
        "service_code": code,
        "lat": f"{LAT0 + 0.5}",
        "long": f"{LON0 + 1.25}",
        "attribute[lamp_state]": "flicker",
        "address_string": "幸福路与和平街交叉口",
        "description": "路灯一直闪烁",
        "first_name": "芳",
        "last_name": "王",
        "phone": "13900001234",
        "email": "wangfang@example.cn",
        "device_id": "device-7",
        "account_id": "fms-42",
        "media_url": "https://photos.example.org/1.jpg",
        **extra,
    }
    answer = read_json(client.post(f"{BASE}/requests.json", data=form))
    number: str = answer[0]["service_request_id"]
    return number


def test_a_request_reads_the_same_in_xml_and_json_and_hides_the_reporter(
    client: TestClient, world: World, o311: Client
) -> None:
    number = post(client, o311.key)
    xml_response = client.get(f"{BASE}/requests/{number}.xml", params={"jurisdiction_id": "529900"})
    (request,) = read_xml(xml_response, "service_requests")
    assert children(request) == REQUEST_TAGS
    shown = fields(request)
    assert shown == {
        "service_request_id": number,
        "status": "open",
        "status_notes": "已受理",
        "service_name": "路灯",
        "service_code": "C0201",
        "description": "路灯一直闪烁",
        "agency_responsible": None,
        "service_notice": "处置时限 3 个工作日（自派遣起计）",
        "requested_datetime": shown["requested_datetime"],
        "updated_datetime": shown["requested_datetime"],
        "expected_datetime": None,
        "address": "幸福路与和平街交叉口",
        "lat": "26.5",
        "long": "107.25",
        "media_url": "https://photos.example.org/1.jpg",
    }
    assert W3.match(shown["requested_datetime"] or "")

    (data,) = read_json(client.get(f"{BASE}/requests/{number}.json"))
    assert list(data) == REQUEST_TAGS
    assert data["lat"] == 26.5 and data["long"] == 107.25  # numbers, not strings
    assert data["expected_datetime"] is None and data["agency_responsible"] is None
    assert {k: (str(v) if isinstance(v, float) else v) for k, v in data.items()} == {
        k: v for k, v in shown.items()
    }
    for text in (xml_response.text, client.get(f"{BASE}/requests.json").text):
        for private in PRIVATE:
            assert private not in text


def test_cases_from_other_channels_show_in_outline_only(
    client: TestClient, session: Session, world: World, o311: Client
) -> None:
    hotline = report(session, world, at=(1.2, 0.8), title="市民王芳反映垃圾堆积，电话13900001234")
    petition = report(session, world, channel=Channel.petition, title="信访：拆迁补偿问题")
    internal = world.category(session, "H0801")
    internal.is_public = False  # 治安问题 kept off the public API
    hidden = report(session, world, category="H0801", title="深夜有人聚众滋事")
    session.commit()

    (request,) = read_xml(client.get(f"{BASE}/requests/{hotline.number}.xml"), "service_requests")
    shown = fields(request)
    assert (shown["service_code"], shown["status"], shown["status_notes"]) == (
        "E0101",
        "open",
        "已受理",
    )
    # the grid's representative point, not the caller's exact place; no text, no address
    assert (shown["lat"], shown["long"]) == ("26.5", "107.5")
    assert (shown["description"], shown["address"], shown["media_url"]) == (None, None, None)
    listed = client.get(f"{BASE}/requests.json").text
    assert hotline.number in listed
    for private in PRIVATE:
        assert private not in listed
    for unseen in (petition, hidden):
        assert unseen.number not in listed
        missing = read_json(client.get(f"{BASE}/requests/{unseen.number}.json"), 404)
        assert missing[0]["description"].startswith(f"service_request_id {unseen.number}")


def test_dispatch_names_the_agency_and_the_expected_date(
    client: TestClient, session: Session, world: World, o311: Client
) -> None:
    number = post(client, o311.key)
    case = cases.get_by_number(session, number)
    cases.register(session, actor=world.staff.dispatcher, case_id=case.id)
    cases.dispatch(
        session,
        actor=world.staff.dispatcher,
        settings=world.settings,
        case_id=case.id,
        department_id=world.depts["urban_management"].id,
    )
    session.commit()
    (data,) = read_json(client.get(f"{BASE}/requests/{number}.json"))
    assert data["agency_responsible"] == "一区urban_management"
    assert case.deadline_at is not None
    assert data["expected_datetime"] == case.deadline_at.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert data["status"] == "open" and data["status_notes"] == "已派遣"


def numbers(client: TestClient, **params: Any) -> list[str]:
    return [
        r["service_request_id"]
        for r in read_json(client.get(f"{BASE}/requests.json", params=params))
    ]


def test_filters_by_id_service_and_status(
    client: TestClient, session: Session, world: World, o311: Client
) -> None:
    lamp = post(client, o311.key)
    well = post(client, o311.key, code="C0101")
    rejected = post(client, o311.key, code="C0101")
    cases.reject(
        session,
        actor=world.staff.dispatcher,
        case_id=cases.get_by_number(session, rejected).id,
        reason="井盖属小区物业，已告知联系物业",
    )
    session.commit()
    assert numbers(client) == [rejected, well, lamp]  # most recent first
    assert numbers(client, service_code="C0101") == [rejected, well]
    assert numbers(client, service_code="C0201,C0101") == [rejected, well, lamp]
    assert numbers(client, service_code=["C0201", "E0101"]) == [lamp]  # repeated works too
    assert numbers(client, status="closed") == [rejected]
    assert numbers(client, status="open,closed") == [rejected, well, lamp]
    # service_request_id overrides every other filter
    assert numbers(client, service_request_id=f"{lamp},{rejected}", status="open") == [
        rejected,
        lamp,
    ]
    (closed,) = read_json(client.get(f"{BASE}/requests/{rejected}.json"))
    assert closed["status"] == "closed"
    assert closed["status_notes"] == "不予立案：井盖属小区物业，已告知联系物业"


def test_pages_of_at_most_a_thousand(client: TestClient, world: World, o311: Client) -> None:
    made = [post(client, o311.key) for _ in range(3)][::-1]
    assert numbers(client, page_size="2") == made[:2]
    assert numbers(client, page_size="2", page="2") == made[2:]
    assert numbers(client, page_size="2", page="3") == []
    for bad in ({"page_size": "1001"}, {"page_size": "0"}, {"page": "0"}, {"page": "two"}):
        doc = read_xml(client.get(f"{BASE}/requests.xml", params=bad), "errors", 400)
        assert doc.findtext("error/description", "").startswith(next(iter(bad)))


def test_the_window_defaults_to_the_last_90_days_and_may_not_exceed_it(
    client: TestClient, world: World, o311: Client
) -> None:
    spring = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    with use_clock(ManualClock(spring)) as clock:
        march = post(client, o311.key)
        clock.advance(timedelta(days=20))
        april = post(client, o311.key)
    today = post(client, o311.key)
    assert numbers(client) == [today]  # the last 90 days only
    assert numbers(client, start_date="2026-03-01T00:00:00Z", end_date="2026-04-01T00:00:00Z") == [
        april,
        march,
    ]
    assert numbers(client, start_date="2026-03-10T00:00:00+08:00", end_date="2026-03-30") == [april]
    assert numbers(client, end_date="2026-03-05T00:00:00Z") == [march]  # 90 days before
    assert numbers(client, start_date="2026-03-21T00:00:00Z") == [april]  # 90 days after
    for params, expected in [
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90 days"),
        ({"start_date": "2026-03-05T00:00:00Z", "end_date": "2026-03-01T00:00:00Z"}, "before"),
        ({"start_date": "yesterday"}, "not a W3 datetime"),
        ({"start_date": "2026-03-05T00:00:00"}, "needs a time zone"),
        ({"status": "pending"}, "unknown status pending"),
    ]:
        (error,) = read_json(client.get(f"{BASE}/requests.json", params=params), 400)
        assert error["code"] == 400 and expected in error["description"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_unknown_request_is_a_404(client: TestClient, world: World, fmt: str) -> None:
    response = client.get(f"{BASE}/requests/20260101-NOPE2345.{fmt}")
    if fmt == "xml":
        assert read_xml(response, "errors", 404).findtext("error/code") == "404"
    else:
        assert read_json(response, 404)[0]["code"] == 404


def test_markup_in_a_description_is_escaped_and_control_characters_dropped(
    client: TestClient, world: World, o311: Client
) -> None:
    number = post(client, o311.key, description='灯罩<破了> & "歪了"\x07\n第二行')
    (request,) = read_xml(client.get(f"{BASE}/requests/{number}.xml"), "service_requests")
    assert request.findtext("description") == '灯罩<破了> & "歪了"\n第二行'
    (data,) = read_json(client.get(f"{BASE}/requests/{number}.json"))
    assert data["description"] == '灯罩<破了> & "歪了"\n第二行'
