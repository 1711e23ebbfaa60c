"""Open311 clients for the tests, made through the real service (as `zhili open311 client
create` does), and a helper that reads answers the way a strict client would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

import httpx
from sqlalchemy.orm import Session

from zhili.cases.models import Channel
from zhili.open311 import service
from zhili.open311.models import Open311Client, RequestType

BASE = "/open311/v2"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass
class Client:
    row: Open311Client
    key: str


def make_client(
    session: Session,
    *,
    name: str = "fixmystreet",
    channel: Channel = Channel.app,
    request_type: RequestType = RequestType.realtime,
) -> Client:
    row, key = service.create_client(
        session, actor=None, name=name, channel=channel, request_type=request_type
    )
    return Client(row, key)


def read_xml(response: httpx.Response, root: str, status: int = 200) -> ET.Element:
    """The document as a strict client checks it: status, content type, UTF-8 declaration,
    root element and no namespace."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(XML_DECLARATION)
    element = ET.fromstring(response.content)  # noqa: S314 - our own server's output
    assert element.tag == root
    return element


def read_json(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


def items(parent: ET.Element, path: str) -> list[ET.Element]:
    """The children of the element at ``path``, which must be there (even when empty)."""
    found = parent.find(path)
    assert found is not None, f"<{path}> missing"
    return list(found)


def children(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def fields(element: ET.Element) -> dict[str, str | None]:
    """A flat element (a request, a service) as {tag: text}; empty elements give None."""
    return {child.tag: child.text for child in element}
