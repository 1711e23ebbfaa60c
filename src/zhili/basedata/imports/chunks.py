"""Checking and writing a file a chunk at a time, two threads overlapping (see
``stage_chunks``)."""

from __future__ import annotations

import re
import sys
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Table, delete, text
from sqlalchemy.orm import Session

from zhili.basedata.imports.bulk import load_rows, pick, prepare_columns
from zhili.basedata.imports.kinds import (
    ChunkKind,
    Context,
    Counts,
    DirectKind,
    Progress,
    RowError,
)

CHUNK = 10_000  # rows checked at a time
WRITE = 50_000  # rows applied at a time: fewer statements, each planned and run once

_SPACE = re.compile(r"\s")


def stage_chunks(
    session: Session,
    kind: ChunkKind,
    staging: Table,
    names: list[str | None],
    rows: Any,
    columns: list[list[str]] | None,
    ctx: Context,
    good_rows_only: bool,
    progress: Progress | None,
    size_hint: int,
) -> tuple[int, Counts]:
    """Check and write a file a chunk at a time; returns the row count and what was written.

    A pipeline of two threads: while the main thread writes chunk N (COPY into staging, then
    ``kind.apply`` into the real tables, the database working and the GIL released), a worker
    checks chunk N+1 (``kind.parse_chunk``: row rules, HMAC, AES-GCM, whole-file checks and
    the COPY text — nothing that touches the database; what it needs from there,
    ``kind.prefetch`` reads beforehand in the main thread). Every error of a row is known
    once its chunk is checked (the whole-file checks judge a row against earlier rows only),
    so each chunk's good rows can be written straight away; the caller rolls the writes back
    if an all-or-nothing file turns out to have an error. After the first such error nothing
    more is written, but every row is still checked for the report."""
    named = [(i, n) for i, n in enumerate(names) if n]
    counts = Counts()

    def cells_of(
        by_index: Sequence[Sequence[str]], only: Sequence[str] | None = None
    ) -> dict[str, list[str]]:
        cells: dict[str, list[str]] = {}
        for i, name in named:
            if only is not None and name not in only:
                continue
            values = list(by_index[i])
            # most columns (numbers, codes) hold no space at all: one scan tells
            if _SPACE.search("".join(values)):
                values = [v.strip() for v in values]
            cells[name] = values
        return cells

    dialect = session.get_bind().dialect.name

    def check(numbers: list[int], by_index: Sequence[Sequence[str]]) -> tuple[Any, list[RowError]]:
        """In the worker: the chunk's rows checked and made ready to load (staging Rows, or
        what a direct kind writes itself)."""
        good, errors = kind.parse_chunk(numbers, cells_of(by_index), ctx)
        reported = {e.row for e in errors}
        if reported:  # rows reported yet kept for the checks after them (a second head)
            keep = [i for i, row in enumerate(good["row"]) if row not in reported]
            good = {name: pick(values, keep) for name, values in good.items()}
        if direct:
            return cast(DirectKind, kind).prepare_direct(good, ctx), errors
        return prepare_columns(dialect, staging, good), errors

    staged = 0
    direct = False

    def write(checked: Future[tuple[Any, list[RowError]]] | None, done: int) -> None:
        """Stage a checked chunk; apply what is staged once it is WRITE rows or at the end
        (``checked`` None). A direct kind writes each chunk itself."""
        nonlocal staged
        writing = good_rows_only or not ctx.errors
        if checked is not None:
            good, errors = checked.result()
            ctx.errors.extend(errors)
            writing = good_rows_only or not ctx.errors
            if direct:
                if writing:
                    counts.inserted += cast(DirectKind, kind).write_direct(good, ctx)
            elif writing and good.count:
                load_rows(session, staging, good)
                staged += good.count
        if writing and direct and checked is None:
            cast(DirectKind, kind).finish_direct(ctx)
        if writing and staged and (checked is None or staged >= WRITE):
            written = kind.apply(staging, ctx)
            counts.inserted += written.inserted
            counts.updated += written.updated
            counts.unchanged += written.unchanged
            clear(session, staging)
            staged = 0
        if progress is not None:
            progress("validate", done, max(size_hint, done + 1))

    def chunks() -> Iterator[tuple[list[int], Sequence[Sequence[str]], int]]:
        if columns is not None and len(columns) == len(names):
            # a plain grid read by column (reader._grid): each line one row, none blank
            total = len(columns[0])
            for start in range(0, total, CHUNK):
                end = min(start + CHUNK, total)
                yield list(range(start + 2, end + 2)), [c[start:end] for c in columns], end
            return
        total, width = 0, len(names)
        numbers: list[int] = []
        chunk: list[list[str]] = []
        for number, cells in rows:
            if len(cells) != width or not cells[0] or cells[0].isspace():
                if not any(c.strip() for c in cells):
                    continue  # blank lines are not rows
                if any(c.strip() for c in cells[width:]):
                    total += 1
                    ctx.errors.append(
                        RowError(number, "row", "more cells than columns", "单元格多于表头列数")
                    )
                    continue
                cells = cells[:width] + [""] * (width - len(cells))
            total += 1
            numbers.append(number)
            chunk.append(cells)
            if len(chunk) >= CHUNK:
                yield numbers, list(zip(*chunk, strict=True)), total
                numbers, chunk = [], []
        yield numbers, list(zip(*chunk, strict=True)) if chunk else [[] for _ in names], total

    total = 0
    # the whole file is in memory by column: what it needs from the database is read at
    # once (a million-row file: one query for its addresses instead of a hundred)
    whole = columns is not None and len(columns) == len(names)
    if whole:
        assert columns is not None
        kind.prefetch(cells_of(columns, kind.prefetch_fields), ctx)
        direct = isinstance(kind, DirectKind) and kind.direct()
    # The worker holds the GIL most of the time; each time the main thread comes back from
    # the database it waits for it, up to the switch interval (5 ms by default), while the
    # database has nothing to do. At 0.5 ms the main thread's short queries of a 300 000-row
    # first load took half as long (measured); while imports run only.
    with (
        _short_switch_interval(),
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="zhili-import") as worker,
    ):
        # the worker runs up to a write's worth of chunks ahead, so it has work while the
        # main thread waits for the database to apply the previous ones
        pending: deque[tuple[Future[tuple[Any, list[RowError]]], int]] = deque()
        for numbers, by_index, total in chunks():
            if not numbers:
                continue
            if not whole:
                kind.prefetch(cells_of(by_index, kind.prefetch_fields), ctx)
                # known after the kind's first prefetch, before any check is submitted
                direct = isinstance(kind, DirectKind) and kind.direct()
            pending.append((worker.submit(check, numbers, by_index), total))
            if len(pending) > max(1, WRITE // CHUNK):
                write(*pending.popleft())
        while pending:
            write(*pending.popleft())
        write(None, total)
    return total, counts


_switching = threading.Lock()
_imports_running = 0
_interval_before = sys.getswitchinterval()


@contextmanager
def _short_switch_interval() -> Iterator[None]:
    """The GIL switch interval at 0.5 ms while any import runs in this process (it is one
    setting for the whole process: the last import to finish puts the old one back)."""
    global _imports_running, _interval_before  # one process-wide setting
    with _switching:
        if not _imports_running:
            _interval_before = sys.getswitchinterval()
            sys.setswitchinterval(min(_interval_before, 0.0005))
        _imports_running += 1
    try:
        yield
    finally:
        with _switching:
            _imports_running -= 1
            if not _imports_running:
                sys.setswitchinterval(_interval_before)


def clear(session: Session, staging: Table) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # a fresh file for the next chunk: no dead rows for the next statements to skip
        session.execute(text(f'TRUNCATE "{staging.name}"'))
    else:
        session.execute(delete(staging))
