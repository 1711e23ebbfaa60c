"""A published Open311 client library (``georeport`` from PyPI) against a live server.

The server is what ``zhili serve`` runs: ``create_app`` under uvicorn, on a free loopback
port, over its own SQLite file prepared by the real migrations, a tiny staffed city, the
shipped catalogue and one Open311 client.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from georeport import GeoReport
from sqlalchemy.orm import Session, sessionmaker

from factories.cases import World
from factories.live import live_server
from factories.open311 import make_client
from factories.org import LAT0, LON0
from zhili.cases import service as cases
from zhili.cases.handling import service as handling
from zhili.core.db import transaction


@dataclass
class Live:
    root: str
    key: str
    factory: sessionmaker[Session]
    world: World


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(Path(tmp_path_factory.mktemp("live"))) as server:
        with transaction(server.factory) as session:
            key = make_client(session, name="georeport").key
        yield Live(f"{server.root}/open311/v2", key, server.factory, server.world)


def submit(live: Live, fmt: str) -> str:
    # georeport reads only; a request is POSTed the way its README shows, with requests
    response = requests.post(
        f"{live.root}/requests.{fmt}",
        data={
            "api_key": live.key,
            "jurisdiction_id": "529900",
            "service_code": "C0201",
            "lat": LAT0 + 0.5,
            "long": LON0 + 1.5,
            "attribute[lamp_state]": "off",
            "description": "路灯不亮",
        },
        timeout=10,
    )
    response.raise_for_status()
    if fmt == "json":
        number: str = response.json()[0]["service_request_id"]
        return number
    return response.text.split("<service_request_id>")[1].split("</service_request_id>")[0]


def close(live: Live, number: str) -> None:
    """The centre drives the case to closed through the service layer, as its staff would."""
    s = live.world.staff
    with transaction(live.factory) as session:
        case = cases.get_by_number(session, number)
        cases.register(session, actor=s.dispatcher, case_id=case.id)
        cases.dispatch(
            session,
            actor=s.dispatcher,
            settings=live.world.settings,
            case_id=case.id,
            department_id=live.world.depts["urban_management"].id,
        )
        handling.accept(session, actor=s.urban, case_id=case.id)
        handling.submit_result(
            session, actor=s.urban, settings=live.world.settings, case_id=case.id, result="已修复"
        )
        handling.verify(
            session, actor=s.gridder, settings=live.world.settings, case_id=case.id, passed=True
        )


def test_georeport_reads_services_and_follows_a_request_in_json(live: Live) -> None:
    gr = GeoReport(live.root, jurisdiction="529900", output_format="json")
    services = {s["service_code"]: s for s in gr.get_service_list()}
    assert services["C0201"]["service_name"] == "路灯" and services["C0201"]["metadata"] is True
    definition = gr.get_service_definition("C0201")
    assert [a["code"] for a in definition["attributes"]] == ["lamp_state", "pole_number"]

    number = submit(live, "json")
    request = gr.get_service_request(number)
    assert (request["service_request_id"], request["status"]) == (number, "open")
    assert [
        r["service_request_id"] for r in gr.get_service_requests(service_request_id=number)
    ] == [number]
    close(live, number)
    closed = gr.get_service_request(number)
    assert closed["status"] == "closed" and closed["status_notes"] == "已结案：已修复"
    assert number in [r["service_request_id"] for r in gr.get_service_requests(status="closed")]


def test_georeport_reads_the_same_in_xml(live: Live) -> None:
    gr = GeoReport(live.root, jurisdiction="529900", output_format="xml")
    services = {s["service_code"]: s for s in gr.get_service_list()}
    assert services["C0201"]["metadata"] == "true" and services["C0201"]["group"] == "道路交通设施"
    definition = gr.get_service_definition("E0601")
    attributes = definition["attributes"]["attribute"]
    assert [a["code"] for a in attributes] == ["noise_time", "noise_source"]
    assert attributes[1]["values"]["value"][0] == {
        "key": "construction",
        "name": "施工 (construction)",
    }

    number = submit(live, "xml")
    request = gr.get_service_request(number)
    assert request["service_request_id"] == number and request["status"] == "open"
    assert request["lat"] == "26.5" and request["long"] == "107.5"
    close(live, number)
    assert gr.get_service_request(number)["status"] == "closed"
    found = gr.get_service_requests(service_request_id=number)
    assert found["service_request_id"] == number  # one request: xmltodict gives a mapping


def test_georeport_sees_errors_as_http_errors(live: Live) -> None:
    gr = GeoReport(live.root, jurisdiction="529900", output_format="json")
    with pytest.raises(requests.HTTPError) as missing:
        gr.get_service_definition("C9999")
    assert missing.value.response.status_code == 404
    assert missing.value.response.json()[0]["code"] == 404
    wrong = GeoReport(live.root, jurisdiction="sfgov.org", output_format="xml")
    with pytest.raises(requests.HTTPError) as other:
        wrong.get_service_list()
    assert other.value.response.status_code == 404
    assert other.value.response.headers["content-type"] == "text/xml; charset=utf-8"
