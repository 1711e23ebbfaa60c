"""A city's first load of residents (no resident and no household yet, PostgreSQL), written
straight into its tables a chunk at a time, with no staging table in between.

Through staging, each write of a million-row first load COPYed its rows twice, analysed the
staging table and joined it with the growing ``dwelling`` and ``household`` tables (hash
joins reading all of them once per write). Measured on a million rows: staging COPY 6.7 s,
ANALYZE 2.3 s, the new-dwelling anti-join 2.2 s, besides the joins inside the inserts; the
backend's 52.7 s fell to 40.7 s without them. Here the worker thread builds the residents'
COPY text as it builds the staging text otherwise, and the main thread keeps what those
joins looked up in two dicts: the dwelling of each address and the id of each household
written so far (returned by the households' insert, so that each resident's line can name
its household). The rows, their order and every value but the ids are those the staging
path writes (tested side by side)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import ForeignKeyConstraint, Table, insert, select, text
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, DropConstraint

from zhili.basedata.housing.models import Dwelling, DwellingUse, Household
from zhili.basedata.housing.service import link_buildings
from zhili.basedata.imports import common
from zhili.basedata.imports.bulk import copy_in, copy_lines, copy_payload, copy_statement, pick
from zhili.basedata.imports.kinds import Context
from zhili.basedata.population.models import Resident, SpecialGroupRecord

RESIDENT = cast(Table, Resident.__table__)
HOUSEHOLD = cast(Table, Household.__table__)


# a fixed key of PostgreSQL's advisory locks, taken by every persons import (see one_at_a_time)
_PERSONS_IMPORT_LOCK = 0x7A68696C69_01


def one_at_a_time(session: Session) -> None:
    """Persons imports on PostgreSQL run one after another: this transaction-scoped advisory
    lock is taken before the import reads ``resident`` or ``household``. A first load drops
    the residents' household key (``FirstLoad._begin``), which needs both tables to itself;
    two first loads that had each read them (a shared lock each, held to the end) would wait
    for each other, and PostgreSQL would abort one as a deadlock (found in review, with two
    real imports in two threads). Two imports of the same city's residents at once would
    contend for the same rows and indexes anyway."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PERSONS_IMPORT_LOCK})


def _household_key() -> ForeignKeyConstraint:
    key = next(iter(RESIDENT.c.household_id.foreign_keys)).constraint
    assert key is not None and key.name
    return key


# what a resident's line takes from the checked chunk; its household id is appended last
_TAKEN = tuple(c.name for c in RESIDENT.columns if c.name not in ("id", "household_id"))


@dataclass(frozen=True, slots=True)
class Prepared:
    """A checked chunk ready to write, built in the worker thread."""

    count: int
    statement: str  # COPY resident (…, household_id) FROM STDIN
    lines: list[str]  # one per resident, without its household id
    codes: list[str]  # each resident's household code
    firsts: list[int]  # the rows that are their household's first in the file
    addresses: list[int]  # address, grid and path of those first rows
    grids: list[int]
    paths: list[str]
    special: list[tuple[str, int, str, str]]  # (id_index, grid, path, groups) where listed


def prepare(good: dict[str, list[Any]], ctx: Context) -> Prepared:
    """The COPY text of a chunk's good rows (no database: runs in the worker thread)."""
    count = len(good["row"])
    if not count:
        return Prepared(0, "", [], [], [], [], [], [], [])
    now = ctx.now.isoformat()
    columns = {name: good[name] for name in _TAKEN if name in good}
    columns |= {"created_at": [now] * count, "updated_at": [now] * count, "version": [1] * count}
    names, lines = copy_lines(RESIDENT, columns)
    firsts = [i for i, first in enumerate(good["household_first"]) if first]
    listed = zip(
        good["id_index"], good["grid_id"], good["region_path"], good["special_groups"], strict=True
    )
    return Prepared(
        count=count,
        statement=copy_statement(RESIDENT, [*names, "household_id"]),
        lines=lines,
        codes=good["household_code"],
        firsts=firsts,
        addresses=pick(good["address_id"], firsts),
        grids=pick(good["grid_id"], firsts),
        paths=pick(good["region_path"], firsts),
        special=[row for row in listed if row[3]],
    )


