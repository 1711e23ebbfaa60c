"""Batch intake: many reports in one request, for feeds (12345 platform sync, sensors)."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from zhili.cases.schemas import CaseIntake

MAX_BATCH = 500


class BatchItem(CaseIntake):
    idempotency_key: str | None = Field(
        None,
        max_length=128,
        description="per report: a retried batch returns the cases made the first time",
    )


class BatchIntake(BaseModel):
    items: list[BatchItem] = Field(..., min_length=1, max_length=MAX_BATCH)

    @model_validator(mode="after")
    def _keys_once(self) -> BatchIntake:
        seen: set[str] = set()
        for item in self.items:
            if item.idempotency_key is None:
                continue
            if item.idempotency_key in seen:
                raise ValueError(f"idempotency_key {item.idempotency_key!r} appears twice")
            seen.add(item.idempotency_key)
        return self


class Received(BaseModel):
    """One report of a batch: the case it made (or made the first time, when replayed)."""

    index: int
    id: int
    number: str
    state: str
    replayed: bool


class BatchReceived(BaseModel):
    created: int
    replayed: int
    items: list[Received]
