"""Discovery, the service list and service definitions, read as a strict client reads them."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories.cases import World
from factories.open311 import BASE, children, fields, items, read_json, read_xml
from zhili.cases.categories import service as categories
from zhili.cases.categories.models import Category

SERVICE_TAGS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
W3 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def test_discovery_names_the_endpoint_its_formats_and_a_w3_changeset(
    client: TestClient, world: World
) -> None:
    doc = read_xml(client.get(f"{BASE}/discovery.xml"), "discovery")
    assert children(doc) == ["changeset", "contact", "key_service", "endpoints"]
    assert W3.match(doc.findtext("changeset") or "")
    assert "测试市" in (doc.findtext("contact") or "")
    (endpoint,) = items(doc, "endpoints")
    assert children(endpoint) == ["specification", "url", "changeset", "type", "formats"]
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://testserver/open311/v2"
    assert endpoint.findtext("type") == "test"  # the test settings are not production
    assert [f.text for f in items(endpoint, "formats")] == ["text/xml", "application/json"]

    data = read_json(client.get(f"{BASE}/discovery.json"))
    assert list(data) == ["changeset", "contact", "key_service", "endpoints"]
    assert data["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    assert data["endpoints"][0]["url"] == "http://testserver/open311/v2"
    assert data["changeset"] == doc.findtext("changeset")


def test_services_are_the_public_minor_categories_with_their_group(
    client: TestClient, session: Session, world: World
) -> None:
    hidden = categories.get_by_code(session, "E0602")  # 邻里纠纷 made internal-only
    hidden.is_public = False
    session.commit()

    doc = read_xml(client.get(f"{BASE}/services.xml"), "services")
    services = {s.findtext("service_code"): s for s in doc}
    assert all(children(s) == SERVICE_TAGS for s in doc)
    leaves = {
        c.code
        for c in session.query(Category).where(Category.parent_id.is_not(None), Category.is_public)
    }
    assert set(services) == leaves
    assert "C02" not in services and "E0602" not in services  # majors and internal ones
    lamp = fields(services["C0201"])
    assert lamp == {
        "service_code": "C0201",
        "service_name": "路灯",
        "description": "部件 › 道路交通设施 › 路灯；处置时限 3 个工作日（自派遣起计）",
        "metadata": "true",
        "type": "realtime",
        "keywords": "路灯, 道路交通设施, 部件",
        "group": "道路交通设施",
    }
    assert fields(services["C0101"])["metadata"] == "false"

    data = read_json(client.get(f"{BASE}/services.json"))
    assert [s["service_code"] for s in data] == [s.findtext("service_code") for s in doc]
    lamp_json = next(s for s in data if s["service_code"] == "C0201")
    assert lamp_json["metadata"] is True and list(lamp_json) == SERVICE_TAGS
    assert next(s for s in data if s["service_code"] == "C0101")["metadata"] is False


def test_a_definition_lists_the_attributes_of_the_category(
    client: TestClient, world: World
) -> None:
    doc = read_xml(client.get(f"{BASE}/services/C0201.xml"), "service_definition")
    assert children(doc) == ["service_code", "attributes"]
    assert doc.findtext("service_code") == "C0201"
    state, pole = items(doc, "attributes")
    assert children(state) == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert fields(state) | {"values": None} == {
        "variable": "true",
        "code": "lamp_state",
        "datatype": "singlevaluelist",
        "required": "true",
        "datatype_description": None,
        "order": "1",
        "description": "路灯状况 (state of the lamp)",
        "values": None,
    }
    assert [(v.findtext("key"), v.findtext("name")) for v in items(state, "values")][:2] == [
        ("off", "夜间不亮 (out at night)"),
        ("flicker", "闪烁 (flickering)"),
    ]
    assert fields(pole)["datatype"] == "string" and fields(pole)["required"] == "false"
    assert items(pole, "values") == []

    data = read_json(client.get(f"{BASE}/services/E0601.json"))
    assert data["service_code"] == "E0601"
    noise_time, source = data["attributes"]
    assert noise_time == {
        "variable": True,
        "code": "noise_time",
        "datatype": "datetime",
        "required": True,
        "datatype_description": "ISO 8601，如 2026-11-23T22:30:00+08:00；无时区按北京时间",
        "order": 1,
        "description": "噪声发生时间 (when the noise happens)",
        "values": [],
    }
    assert source["datatype"] == "multivaluelist" and source["required"] is False
    assert {"key": "construction", "name": "施工 (construction)"} in source["values"]
    # a service without extra fields has an empty definition, not an error
    plain = read_json(client.get(f"{BASE}/services/C0101.json"))
    assert plain == {"service_code": "C0101", "attributes": []}


@pytest.mark.parametrize("code", ["C9999", "C02"])  # unknown; a major class is no service
def test_an_unknown_service_is_a_404_in_the_asked_format(
    client: TestClient, world: World, code: str
) -> None:
    doc = read_xml(client.get(f"{BASE}/services/{code}.xml"), "errors", 404)
    (error,) = doc
    assert children(error) == ["code", "description"]
    assert error.findtext("code") == "404"
    assert f"service_code {code} not found" in (error.findtext("description") or "")
    data = read_json(client.get(f"{BASE}/services/{code}.json"), 404)
    assert data == [{"code": 404, "description": data[0]["description"]}]
    assert code in data[0]["description"]


def test_the_jurisdiction_is_optional_but_checked(client: TestClient, world: World) -> None:
    ok = read_json(client.get(f"{BASE}/services.json", params={"jurisdiction_id": "529900"}))
    assert ok
    empty = read_json(client.get(f"{BASE}/services.json", params={"jurisdiction_id": ""}))
    assert empty == ok  # the spec: an empty parameter is no parameter
    for path in ("services.xml", "services/C0201.xml", "requests.xml", "tokens/abc.xml"):
        doc = read_xml(
            client.get(f"{BASE}/{path}", params={"jurisdiction_id": "sfgov.org"}), "errors", 404
        )
        assert "jurisdiction_id sfgov.org not found" in (doc.findtext("error/description") or "")


def test_an_unknown_format_or_resource_answers_with_an_error_document(
    client: TestClient, world: World
) -> None:
    doc = read_xml(client.get(f"{BASE}/services.html"), "errors", 400)
    assert doc.findtext("error/code") == "400"
    assert "format" in (doc.findtext("error/description") or "")
    missing = read_json(client.get(f"{BASE}/no-such-thing.json"), 404)
    assert missing[0]["code"] == 404


def test_a_wrong_method_is_a_405_error_document(client: TestClient, world: World) -> None:
    response = client.put(f"{BASE}/requests.xml")
    doc = read_xml(response, "errors", 405)
    assert doc.findtext("error/description") == "method PUT not allowed"
    assert response.headers["allow"] == "GET, POST"
