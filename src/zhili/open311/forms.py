"""Reading the POSTed forms (GeoReport v2 request, FixMyStreet update) into checked values.

Nothing here touches the database; every problem of a form is collected and reported at once
as a 400 with one error per parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zhili.cases.categories.schemas import AttributeIn
from zhili.open311 import attributes as attrs
from zhili.open311.params import InvalidRequest, Problem, given, parse_now_or
from zhili.open311.status import CLIENT_STATUSES
from zhili.open311.xml import clean_text
from zhili.org.users.schemas import PHONE_RE

Fields = Mapping[str, Sequence[str]]  # every name with all the values sent for it

MAX_DESCRIPTION = 4000  # the spec's limit
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/]+\S*$")
_CJK = re.compile(r"[\u3400-\u9fff]")
_PHONE_NOISE = re.compile(r"[\s()（）]")


def first(fields: Fields, name: str) -> str | None:
    values = fields.get(name)
    return given(values[0]) if values else None


class _Reader:
    """Reads one form, remembering every problem instead of stopping at the first."""

    def __init__(self, fields: Fields) -> None:
        self.fields = fields
        self.problems: list[Problem] = []

    def problem(self, name: str, message: str, message_zh: str) -> None:
        self.problems.append(Problem(name, message, message_zh))

    def text(self, name: str, limit: int, *, required: bool = False) -> str | None:
        value = first(self.fields, name)
        if value is None:
            if required:
                self.problem(name, f"{name} was not provided", f"缺少参数 {name}")
            return None
        if len(value) > limit:
            self.problem(name, f"at most {limit} characters", f"不超过{limit}字")
            return None
        return clean_text(value)

    def email(self) -> str | None:
        value = self.text("email", 254)
        if value is not None and not _EMAIL.match(value):
            self.problem("email", "not an e-mail address", "邮箱格式不正确")
        return value

    def media_url(self) -> str | None:
        # Kept and shown as a link only; the server never fetches it (no requests from inside
        # a government network to places a client chooses).
        value = self.text("media_url", 1024)
        if value is not None and not _URL.match(value):
            self.problem("media_url", "must be an http(s) URL", "须为 http(s) 链接")
        return value

    def finish(self) -> None:
        if self.problems:
            raise InvalidRequest(self.problems)


@dataclass
class RequestForm:
    lat: float | None
    lon: float | None
    address: str | None
    description: str | None
    media_url: str | None
    attributes: dict[str, Any]
    email: str | None
    device_id: str | None
    account_id: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None

    @property
    def reporter_name(self) -> str | None:
        """Chinese names read family name first (王芳); others given name first."""
        parts = [p for p in (self.first_name, self.last_name) if p]
        if not parts:
            return None
        if any(_CJK.search(p) for p in parts):
            return "".join(reversed(parts))[:64]
        return " ".join(parts)[:64]

    @property
    def reporter_phone(self) -> str | None:
        """The phone in zhili's form, or None when it is not a Chinese number zhili can call
        back (the raw value is still kept, privately, with the request)."""
        if self.phone is None:
            return None
        phone = _PHONE_NOISE.sub("", self.phone)
        phone = re.sub(r"^(\+86|0086)-?", "", phone)
        return phone if PHONE_RE.match(phone) else None


def _location(r: _Reader) -> tuple[float | None, float | None, str | None]:
    lat_s, long_s = first(r.fields, "lat"), first(r.fields, "long")
    address = r.text("address_string", 255)
    lat = lon = None
    if (lat_s is None) != (long_s is None):
        missing = "long" if long_s is None else "lat"
        r.problem(missing, "lat and long come together", "经纬度须同时提供")
    elif lat_s is not None and long_s is not None:
        try:
            lat, lon = float(lat_s), float(long_s)
        except ValueError:
            lat = lon = None
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            r.problem("lat", "lat/long must be WGS84 decimal degrees", "经纬度须为WGS84十进制度数")
            lat = lon = None
    if lat_s is None and long_s is None and address is None:
        if first(r.fields, "address_id"):
            r.problem(
                "address_id",
                "address_id is not supported here: send lat and long, or address_string",
                "暂不支持 address_id，请提供经纬度或地址描述",
            )
        else:
            r.problem(
                "lat",
                "a location is required: lat and long, or address_string",
                "须提供位置：经纬度或地址描述",
            )
    return lat, lon, address


def read_request(fields: Fields, definition: Sequence[AttributeIn]) -> RequestForm:
    """A POST Service Request form checked against the service's definition."""
    r = _Reader(fields)
    lat, lon, address = _location(r)
    values, problems = attrs.validate(definition, attrs.collect(fields))
    r.problems += problems
    form = RequestForm(
        lat=lat,
        lon=lon,
        address=address,
        description=r.text("description", MAX_DESCRIPTION),
        media_url=r.media_url(),
        attributes=values,
        email=r.email(),
        device_id=r.text("device_id", 128),
        account_id=r.text("account_id", 128),
        first_name=r.text("first_name", 64),
        last_name=r.text("last_name", 64),
        phone=r.text("phone", 32),
    )
    r.finish()
    return form


@dataclass
class UpdateForm:
    service_request_id: str
    status: str
    description: str
    updated_at: datetime
    external_id: str | None
    media_url: str | None
    email: str | None
    first_name: str | None
    last_name: str | None


def read_update(fields: Fields) -> UpdateForm:
    """A POST Service Request Update form (FixMyStreet's extension)."""
    r = _Reader(fields)
    number = r.text("service_request_id", 24, required=True)
    status = (r.text("status", 32, required=True) or "").upper()
    if status and status not in CLIENT_STATUSES:
        r.problem("status", f"unknown status {status}", f"未知状态 {status}")
    description = r.text("description", MAX_DESCRIPTION, required=True)
    external_id = r.text("update_id", 64)
    media_url, email = r.media_url(), r.email()
    first_name, last_name = r.text("first_name", 64), r.text("last_name", 64)
    updated_at: datetime | None = None
    try:
        updated_at = parse_now_or("updated_datetime", first(fields, "updated_datetime"))
    except InvalidRequest as exc:
        r.problems += exc.problems
    r.finish()
    assert updated_at is not None  # finish() has raised otherwise
    return UpdateForm(
        service_request_id=number or "",
        status=status,
        description=description or "",
        updated_at=updated_at,
        external_id=external_id,
        media_url=media_url,
        email=email,
        first_name=first_name,
        last_name=last_name,
    )
