"""What the import pipeline and the importable kinds share: fields, row errors, the
context of one import and the protocols a kind implements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Column, Table
from sqlalchemy.orm import Session

from zhili.basedata.vault import Vault
from zhili.org.users.models import User

MAX_REPORTED_ERRORS = 50_000  # beyond this the report says how many more there were
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # column name in files, exports and the staging table
    label_zh: str  # the Chinese header, accepted on import
    required: bool = False  # the column must be present (values may still be optional)


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    field: str
    reason: str
    reason_zh: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "field": self.field,
            "reason": self.reason,
            "reason_zh": self.reason_zh,
        }


class RowInvalid(ValueError):
    def __init__(self, field: str, reason: str, reason_zh: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason, self.reason_zh = field, reason, reason_zh


@dataclass
class Context:
    session: Session
    actor: User | None
    vault: Vault
    now: datetime
    scope_prefix: str | None  # "" for everything
    may_special_groups: bool
    errors: list[RowError] = field(default_factory=list)


@dataclass
class Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


class Kind(Protocol):
    """What each importable kind (persons, addresses, units, dwellings) provides."""

    @property
    def name(self) -> str: ...

    @property
    def fields(self) -> Sequence[Field]: ...

    def staging_columns(self) -> list[Column[Any]]: ...

    def parse(self, values: dict[str, str], ctx: Context) -> dict[str, Any]: ...

    def checks(self, staging: Table, ctx: Context) -> list[RowError]: ...

    def apply(self, staging: Table, ctx: Context) -> Counts: ...


@runtime_checkable
class ChunkKind(Kind, Protocol):
    """A kind that checks a chunk of rows at once, whole-file checks included, in file
    order, and writes it at once (``apply`` on a staging table holding that chunk only)."""

    @property
    def prefetch_fields(self) -> Sequence[str]:
        """The columns ``prefetch`` reads."""
        ...

    def prefetch(self, cells: dict[str, list[str]], ctx: Context) -> None:
        """Read what checking these cells (``prefetch_fields`` only) needs from the database
        (main thread)."""

    def parse_chunk(
        self, numbers: list[int], cells: dict[str, list[str]], ctx: Context
    ) -> tuple[dict[str, list[Any]], list[RowError]]:
        """The chunk's rows to stage (by staging column, ``row`` included) and the errors;
        runs in a worker thread: must not touch the database."""
        ...


@runtime_checkable
class DirectKind(ChunkKind, Protocol):
    """A chunk kind that may write its checked chunks straight into its tables, without the
    staging table (decided by its first ``prefetch``)."""

    def direct(self) -> bool: ...

    def prepare_direct(self, good: dict[str, list[Any]], ctx: Context) -> Any:
        """What ``write_direct`` writes, from a chunk's good rows (worker thread, no
        database)."""

    def write_direct(self, prepared: Any, ctx: Context) -> int:
        """Write a prepared chunk (main thread); the rows inserted."""
        ...

    def finish_direct(self, ctx: Context) -> None:
        """After the last chunk is written (not called for a rejected file)."""
