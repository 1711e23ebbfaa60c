"""The whole loop: an Open311 report becomes a case, the centre closes it, the client sees it;
and FixMyStreet's updates in both directions."""

from __future__ import annotations

from datetime import UTC

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.cases import World
from factories.open311 import BASE, Client, children, fields, items, read_json, read_xml
from factories.org import LAT0, LON0
from zhili.cases import service as cases
from zhili.cases.handling import service as handling
from zhili.cases.models import Case, CaseState, Notification
from zhili.open311.models import Open311Update

UPDATE_TAGS = [
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
]


def report_lamp(client: TestClient, key: str) -> str:
    form = {
        "api_key": key,
        "service_code": "C0201",
        "lat": f"{LAT0 + 0.5}",
        "long": f"{LON0 + 1.5}",
        "attribute[lamp_state]": "off",
        "description": "路灯整晚不亮，联系电话13900001234",
        "first_name": "芳",
        "last_name": "王",
        "phone": "13900001234",
    }
    doc = read_xml(client.post(f"{BASE}/requests.xml", data=form), "service_requests")
    return doc.findtext("request/service_request_id") or ""


def test_a_reported_lamp_is_dispatched_fixed_and_shown_closed_with_its_notes(
    client: TestClient, session: Session, world: World, o311: Client
) -> None:
    s = world.staff
    number = report_lamp(client, o311.key)
    case = session.scalar(select(Case).where(Case.number == number))
    assert case is not None
    assert case.grid_id == world.city.grids["G2"].id
    assert case.category_id == world.category(session, "C0201").id

    cases.register(session, actor=s.dispatcher, case_id=case.id)
    cases.dispatch(
        session,
        actor=s.dispatcher,
        settings=world.settings,
        case_id=case.id,
        department_id=world.depts["urban_management"].id,
        note="请城管当日处理",  # an instruction between staff: never published
    )
    handling.accept(session, actor=s.urban, case_id=case.id)
    handling.submit_result(
        session,
        actor=s.urban,
        settings=world.settings,
        case_id=case.id,
        result="已更换灯泡，恢复照明",
    )
    handling.verify(session, actor=s.gridder, settings=world.settings, case_id=case.id, passed=True)
    session.commit()
    assert case.state == CaseState.closed and case.closed_at is not None

    (request,) = read_xml(client.get(f"{BASE}/requests/{number}.xml"), "service_requests")
    shown = fields(request)
    assert shown["status"] == "closed"
    assert shown["status_notes"] == "已结案：已更换灯泡，恢复照明"
    assert shown["agency_responsible"] == "一区urban_management"
    assert shown["updated_datetime"] == case.closed_at.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert shown["expected_datetime"] is None
    # the reporter's own words, less the phone number they typed into them
    assert shown["description"] == "路灯整晚不亮，联系电话139****1234"
    (listed,) = read_json(client.get(f"{BASE}/requests.json", params={"status": "closed"}))
    assert listed["service_request_id"] == number and listed["status"] == "closed"

    doc = read_xml(client.get(f"{BASE}/servicerequestupdates.xml"), "service_request_updates")
    assert all(children(u) == UPDATE_TAGS for u in doc)
    updates = [fields(u) for u in doc if u.findtext("service_request_id") == number]
    assert [(u["status"], u["description"]) for u in updates] == [
        ("OPEN", "受理"),
        ("INVESTIGATING", "立案"),
        ("ACTION_SCHEDULED", "派遣"),
        ("IN_PROGRESS", "签收"),
        ("IN_PROGRESS", "处置反馈：已更换灯泡，恢复照明"),
        ("FIXED", "核查通过并结案"),
    ]
    assert len({u["update_id"] for u in updates}) == 6
    data = read_json(client.get(f"{BASE}/servicerequestupdates.json"))
    assert [u["status"] for u in data if u["service_request_id"] == number][-1] == "FIXED"
    assert all(list(u) == UPDATE_TAGS for u in data)


def test_duplicates_and_refusals_read_as_fixmystreet_states(
    client: TestClient, session: Session, world: World, o311: Client
) -> None:
    first, second, third = (report_lamp(client, o311.key) for _ in range(3))
    ids = {n: cases.get_by_number(session, n).id for n in (first, second, third)}
    cases.merge(session, actor=world.staff.dispatcher, case_id=ids[second], into_case_id=ids[first])
    cases.reject(session, actor=world.staff.dispatcher, case_id=ids[third], reason="非政府职责范围")
    session.commit()
    data = read_json(client.get(f"{BASE}/servicerequestupdates.json"))
    last = {u["service_request_id"]: u for u in data}
    assert last[second]["status"] == "DUPLICATE"
    assert last[second]["description"] == f"合并：并入案件 {first}"
    assert last[third]["status"] == "NOT_COUNCILS_RESPONSIBILITY"
    assert last[third]["description"] == "不予立案：非政府职责范围"
    (merged,) = read_json(client.get(f"{BASE}/requests/{second}.json"))
    assert (merged["status"], merged["status_notes"]) == ("closed", f"已合并：并入案件 {first}")


