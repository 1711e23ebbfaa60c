"""Whole-file checks and writes shared by the kinds: duplicates, address resolution, scope,
upserts that change only what differs, and audit rows in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Table,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.schema import Column

from zhili.basedata.addresses.models import Address
from zhili.basedata.addresses.service import search_addresses
from zhili.basedata.imports.kinds import Context, RowError, RowInvalid
from zhili.core.audit import AuditLog, jsonable, request_id_var

CONFIDENT = 0.85  # a free-text address is accepted at this score…
MARGIN = 0.05  # …and this far ahead of the next candidate


def place_columns() -> list[Column[Any]]:
    """Staging columns every address-bound kind has; filled by ``resolve_addresses``."""
    return [
        Column("address_code", String(40)),
        Column("address_text", String(255)),
        Column("address_id", Integer),
        Column("grid_id", Integer),
        Column("region_path", String(255)),
    ]


def drop(ctx: Context, staging: Table, errors: list[RowError]) -> list[RowError]:
    """Take the rows just found wrong out of staging, so that later checks judge only good
    rows and one mistake is reported once (an unknown address is not also "a household at
    two addresses"). Safe in both modes: a row with an error is never written."""
    rows = sorted({e.row for e in errors})
    for start in range(0, len(rows), 1000):
        ctx.session.execute(delete(staging).where(staging.c.row.in_(rows[start : start + 1000])))
    return errors


def duplicates(session: Session, staging: Table, key: str, label: str) -> list[RowError]:
    """Rows repeating the natural key of an earlier row."""
    first = (
        select(staging.c[key].label("k"), func.min(staging.c.row).label("first"))
        .where(staging.c[key].is_not(None))
        .group_by(staging.c[key])
        .having(func.count() > 1)
        .subquery()
    )
    rows = session.execute(
        select(staging.c.row, first.c.first)
        .join(first, first.c.k == staging.c[key])
        .where(staging.c.row > first.c.first)
    ).all()
    return [
        RowError(row, label, f"duplicate of row {first_row}", f"与第{first_row}行重复")
        for row, first_row in rows
    ]


def resolve_free_text(ctx: Context, staging: Table) -> list[RowError]:
    """Rows with an address text but no code: the best standard address if confident."""
    errors = []
    pending = ctx.session.execute(
        select(staging.c.row, staging.c.address_text).where(
            staging.c.address_code.is_(None), staging.c.address_text.is_not(None)
        )
    ).all()
    for row, text in list(pending):
        found = search_addresses(ctx.session, text=text, limit=2)
        best = found[0] if found else None
        runner_up = found[1][1] if len(found) > 1 else 0.0
        if best is not None and best[1] >= CONFIDENT and best[1] - runner_up >= MARGIN:
            values: dict[str, Any] = {"address_code": best[0].code}
            if "household_code" in staging.c:
                values["household_code"] = func.coalesce(staging.c.household_code, best[0].code)
            ctx.session.execute(update(staging).where(staging.c.row == row).values(**values))
            continue
        hint = f"; closest: {best[0].full_text} ({best[1]:.2f})" if best else ""
        hint_zh = f"；最接近：{best[0].full_text}（{best[1]:.2f}）" if best else ""
        errors.append(
            RowError(
                row,
                "address",
                "no confident match among standard addresses" + hint,
                "未能匹配到唯一的标准地址" + hint_zh,
            )
        )
    return errors


def resolve_addresses(ctx: Context, staging: Table) -> list[RowError]:
    """Fill address id, grid and path from the code; unknown codes and rows outside the
    importer's scope are errors."""
    errors = resolve_free_text(ctx, staging)
    ctx.session.execute(
        update(staging)
        .values(address_id=Address.id, grid_id=Address.grid_id, region_path=Address.region_path)
        .where(Address.code == staging.c.address_code, Address.is_active.is_(True))
    )
    unknown = ctx.session.execute(
        select(staging.c.row, staging.c.address_code).where(
            staging.c.address_code.is_not(None), staging.c.address_id.is_(None)
        )
    ).all()
    errors += [
        RowError(row, "address_code", f"unknown address {code}", f"标准地址 {code} 不存在")
        for row, code in unknown
    ]
    if ctx.scope_prefix != "":
        outside: ColumnElement[bool] = staging.c.address_id.is_not(None)
        if ctx.scope_prefix is not None:
            outside = and_(
                outside, ~staging.c.region_path.startswith(ctx.scope_prefix, autoescape=True)
            )
        errors += [
            RowError(row, "address_code", "outside your area", "该地址不在您的管辖范围内")
            for (row,) in ctx.session.execute(select(staging.c.row).where(outside))
        ]
    return errors


def upsert(
    session: Session,
    model: Any,
    source: Select[Any],
    columns: Sequence[str],
    key: str,
    compare: Sequence[str],
    *,
    versioned: bool = True,
    update_rows: bool = True,
    insert_rows: bool = True,
    order: str | None = None,
    all_new: bool = False,
) -> None:
    """Update the rows whose compared columns differ, then insert the new ones: re-importing
    the same file touches no row (no new version, no new updated_at). Two set-based
    statements rather than INSERT … ON CONFLICT, whose speculative insertion costs a bulk
    load of new rows a fifth more; a concurrent import of the same key fails on the unique
    index instead (409) and nothing of it stays. ``order``: a column of ``source`` to insert
    the new rows in (their ids follow it); ``all_new``: the caller knows none of the keys
    exists yet."""
    table = model.__table__
    src = source.subquery()
    changed = or_(*[table.c[c].is_distinct_from(src.c[c]) for c in compare])
    values: dict[str, Any] = {c: src.c[c] for c in compare}
    if "updated_at" in columns:
        values["updated_at"] = src.c.updated_at
    if versioned:
        values["version"] = table.c.version + 1
    if update_rows:
        session.execute(update(table).where(table.c[key] == src.c[key], changed).values(values))
    if insert_rows:
        new = select(*[src.c[c] for c in columns])
        if not all_new:
            new = new.where(~select(table.c[key]).where(table.c[key] == src.c[key]).exists())
        if order is not None:
            new = new.order_by(src.c[order])
        session.execute(insert(table).from_select(list(columns), new))


def changed_rows(
    session: Session, table: Any, source: Any, key: str, compare: Sequence[str]
) -> list[tuple[int, dict[str, Any], dict[str, Any]]]:
    """(id, before, after) of existing rows that ``source`` would change, changed fields only."""
    differs = or_(*[table.c[c].is_distinct_from(source.c[c]) for c in compare])
    query = (
        select(table.c.id, *[table.c[c] for c in compare], *[source.c[c] for c in compare])
        .join(source, source.c[key] == table.c[key])
        .where(differs)
    )
    out = []
    n = len(compare)
    for row in session.execute(query):
        old, new = row[1 : 1 + n], row[1 + n :]
        before = {c: o for c, o, v in zip(compare, old, new, strict=True) if o != v}
        after = {c: v for c, o, v in zip(compare, old, new, strict=True) if o != v}
        out.append((row[0], before, after))
    return out


def matched(session: Session, table: Any, staging: Table, key: str, staging_key: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(table)
            .join(staging, staging.c[staging_key] == table.c[key])
        )
        or 0
    )


