"""GeoReport v2 shapes, field for field and in the spec's order (the XML follows it).

Datetimes serialise as W3 UTC with a ``Z`` and no fractions; ``None`` becomes JSON ``null`` and
an empty XML element, so strict clients always find every element they look for.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal, TypedDict

from pydantic import BaseModel, PlainSerializer


def w3(value: datetime) -> str:
    """2010-01-01T00:00:00Z: the form every Open311 client parses (no fractions, UTC)."""
    # isoformat is several times faster than strftime, which counts on a page of 1 000
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


W3DateTime = Annotated[datetime, PlainSerializer(w3, return_type=str)]

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ["text/xml", "application/json"]


class EndpointOut(BaseModel):
    specification: str = SPECIFICATION
    url: str
    changeset: W3DateTime
    type: Literal["production", "test"]
    formats: list[str] = FORMATS


class DiscoveryOut(BaseModel):
    changeset: W3DateTime
    contact: str
    key_service: str
    endpoints: list[EndpointOut]


class ServiceOut(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class ValueOut(BaseModel):
    key: str
    name: str


class AttributeOut(BaseModel):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[ValueOut]


class DefinitionOut(BaseModel):
    service_code: str
    attributes: list[AttributeOut]


class CreatedOut(BaseModel):
    """The answer to a POST: the case number, or a token for a batch client, never both."""

    service_request_id: str | None = None
    token: str | None = None
    service_notice: str | None
    account_id: str | None


class TokenOut(BaseModel):
    service_request_id: str | None  # None while the case awaits registration (立案)
    token: str


class RequestOut(TypedDict):
    """One service request as anyone may read it: no personal data of the reporter.

    A plain dict (built in this order, which the XML follows): pages of 1 000 are the hot
    path, and model validation and dumping cost more than the query.
    """

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str  # W3, see w3()
    updated_datetime: str
    expected_datetime: str | None
    address: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class UpdateOut(TypedDict):
    """FixMyStreet's request_update; ``status`` uses its extended states (see status.py)."""

    update_id: str
    service_request_id: str
    status: str
    updated_datetime: str  # W3
    description: str
    media_url: str | None


class UpdateCreatedOut(BaseModel):
    update_id: str


class ErrorOut(BaseModel):
    code: int
    description: str