@dataclass
class FirstLoad:
    """The main thread's side of a first load: the dwellings and households known so far."""

    ctx: Context
    dwellings: dict[int, int] = field(default_factory=dict)  # address id → dwelling id
    households: dict[str, int] = field(default_factory=dict)  # household code → id
    looked_up: set[int] = field(default_factory=set)  # addresses whose dwelling was read
    begun: bool = False  # the household key taken off (see _begin)

    def look_up(self, addresses: list[int]) -> None:
        """Read the dwellings of these addresses (with the addresses, before their rows are
        checked), so that a write queries only to make the missing ones."""
        wanted = [a for a in addresses if a not in self.looked_up]
        if not wanted:
            return
        with _cursor(self.ctx.session) as cursor:
            cursor.execute(_DWELLINGS_AT, (wanted,))
            self.dwellings.update(cursor.fetchall())
        self.looked_up.update(wanted)

    def _begin(self) -> None:
        """Before the first write: take the residents' household foreign key off until
        ``finish``. Checked row by row (a locked probe of ``household`` per resident) it
        cost a fifth of the backend's work on a million residents (36 → 28 s measured);
        checked once at the end it is one anti-join. This takes ACCESS EXCLUSIVE locks on
        both tables until the import commits: they are empty (a first load), but a reader
        of them waits for the import rather than seeing them empty, and other persons
        imports wait before they start (``one_at_a_time``). A rejected file's savepoint
        rollback puts the key back with everything else."""
        self.ctx.session.execute(DropConstraint(_household_key()))

    def finish(self) -> None:
        """Put the key back, checking every resident written (ALTER TABLE … ADD)."""
        if not self.begun:
            return
        self.ctx.session.execute(AddConstraint(_household_key()))

    def write(self, chunk: Prepared) -> int:
        """New dwellings, the chunk's new households, then its residents; the rows written.
        A few round trips a chunk, each one statement on the raw connection: the worker
        thread holds the GIL most of the time, and every Python step here waits for it
        while the database has nothing to do."""
        if not chunk.count:
            return 0
        if not self.begun:
            self._begin()
            self.begun = True
        session = self.ctx.session
        self._dwell(chunk)
        if chunk.firsts:  # (a chunk may hold only members of households seen before)
            with _cursor(session) as cursor:
                cursor.execute(
                    _NEW_HOUSEHOLDS,
                    {
                        "now": self.ctx.now,
                        "codes": pick(chunk.codes, chunk.firsts),
                        "dwellings": [self.dwellings[a] for a in chunk.addresses],
                        "grids": chunk.grids,
                        "paths": chunk.paths,
                    },
                )
                self.households.update(cursor.fetchall())
        known = self.households
        # str() of each id once per household, not once per resident
        ids_text = {code: f"\t{known[code]}" for code in set(chunk.codes)}
        copy_in(
            session,
            chunk.statement,
            copy_payload(
                list(map(str.__add__, chunk.lines, map(ids_text.__getitem__, chunk.codes)))
            ),
        )
        if chunk.special:
            with _cursor(session) as cursor:
                cursor.execute(_RESIDENTS_BY_INDEX, ([s[0] for s in chunk.special],))
                found = dict(cursor.fetchall())
            add_special_groups(
                self.ctx,
                [(found[key], grid, path, groups) for key, grid, path, groups in chunk.special],
            )
        return chunk.count

    def _dwell(self, chunk: Prepared) -> None:
        """A dwelling for each first row's address; made, with use unverified, where there
        is none yet."""
        session = self.ctx.session
        wanted: dict[int, tuple[int, str]] = {}
        for address, grid, path in zip(chunk.addresses, chunk.grids, chunk.paths, strict=True):
            if address not in self.dwellings:
                wanted.setdefault(address, (grid, path))
        self.look_up(list(wanted))
        now = self.ctx.now
        new = [
            {
                "address_id": address,
                "grid_id": grid,
                "region_path": path,
                "use": DwellingUse.unverified.value,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for address, (grid, path) in wanted.items()
            if address not in self.dwellings
        ]
        if not new:
            return
        made = session.execute(
            insert(Dwelling).returning(
                Dwelling.address_id, Dwelling.id, sort_by_parameter_order=True
            ),
            new,
        ).all()
        self.dwellings.update((a, d) for a, d in made)
        link_buildings(session, [d for _, d in made])


_NEW_HOUSEHOLDS = """
    INSERT INTO household (code, dwelling_id, grid_id, region_path, created_at, updated_at)
    SELECT u.code, u.dwelling_id, u.grid_id, u.region_path, %(now)s, %(now)s
    FROM unnest(%(codes)s::varchar[], %(dwellings)s::int[], %(grids)s::int[],
                %(paths)s::varchar[])
         WITH ORDINALITY AS u(code, dwelling_id, grid_id, region_path, n)
    ORDER BY u.n
    RETURNING code, id
"""
_DWELLINGS_AT = "SELECT address_id, id FROM dwelling WHERE address_id = ANY(%s)"
_RESIDENTS_BY_INDEX = "SELECT id_index, id FROM resident WHERE id_index = ANY(%s)"


def _cursor(session: Session) -> Any:
    raw = session.connection().connection.driver_connection
    assert raw is not None
    return raw.cursor()


def add_special_groups(ctx: Context, listed: Iterable[tuple[int, int, str, str]]) -> None:
    """Record each (resident id, grid id, region path, groups joined by ;) listed; groups a
    resident is already in are left as they are (shared by both write paths)."""
    listed = list(listed)
    if not listed:
        return
    session = ctx.session
    ids = [r[0] for r in listed]
    have = set(
        session.execute(
            select(SpecialGroupRecord.resident_id, SpecialGroupRecord.special_group).where(
                SpecialGroupRecord.resident_id.in_(ids)
            )
        ).all()
    )
    new = [
        {
            "resident_id": rid,
            "special_group": group,
            "grid_id": grid_id,
            "region_path": path,
            "created_at": ctx.now,
        }
        for rid, grid_id, path, groups in listed
        for group in groups.split(";")
        if (rid, group) not in have
    ]
    if new:
        session.execute(insert(SpecialGroupRecord), new)
        common.audit_many(
            ctx,
            "special_group.add",
            "resident",
            ((r["resident_id"], None, {"special_group": r["special_group"]}) for r in new),
        )