def audit_many(
    ctx: Context,
    action: str,
    entity_type: str,
    items: Iterable[tuple[object, dict[str, Any] | None, dict[str, Any] | None]],
) -> int:
    """One audit row per item, inserted in bulk in the import's transaction."""
    rows = [
        {
            "at": ctx.now,
            "actor_id": ctx.actor.id if ctx.actor is not None else None,
            "actor_username": ctx.actor.username if ctx.actor is not None else "system",
            "action": action,
            "entity_type": entity_type,
            "entity_id": str(entity_id),
            "before": jsonable(before) if before is not None else None,
            "after": jsonable(after) if after is not None else None,
            "request_id": request_id_var.get(),
        }
        for entity_id, before, after in items
    ]
    for start in range(0, len(rows), 5000):
        ctx.session.execute(insert(AuditLog), rows[start : start + 5000])
    return len(rows)


def parse_enum(name: str, value: str, labels: dict[Any, str]) -> str | None:
    """A code name or its Chinese label → the code name; RowInvalid otherwise."""
    text = value.strip()
    if not text:
        return None
    for code, label in labels.items():
        if text in (str(code), label):
            return str(code)
    allowed = ", ".join(str(c) for c in labels)
    raise RowInvalid(name, f"not one of {allowed}", f"取值无效（可选：{allowed}）")


def parse_number(name: str, value: str, *, low: float, high: float, whole: bool = False) -> Any:
    text = value.strip()
    if not text:
        return None
    try:
        number = int(text) if whole else float(text)
    except ValueError as exc:
        raise RowInvalid(name, "not a number", "不是数字") from exc
    if not low <= number <= high:
        raise RowInvalid(name, f"outside {low}–{high}", f"超出范围 {low}–{high}")
    return number


def parse_date(name: str, value: str) -> date | None:
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text.replace("/", "-"))
    except ValueError as exc:
        raise RowInvalid(name, "not a date (YYYY-MM-DD)", "日期格式应为 YYYY-MM-DD") from exc