def test_updates_are_paged_in_a_window(client: TestClient, world: World, o311: Client) -> None:
    report_lamp(client, o311.key)
    report_lamp(client, o311.key)
    page = read_json(client.get(f"{BASE}/servicerequestupdates.json", params={"page_size": "1"}))
    second = read_json(
        client.get(f"{BASE}/servicerequestupdates.json", params={"page_size": "1", "page": "2"})
    )
    assert len(page) == len(second) == 1 and page[0]["update_id"] != second[0]["update_id"]
    old = read_json(
        client.get(
            f"{BASE}/servicerequestupdates.json",
            params={"start_date": "2020-01-01T00:00:00Z", "end_date": "2020-02-01T00:00:00Z"},
        )
    )
    assert old == []
    (error,) = read_json(
        client.get(f"{BASE}/servicerequestupdates.json", params={"end_date": "soon"}), 400
    )
    assert error["description"].startswith("end_date: not a W3 datetime")


def test_a_client_update_reaches_the_handling_unit_without_moving_the_case(
    client: TestClient, session: Session, world: World, o311: Client
) -> None:
    number = report_lamp(client, o311.key)
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
    form = {
        "api_key": o311.key,
        "jurisdiction_id": "529900",
        "service_request_id": number,
        "update_id": "fms-update-77",
        "status": "closed",
        "description": "灯已经亮了，谢谢",
        "updated_datetime": "2026-11-23T20:00:00+08:00",
        "email": "wangfang@example.cn",
        "first_name": "芳",
        "last_name": "王",
    }
    doc = read_xml(
        client.post(f"{BASE}/servicerequestupdates.xml", data=form), "service_request_updates"
    )
    (created,) = doc
    assert children(created) == ["update_id"]
    update_id = created.findtext("update_id") or ""
    assert update_id.startswith("c")
    again = read_json(client.post(f"{BASE}/servicerequestupdates.json", data=form))
    assert again == [{"update_id": update_id}]  # the same update_id twice is one update

    session.expire_all()
    rows = session.scalars(select(Open311Update).where(Open311Update.case_id == case.id)).all()
    assert len(rows) == 1
    assert (rows[0].status, rows[0].external_id, rows[0].email) == (
        "CLOSED",
        "fms-update-77",
        "wangfang@example.cn",
    )
    assert rows[0].updated_at.isoformat() == "2026-11-23T12:00:00+00:00"
    assert session.get(Case, case.id).state == CaseState.dispatched  # type: ignore[union-attr]
    told = session.scalars(
        select(Notification).where(
            Notification.case_id == case.id, Notification.kind == "open311_update"
        )
    ).all()
    assert len(told) == 1
    assert told[0].recipient_department_id == world.depts["urban_management"].id
    assert "群众反映问题已解决，请核实" in told[0].message
    # a client's comment is not republished among the case's public steps
    published = read_json(client.get(f"{BASE}/servicerequestupdates.json"))
    assert "灯已经亮了" not in str(published)


def test_client_updates_are_checked_like_requests(
    client: TestClient, world: World, o311: Client
) -> None:
    number = report_lamp(client, o311.key)
    base = {"api_key": o311.key, "service_request_id": number, "status": "OPEN", "description": "x"}
    cases_ = [
        ({"api_key": "o311_wrong"}, 403, "invalid api_key"),
        ({"service_request_id": "20260101-NOPE2345"}, 404, "case 20260101-NOPE2345 not found"),
        ({"status": "MAYBE"}, 400, "status: unknown status MAYBE"),
        ({"description": ""}, 400, "description: description was not provided"),
        ({"updated_datetime": "2026-11-23 20:00"}, 400, "updated_datetime: the datetime needs"),
        ({"jurisdiction_id": "x.gov"}, 404, "jurisdiction_id x.gov not found"),
    ]
    for change, status, expected in cases_:
        doc = read_xml(
            client.post(f"{BASE}/servicerequestupdates.xml", data=base | change), "errors", status
        )
        descriptions = [e.findtext("description") or "" for e in items(doc, ".")]
        assert any(d.startswith(expected) for d in descriptions), descriptions
