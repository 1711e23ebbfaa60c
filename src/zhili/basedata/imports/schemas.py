"""API shapes of import jobs and their per-row reports."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class RowErrorOut(BaseModel):
    row: int = Field(..., description="as a spreadsheet numbers it: the header is row 1")
    field: str
    reason: str
    reason_zh: str


class ImportJobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    filename: str
    sha256: str
    encoding: str | None
    good_rows_only: bool
    status: str = Field(..., description="applied | partial (good rows only) | rejected")
    rows: int
    valid: int
    inserted: int
    updated: int
    unchanged: int
    error_count: int
    errors: list[RowErrorOut] = Field(..., description="the first errors; the report has all")
    created_at: datetime
    report_url: str = ""
