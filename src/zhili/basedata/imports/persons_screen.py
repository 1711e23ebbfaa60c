"""The whole-file checks of a persons import, made in file order as the chunks go by.

They report what set-based checks over the whole file would, in the same order, each
judging a row against the earlier rows that passed the checks before it: a free-text address
without a confident match → an unknown address code → outside the importer's area → an ID
number repeated → a household at two addresses (those rows are left out) → a second head of
the household. Standard addresses come from a dict filled a chunk at a time (a few dozen
queries for a million rows), so their id, grid and path go into the staging COPY instead of
a staging-wide UPDATE and joins afterwards.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from zhili.basedata.addresses.models import Address
from zhili.basedata.addresses.service import search_addresses
from zhili.basedata.imports.common import CONFIDENT, MARGIN
from zhili.basedata.imports.kinds import Context, RowError

_BATCH = 5000  # codes per query on SQLite (it allows 32 766 parameters); one array on PostgreSQL


Place = tuple[int, int, str]  # address id, grid id, region path


_BY_CODES = (
    "SELECT code, id, grid_id, region_path FROM std_address WHERE code = ANY(%s) AND is_active"
)


class PersonScreen:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.places: dict[str, Place | None] = {}  # code → place; None: no such address
        self.matches: dict[str, str | RowError] = {}  # free text → code, or why not
        self.seen: dict[str, int] = {}  # id_index → first row
        self.households: dict[str, tuple[int, str]] = {}  # code → (first row, address code)
        self.heads: set[str] = set()
        self.fetched: list[int] = []  # ids of the addresses read since the caller last took them

    def screen(
        self, numbers: list[int], rows: list[int], out: dict[str, list[Any]]
    ) -> tuple[list[int], list[RowError]]:
        """The indexes of ``rows`` (in ``out``) that pass, and the errors of the others.
        Fills ``address_id``, ``grid_id`` and ``region_path`` of the passing rows."""
        codes, texts = out["address_code"], out["address_text"]
        households, relations, keys = out["household_code"], out["relation"], out["id_index"]
        n = len(codes)
        ids: list[int | None] = [None] * n
        grids: list[int | None] = [None] * n
        paths: list[str | None] = [None] * n
        firsts: list[bool | None] = [None] * n
        kept: list[int] = []
        errors: list[RowError] = []
        prefix = self.ctx.scope_prefix
        places, seen, known, heads = self.places, self.seen, self.households, self.heads
        for i in rows:
            number, code = numbers[i], codes[i]
            if code is None:
                matched = self.matches[texts[i] or ""]
                if isinstance(matched, RowError):
                    errors.append(
                        RowError(number, matched.field, matched.reason, matched.reason_zh)
                    )
                    continue
                code = codes[i] = matched
            place = places[code]
            if place is None:
                errors.append(
                    RowError(
                        number, "address_code", f"unknown address {code}", f"标准地址 {code} 不存在"
                    )
                )
                continue
            if prefix != "" and (prefix is None or not place[2].startswith(prefix)):
                why = ("outside your area", "该地址不在您的管辖范围内")
                errors.append(RowError(number, "address_code", *why))
                continue
            first = seen.setdefault(keys[i], number)
            if first != number:
                errors.append(
                    RowError(number, "id_number", f"duplicate of row {first}", f"与第{first}行重复")
                )
                continue
            household = households[i] = households[i] or code
            first_row, first_code = known.setdefault(household, (number, code))
            firsts[i] = first_row == number
            if first_code != code:
                errors.append(
                    RowError(
                        number,
                        "household_code",
                        f"household {household} is at another address in row {first_row}",
                        f"户 {household} 在第{first_row}行登记于另一地址",
                    )
                )
                continue
            if relations[i] == "head":
                if household in heads:
                    # reported, but the row stays: the checks after this one still judge it
                    errors.append(
                        RowError(
                            number, "relation", "a second head of the household", "同一户有两个户主"
                        )
                    )
                heads.add(household)
            ids[i], grids[i], paths[i] = place
            kept.append(i)
        out["address_id"], out["grid_id"], out["region_path"] = ids, grids, paths
        out["household_first"] = firsts
        return kept, errors

    def prefetch(self, cells: dict[str, list[str]]) -> None:
        """Read the addresses a chunk's cells may need (a superset: rows the row rules will
        refuse included), so that ``screen`` can run in another thread without the
        database."""
        codes = cells["address_code"]
        texts = cells.get("address")
        if texts is not None:
            for text in {t for c, t in zip(codes, texts, strict=True) if not c and t}:
                if text not in self.matches:
                    self._match(text)
        matched = {c for c in self.matches.values() if isinstance(c, str)}
        self._fetch(({c for c in codes if c} | matched) - self.places.keys())

    def _fetch(self, codes: set[str]) -> None:
        wanted = sorted(codes)
        if not wanted:
            return
        self.places.update(dict.fromkeys(wanted))
        connection = self.ctx.session.connection()
        if connection.dialect.name == "postgresql":
            # one array parameter, and psycopg's plain tuples: a million-row file brings
            # some 400 000 addresses
            raw = connection.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cursor:
                cursor.execute(_BY_CODES, [wanted])
                self.places.update((code, (a, g, p)) for code, a, g, p in cursor)
            self.fetched.extend(p[0] for p in map(self.places.__getitem__, wanted) if p)
            return
        for start in range(0, len(wanted), _BATCH):
            found = connection.execute(
                select(Address.code, Address.id, Address.grid_id, Address.region_path).where(
                    Address.code.in_(wanted[start : start + _BATCH]), Address.is_active.is_(True)
                )
            )
            self.places.update((code, (a, g, p)) for code, a, g, p in found)
        self.fetched.extend(p[0] for p in map(self.places.__getitem__, wanted) if p)

    def _match(self, text: str) -> None:
        """The standard address a free text names, if confident (as the other kinds)."""
        found = search_addresses(self.ctx.session, text=text, limit=2)
        best = found[0] if found else None
        runner_up = found[1][1] if len(found) > 1 else 0.0
        if best is not None and best[1] >= CONFIDENT and best[1] - runner_up >= MARGIN:
            self.matches[text] = best[0].code
            return
        hint = f"; closest: {best[0].full_text} ({best[1]:.2f})" if best else ""
        hint_zh = f"；最接近：{best[0].full_text}（{best[1]:.2f}）" if best else ""
        self.matches[text] = RowError(
            0,
            "address",
            "no confident match among standard addresses" + hint,
            "未能匹配到唯一的标准地址" + hint_zh,
        )
