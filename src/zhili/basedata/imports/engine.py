"""The import pipeline every kind shares: read, validate every row, check the whole file,
then write all of it, only its good rows, or nothing.

    file ──read──▶ rows ──kind.parse (per row)──▶ staging (temporary table)
                                                   │ kind.checks (set-based: duplicates,
                                                   │ unknown addresses, scope, consistency)
                                                   ▼
                      errors? ── all or nothing ──▶ rejected: nothing written
                             └─ good rows only ───▶ bad rows dropped from staging
                                                   ▼
                                         kind.apply: upserts on natural keys

Validated rows wait in a temporary table (PostgreSQL: filled with COPY; SQLite: executemany)
rather than in Python lists, so a million-row file costs little memory and the whole-file
checks are joins. The temporary table belongs to this connection only and is dropped at the
end: a rejected file leaves the database exactly as it was, apart from the job's report.

A ``ChunkKind`` (persons) instead checks the file a chunk at a time in file order and writes
each chunk as soon as it is checked, in a savepoint rolled back if the file is rejected: the
next chunk is checked in a worker thread meanwhile, so Python and the database work at the
same time (``_stage_chunks``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Integer, MetaData, Table, delete, insert, select, text
from sqlalchemy.orm import Session

from zhili.basedata import scope
from zhili.basedata.imports.chunks import CHUNK, stage_chunks
from zhili.basedata.imports.kinds import (
    ChunkKind,
    Context,
    Counts,
    Kind,
    Progress,
    RowError,
    RowInvalid,
)
from zhili.basedata.imports.reader import FileProblem
from zhili.basedata.vault import Vault
from zhili.core.clock import utcnow
from zhili.core.security import Permission, role_allows
from zhili.org.users.models import User


def map_header(kind: Kind, header: Sequence[str]) -> tuple[list[str | None], list[RowError]]:
    """Each header cell → a field name (English or Chinese header), or errors naming the
    unknown, repeated and missing columns."""
    by_label = {f.name.lower(): f.name for f in kind.fields} | {
        f.label_zh: f.name for f in kind.fields
    }
    names: list[str | None] = []
    errors: list[RowError] = []
    for cell in header:
        name = by_label.get(cell.strip().lower()) if cell.strip() else None
        if cell.strip() and name is None:
            errors.append(RowError(1, cell, "unknown column", "无法识别的列"))
        elif name is not None and name in names:
            errors.append(RowError(1, cell, "column given twice", "列重复"))
        names.append(name)
    for f in kind.fields:
        if f.required and f.name not in names:
            errors.append(
                RowError(1, f.name, f"missing column ({f.label_zh})", f"缺少列：{f.label_zh}")
            )
    return names, errors


def make_staging(kind: Kind) -> Table:
    metadata = MetaData()
    return Table(
        f"import_{kind.name}_{uuid.uuid4().hex[:8]}",
        metadata,
        Column("row", Integer, primary_key=True),
        *kind.staging_columns(),
        prefixes=["TEMPORARY"],
    )


def load(session: Session, staging: Table, rows: list[dict[str, Any]]) -> None:
    """Append validated rows to the staging table: COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        names = [c.name for c in staging.columns]
        raw = connection.connection.driver_connection
        assert raw is not None
        columns = ", ".join(f'"{n}"' for n in names)
        with (
            raw.cursor() as cursor,
            cursor.copy(f'COPY "{staging.name}" ({columns}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row([row.get(n) for n in names])
    else:
        session.execute(insert(staging), rows)


def run(
    session: Session,
    *,
    kind: Kind,
    header: Sequence[str],
    rows: Any,
    size_hint: int,
    actor: User | None,
    vault: Vault,
    good_rows_only: bool,
    progress: Progress | None = None,
    columns: list[list[str]] | None = None,
) -> tuple[str, int, int, Counts, list[RowError]]:
    """(status, rows, valid rows, counts, errors) for one file; writes nothing when rejected."""
    ctx = Context(
        session=session,
        actor=actor,
        vault=vault,
        now=utcnow(),
        scope_prefix=scope.scope_path(session, actor),
        may_special_groups=actor is None or role_allows(actor.role, Permission.special_groups_read),
    )
    names, errors = map_header(kind, header)
    if errors:
        return "rejected", 0, 0, Counts(), errors
    staging = make_staging(kind)
    staging.create(session.connection())
    if session.get_bind().dialect.name == "postgresql":
        # The writes hash and group a whole file (a million rows) at once; at the default
        # 4 MB they spill to disk in batches. For this transaction only.
        session.execute(text("SET LOCAL work_mem = '64MB'"))
    # No try/finally: on an error the transaction rolls back, and the temporary table with
    # it (DDL is transactional on both backends); dropping it in an aborted PostgreSQL
    # transaction would only hide the real error.
    if isinstance(kind, ChunkKind):
        # written as the chunks go by: a savepoint takes it all back if the file is rejected
        written = session.begin_nested()
        total, counts = stage_chunks(
            session, kind, staging, names, rows, columns, ctx, good_rows_only, progress, size_hint
        )
        errors = sorted(ctx.errors, key=lambda e: (e.row, e.field))
        valid = total - len({e.row for e in errors})
        if errors and not good_rows_only:
            written.rollback()
            status, counts = "rejected", Counts()
        else:
            written.commit()
            status = "partial" if errors else "applied"
        if progress is not None:
            progress("write", valid, valid)
        staging.drop(session.connection())
        return status, total, valid, counts, errors
    total = _stage_rows(session, kind, staging, names, rows, ctx, progress, size_hint)
    if progress is not None:
        progress("validate", total, total)
    if session.get_bind().dialect.name == "postgresql":
        # Temporary tables are never analysed automatically; without statistics the planner
        # would pick nested loops for the whole-file joins below.
        session.execute(text(f'ANALYZE "{staging.name}"'))
    errors = ctx.errors + kind.checks(staging, ctx)
    if progress is not None:
        progress("checks", total, total)
    errors.sort(key=lambda e: (e.row, e.field))
    valid = total - len({e.row for e in errors})
    counts = Counts()
    if errors and not good_rows_only:
        status = "rejected"
    else:
        bad = sorted({e.row for e in errors})
        for start in range(0, len(bad), 1000):
            session.execute(delete(staging).where(staging.c.row.in_(bad[start : start + 1000])))
        if valid:
            counts = kind.apply(staging, ctx)
        if progress is not None:
            progress("write", valid, valid)
        status = "partial" if errors else "applied"
    staging.drop(session.connection())
    return status, total, valid, counts, errors


def _stage_rows(
    session: Session,
    kind: Kind,
    staging: Table,
    names: list[str | None],
    rows: Any,
    ctx: Context,
    progress: Progress | None,
    size_hint: int,
) -> int:
    """Check each row with ``kind.parse`` and stage the good ones; returns the row count."""
    total = 0
    pairs = [(i, n) for i, n in enumerate(names) if n]
    width = len(names)
    buffer: list[dict[str, Any]] = []
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue  # blank lines are not rows
        total += 1
        if any(c.strip() for c in cells[len(names) :]):
            ctx.errors.append(
                RowError(number, "row", "more cells than columns", "单元格多于表头列数")
            )
            continue
        if len(cells) >= width:
            values = {n: cells[i].strip() for i, n in pairs}
        else:
            values = {n: cells[i].strip() for i, n in pairs if i < len(cells)}
        try:
            record = kind.parse(values, ctx)
        except RowInvalid as exc:
            ctx.errors.append(RowError(number, exc.field, exc.reason, exc.reason_zh))
            continue
        record["row"] = number
        buffer.append(record)
        if len(buffer) >= CHUNK:
            load(session, staging, buffer)
            buffer.clear()
            if progress is not None:
                progress("validate", total, max(size_hint, total))
    load(session, staging, buffer)
    return total


def header_problem(exc: FileProblem) -> RowError:
    return RowError(exc.row, exc.field, exc.reason, exc.reason_zh)


def fetch_rows(session: Session, staging: Table, *columns: str) -> list[Any]:
    """Staging rows (selected columns) in file order."""
    cols = [staging.c[c] for c in columns]
    return list(session.execute(select(*cols).order_by(staging.c.row)))
