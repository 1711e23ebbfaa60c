"""Import jobs: what was imported, by whom, from which file, and the per-row report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.clock import utcnow
from zhili.core.db import Base, UTCDateTime


class ImportJob(Base):
    """One import run. Kept even when the file was rejected, so its report can be fetched."""

    __tablename__ = "basedata_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    encoding: Mapped[str | None] = mapped_column(String(16))
    good_rows_only: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))  # applied | partial | rejected
    rows: Mapped[int] = mapped_column(Integer)
    valid: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    error_count: Mapped[int] = mapped_column(Integer)
    # [{row, field, reason, reason_zh}], capped (see imports.kinds.MAX_REPORTED_ERRORS)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
