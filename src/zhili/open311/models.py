"""Open311 clients (apps, kiosks, FixMyStreet…) and what they sent that a case does not hold.

The case itself lives in ``cases``; these rows keep the GeoReport v2 specifics beside it: which
client sent it, the service attributes, and the reporter's contact details (private: never
returned by any Open311 endpoint).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.clock import utcnow
from zhili.core.db import Base, UTCDateTime

_BIGINT = BigInteger().with_variant(Integer, "sqlite")


class RequestType(StrEnum):
    """GeoReport v2 service types, per client (see ``service.submit_request``)."""

    realtime = "realtime"  # the case number comes back at once
    batch = "batch"  # a token comes back; tokens/{token} gives the number once registered


class Open311Client(Base):
    """A program allowed to POST: identified by its API key, acting as its own service user.

    Only the SHA-256 digest of the key is stored (the key is shown once, like bearer tokens).
    The service user (role operator, scoped to the city) is who the case history names.
    """

    __tablename__ = "open311_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(48), unique=True)
    channel: Mapped[str] = mapped_column(String(16))  # recorded on every case it reports
    request_type: Mapped[str] = mapped_column(String(8), default=RequestType.realtime.value)
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Open311Request(Base):
    """The GeoReport side of one case reported through Open311 (one row per case)."""

    __tablename__ = "open311_request"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("open311_client.id"), index=True)
    service_code: Mapped[str] = mapped_column(String(16))  # as requested; the case may move
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)  # code → value or [values]
    # What the reporter wrote, returned as the request's description (the case's description
    # also carries the attribute answers for the dispatcher).
    description: Mapped[str | None] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(String(1024))
    token: Mapped[str | None] = mapped_column(String(48), unique=True)  # batch clients only
    # private: the reporter's contact as the client sent it; never returned
    email: Mapped[str | None] = mapped_column(String(254))
    device_id: Mapped[str | None] = mapped_column(String(128))
    account_id: Mapped[str | None] = mapped_column(String(128))
    first_name: Mapped[str | None] = mapped_column(String(64))
    last_name: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Open311Update(Base):
    """A comment a client POSTed on a request (FixMyStreet's servicerequestupdates).

    It never moves the case (closing needs on-site verification); it reaches the unit holding
    the case as a notification and stays here for the record.
    """

    __tablename__ = "open311_update"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("open311_client.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64))  # the client's update_id
    status: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(String(1024))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when the client says
    # private, as on requests
    email: Mapped[str | None] = mapped_column(String(254))
    first_name: Mapped[str | None] = mapped_column(String(64))
    last_name: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        # A client retrying the same update gets the first answer, never a second row.
        UniqueConstraint("client_id", "external_id", name="uq_open311_update_client_id"),
    )
