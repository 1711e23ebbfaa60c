"""Importing standard addresses. Natural key: the address code.

A door names its grid (``grid_code``); every lower level names its parent (``parent_code``),
in the database or anywhere in the same file. What the parent says (road, number, compound,
building, unit) is inherited; a row that repeats it must agree. Address registers run to a
few hundred thousand rows per district, so the tree is resolved in Python, level by level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Integer, String, Table, insert, select
from sqlalchemy.sql.schema import Column

from zhili.basedata.addresses.models import LEVEL_RANK, Address, AddressLevel, AddressToken
from zhili.basedata.addresses.service import (
    ADDRESS_AUDIT_FIELDS,
    PARTS,
    Parts,
    grid_contexts,
    index_tokens,
    texts,
)
from zhili.basedata.imports import common
from zhili.basedata.imports.engine import fetch_rows
from zhili.basedata.imports.kinds import Context, Counts, Field, RowError, RowInvalid
from zhili.core import audit
from zhili.org.models import Region, RegionLevel

_CODE_RE = re.compile(r"^[0-9A-Za-z-]{1,40}$")
_LIMITS = {"road": 64, "number": 16, "compound": 64, "building": 16, "unit": 16, "room": 16}


@dataclass(frozen=True, slots=True)
class _Resolved:
    row: int
    code: str
    parent_code: str | None
    grid_id: int
    region_path: str
    parts: Parts
    lon: float | None
    lat: float | None


class Addresses:
    name = "addresses"
    fields = (
        Field("code", "地址编码", required=True),
        Field("parent_code", "上级地址编码"),
        Field("grid_code", "网格编码"),
        Field("road", "街路巷"),
        Field("number", "门牌号"),
        Field("compound", "小区"),
        Field("building", "楼栋"),
        Field("unit", "单元"),
        Field("room", "户室"),
        Field("lon", "经度"),
        Field("lat", "纬度"),
    )

    def __init__(self) -> None:
        self._resolved: dict[str, _Resolved] = {}

    def staging_columns(self) -> list[Column[Any]]:
        return [
            Column("code", String(40)),
            Column("parent_code", String(40)),
            Column("grid_code", String(24)),
            *(Column(name, String(64)) for name in PARTS),
            Column("lon", Float),
            Column("lat", Float),
            Column("rank", Integer),
        ]

    def parse(self, values: dict[str, str], ctx: Context) -> dict[str, Any]:
        code = values.get("code", "")
        if not _CODE_RE.match(code):
            raise RowInvalid("code", "1–40 letters, digits or -", "应为1–40位字母、数字或-")
        parent = values.get("parent_code") or None
        if parent is not None and not _CODE_RE.match(parent):
            raise RowInvalid("parent_code", "1–40 letters, digits or -", "应为1–40位字母、数字或-")
        parts: dict[str, str | None] = {}
        for name, limit in _LIMITS.items():
            value = values.get(name, "").strip()
            if len(value) > limit:
                raise RowInvalid(name, f"longer than {limit} characters", f"超过{limit}个字符")
            parts[name] = value or None
        rank = 0 if parts["room"] is None else 3
        rank = rank or (2 if parts["unit"] else 1 if parts["building"] else 0)
        if rank == 0:
            if parent is not None:
                raise RowInvalid(
                    "parent_code", "a door plate has no parent", "门牌地址没有上级地址"
                )
            for name in ("grid_code", "road", "number"):
                if not values.get(name):
                    raise RowInvalid(name, "required for a door plate", "门牌地址必填")
        elif parent is None:
            raise RowInvalid(
                "parent_code", "required below the door plate", "楼栋、单元、户室须填写上级地址编码"
            )
        return {
            "code": code,
            "parent_code": parent,
            "grid_code": values.get("grid_code") or None,
            **parts,
            "lon": common.parse_number("lon", values.get("lon", ""), low=-180, high=180),
            "lat": common.parse_number("lat", values.get("lat", ""), low=-90, high=90),
            "rank": rank,
        }

    def checks(self, staging: Table, ctx: Context) -> list[RowError]:
        session = ctx.session
        errors = common.duplicates(session, staging, "code", "code")
        bad = {e.row for e in errors}
        rows = fetch_rows(
            session,
            staging,
            "row",
            "code",
            "parent_code",
            "grid_code",
            *PARTS,
            "lon",
            "lat",
            "rank",
        )
        rows.sort(key=lambda r: (r.rank, r.row))
        grid_codes = {r.grid_code for r in rows if r.grid_code}
        grids = {
            g.code: g
            for g in session.scalars(
                select(Region).where(Region.code.in_(grid_codes), Region.level == RegionLevel.grid)
            )
        }
        wanted = {r.parent_code for r in rows if r.parent_code} | {r.code for r in rows}
        known = {a.code: a for a in _addresses(session, wanted)}
        for r in rows:
            if r.row in bad:
                continue
            try:
                self._resolved[r.code] = self._resolve(r, grids, known, ctx)
            except RowInvalid as exc:
                errors.append(RowError(r.row, exc.field, exc.reason, exc.reason_zh))
        return errors

    def _resolve(
        self, r: Any, grids: dict[str, Region], known: dict[str, Address], ctx: Context
    ) -> _Resolved:
        given = {name: getattr(r, name) for name in PARTS}
        if r.rank == 0:
            grid = grids.get(r.grid_code)
            if grid is None:
                raise RowInvalid(
                    "grid_code", f"unknown grid {r.grid_code}", f"网格 {r.grid_code} 不存在"
                )
            grid_id, path, inherited = grid.id, grid.path, given
        else:
            parent: Any = self._resolved.get(r.parent_code) or known.get(r.parent_code)
            if parent is None:
                raise RowInvalid(
                    "parent_code",
                    f"unknown parent address {r.parent_code}",
                    f"上级地址 {r.parent_code} 不存在（或该行有错误）",
                )
            parent_parts = (
                parent.parts
                if isinstance(parent, _Resolved)
                else Parts(**{n: getattr(parent, n) for n in PARTS})
            )
            if LEVEL_RANK[parent_parts.level] >= r.rank:
                raise RowInvalid("parent_code", "the parent must be a level up", "上级地址层级不符")
            inherited = dict(given)
            for name in PARTS:
                theirs = getattr(parent_parts, name)
                if theirs is not None and given[name] is not None and given[name] != theirs:
                    raise RowInvalid(
                        name,
                        f"differs from the parent's ({theirs})",
                        f"与上级地址不一致（{theirs}）",
                    )
                inherited[name] = given[name] or theirs
            grid_id, path = parent.grid_id, parent.region_path
        prefix = ctx.scope_prefix
        if prefix is None or not path.startswith(prefix):
            raise RowInvalid("grid_code", "outside your area", "该地址不在您的管辖范围内")
        existing = known.get(r.code)
        parts = Parts(**inherited)
        if existing is not None and existing.level != parts.level.value:
            raise RowInvalid(
                "code", f"exists as a {existing.level}", f"该编码已登记为{existing.level}级地址"
            )
        return _Resolved(r.row, r.code, r.parent_code, grid_id, path, parts, r.lon, r.lat)

    def apply(self, staging: Table, ctx: Context) -> Counts:
        session = ctx.session
        good = {row for (row,) in session.execute(select(staging.c.row))}
        todo = sorted(
            (v for v in self._resolved.values() if v.row in good),
            key=lambda v: (LEVEL_RANK[v.parts.level], v.row),
        )
        contexts = grid_contexts(session, {v.grid_id for v in todo})
        ids = {
            a.code: a.id
            for a in _addresses(
                session, {v.code for v in todo} | {v.parent_code for v in todo if v.parent_code}
            )
        }
        existing = {a.code: a for a in _addresses(session, {v.code for v in todo})}
        counts = Counts()
        for level in AddressLevel:
            batch = [v for v in todo if v.parts.level == level]
            new = [v for v in batch if v.code not in existing]
            rows = []
            for v in new:
                full_text, search_text, _ = texts(contexts[v.grid_id], v.parts)
                rows.append(_values(v, ids, full_text, search_text, ctx))
            for start in range(0, len(rows), 2000):
                stmt = insert(Address).returning(
                    Address.id, Address.code, sort_by_parameter_order=True
                )
                for got in session.execute(stmt, rows[start : start + 2000]):
                    ids[got.code] = got.id
            tokens = [
                {"token": t, "address_id": ids[v.code]}
                for v in new
                for t in texts(contexts[v.grid_id], v.parts)[2]
            ]
            for start in range(0, len(tokens), 5000):
                session.execute(insert(AddressToken), tokens[start : start + 5000])
            counts.inserted += len(new)
            for v in batch:
                if v.code in existing:
                    changed = _update(ctx, existing[v.code], v, ids, contexts)
                    counts.updated += changed
                    counts.unchanged += 1 - changed
        return counts


def _addresses(session: Any, codes: set[str]) -> list[Address]:
    found: list[Address] = []
    listed = sorted(c for c in codes if c)
    for start in range(0, len(listed), 1000):
        found += session.scalars(
            select(Address).where(Address.code.in_(listed[start : start + 1000]))
        )
    return found


def _values(
    v: _Resolved, ids: dict[str, int], full_text: str, search_text: str, ctx: Context
) -> dict[str, Any]:
    return {
        "code": v.code,
        "parent_id": ids[v.parent_code] if v.parent_code else None,
        "level": v.parts.level.value,
        "grid_id": v.grid_id,
        "region_path": v.region_path,
        **{
            name: getattr(v.parts, name) or ("" if name in ("road", "number") else None)
            for name in PARTS
        },
        "full_text": full_text[:255],
        "search_text": search_text[:255],
        "lon": v.lon,
        "lat": v.lat,
        "is_active": True,
        "created_at": ctx.now,
        "updated_at": ctx.now,
        "version": 1,
    }


def _update(
    ctx: Context, address: Address, v: _Resolved, ids: dict[str, int], contexts: Any
) -> int:
    """Correct an existing address when the file says otherwise; 1 if it changed."""
    wanted = {name: getattr(v.parts, name) for name in PARTS} | {
        "parent_id": ids[v.parent_code] if v.parent_code else None,
        "grid_id": v.grid_id,
        "region_path": v.region_path,
        "lon": v.lon if v.lon is not None else address.lon,
        "lat": v.lat if v.lat is not None else address.lat,
    }
    if all(getattr(address, k) == val for k, val in wanted.items()):
        return 0
    before = audit.snapshot(address, ADDRESS_AUDIT_FIELDS)
    for name, value in wanted.items():
        setattr(address, name, value)
    full_text, search_text, own = texts(contexts[v.grid_id], v.parts)
    address.full_text, address.search_text = full_text[:255], search_text[:255]
    ctx.session.flush()
    index_tokens(ctx.session, address.id, own)
    common.audit_many(
        ctx,
        "address.update",
        "address",
        [(address.id, before, audit.snapshot(address, ADDRESS_AUDIT_FIELDS))],
    )
    return 1
