"""Importing residents (实有人口). Natural key: the ID number (its keyed index).

A person lives at a standard address (``address_code``, or a free-text ``address`` matched
with confidence) in a household (``household_code``; by default one household per dwelling,
coded as its address). A dwelling is made where there is none yet, with use "unverified".
Special groups listed are added, never removed: removal is a deliberate act with a reason.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    LargeBinary,
    String,
    Table,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import Column

from zhili.basedata.housing.models import Dwelling, DwellingUse, Household
from zhili.basedata.housing.service import link_buildings
from zhili.basedata.imports import common
from zhili.basedata.imports.bulk import pick
from zhili.basedata.imports.kinds import Context, Counts, Field, RowError, RowInvalid
from zhili.basedata.imports.persons_chunk import parse_chunk
from zhili.basedata.imports.persons_direct import (
    FirstLoad,
    Prepared,
    add_special_groups,
    one_at_a_time,
    prepare,
)
from zhili.basedata.imports.persons_screen import PersonScreen
from zhili.basedata.population import rules
from zhili.basedata.population.codes import SpecialGroup, parse_code
from zhili.basedata.population.models import Resident
from zhili.basedata.validators import mask_id_number

_CODE_RE = re.compile(r"^[0-9A-Za-z-]{1,40}$")
_SPLIT = re.compile(r"[;；,，、|]")

PERSON_COLUMNS = (
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "native_place",
    "resident_type",
    "relation",
    "phone",
    "hukou_address",
    "education",
    "marital_status",
    "political_status",
    "religion",
    "occupation",
    "employer",
    "nationality",
    "inflow_reason",
    "left_behind_kind",
)
# What a re-import compares: a row equal in all of these is "unchanged" and not touched.
COMPARED = (*PERSON_COLUMNS, "household_id", "grid_id", "region_path")


class Persons:
    name = "persons"

    def __init__(self) -> None:
        self._screen: PersonScreen | None = None
        # no resident and no household before this import: nothing of the file can exist
        # yet (its rows are unique), so each write skips probing for existing keys
        self._first_load = False
        self._direct: FirstLoad | None = None  # a first load on PostgreSQL: no staging

    fields = (
        Field("id_number", "证件号码", required=True),
        Field("id_type", "证件类型"),
        Field("name", "姓名", required=True),
        Field("gender", "性别"),
        Field("birth_date", "出生日期"),
        Field("ethnicity", "民族"),
        Field("native_place", "籍贯"),
        Field("resident_type", "人口类型"),
        Field("household_code", "户编号"),
        Field("relation", "与户主关系"),
        Field("address_code", "地址编码", required=True),
        Field("address", "现住地址"),
        Field("phone", "联系电话"),
        Field("hukou_address", "户籍地址"),
        Field("education", "学历"),
        Field("marital_status", "婚姻状况"),
        Field("political_status", "政治面貌"),
        Field("religion", "宗教信仰"),
        Field("occupation", "职业"),
        Field("employer", "服务处所"),
        Field("nationality", "国籍"),
        Field("inflow_reason", "流入原因"),
        Field("left_behind_kind", "留守类别"),
        Field("special_groups", "特殊人群"),
    )

    def staging_columns(self) -> list[Column[Any]]:
        text = {"birth_date": Date}
        return [
            Column("id_type", String(16)),
            Column("id_index", String(32)),
            Column("id_cipher", LargeBinary),
            Column("id_masked", String(24)),
            *(Column(c, text.get(c, String(255))) for c in PERSON_COLUMNS),
            Column("household_code", String(40)),
            Column("special_groups", String(255)),
            *common.place_columns(),
            # the household's first row in the file, set by the screen: where it lives
            Column("household_first", Boolean),
        ]

    def parse(self, values: dict[str, str], ctx: Context) -> dict[str, Any]:
        try:
            person = rules.check(values, today=ctx.now.date())
        except rules.FieldError as exc:
            raise RowInvalid(exc.field, exc.reason, exc.reason_zh) from exc
        number = person.pop("id_number")
        code = values.get("address_code") or None
        text = values.get("address") or None
        if code is None and text is None:
            raise RowInvalid(
                "address_code",
                "an address code or an address is required",
                "须填写地址编码或现住地址",
            )
        household = values.get("household_code") or code
        for name, value in (("address_code", code), ("household_code", household)):
            if value is not None and not _CODE_RE.match(value):
                raise RowInvalid(name, "1–40 letters, digits or -", "应为1–40位字母、数字或-")
        groups = _groups(values.get("special_groups", ""), ctx)
        person["id_index"] = ctx.vault.index(person["id_type"], number)
        person["id_cipher"] = ctx.vault.seal(number)
        person["id_masked"] = mask_id_number(number)
        person["household_code"] = household
        person["special_groups"] = groups
        person["address_code"] = code
        person["address_text"] = text
        return person

    prefetch_fields = ("address_code", "address")

    def prefetch(self, cells: dict[str, list[str]], ctx: Context) -> None:
        """The standard addresses the chunk names, by code or free text (see persons_screen)."""
        if self._screen is None or self._screen.ctx is not ctx:
            self._screen = PersonScreen(ctx)
            postgresql = ctx.session.get_bind().dialect.name == "postgresql"
            if postgresql:
                one_at_a_time(ctx.session)  # before anything reads resident or household
            self._first_load = first_load(ctx.session)
            self._direct = FirstLoad(ctx) if self._first_load and postgresql else None
        self._screen.prefetch(cells)
        if self._direct is not None:
            self._direct.look_up(self._screen.fetched)
        self._screen.fetched = []

    def parse_chunk(
        self, numbers: list[int], cells: dict[str, list[str]], ctx: Context
    ) -> tuple[dict[str, list[Any]], list[RowError]]:
        """The rows of a chunk that pass the row rules and the whole-file checks so far, as
        staging columns, and the errors of the others (see persons_chunk, persons_screen)."""
        assert self._screen is not None and self._screen.ctx is ctx, "prefetch first"
        accepted, columns, errors = parse_chunk(self.parse, numbers, cells, ctx)
        kept, more = self._screen.screen(numbers, accepted, columns)
        staged = {c.name: pick(columns[c.name], kept) for c in self.staging_columns()}
        staged["row"] = pick(numbers, kept)
        return staged, errors + more

    def direct(self) -> bool:
        return self._direct is not None

    def prepare_direct(self, good: dict[str, list[Any]], ctx: Context) -> Prepared:
        return prepare(good, ctx)

    def write_direct(self, prepared: Prepared, ctx: Context) -> int:
        assert self._direct is not None and self._direct.ctx is ctx
        return self._direct.write(prepared)

    def finish_direct(self, ctx: Context) -> None:
        assert self._direct is not None and self._direct.ctx is ctx
        self._direct.finish()

    def checks(self, staging: Table, ctx: Context) -> list[RowError]:
        return []  # made as the chunks went by (persons_screen)

    def apply(self, staging: Table, ctx: Context) -> Counts:
        session, now = ctx.session, ctx.now
        if session.get_bind().dialect.name == "postgresql":
            # A temporary table is never analysed automatically: guessing it holds a row or
            # two, the planner would scan a growing table once per staged row. The columns
            # joined on only (the whole table costs three times more).
            session.execute(
                text(
                    f'ANALYZE "{staging.name}" '
                    "(row, address_id, household_code, household_first, id_index)"
                )
            )
        new_dwellings = (
            select(
                staging.c.address_id,
                staging.c.grid_id,
                staging.c.region_path,
                literal(DwellingUse.unverified.value),
                literal(now),
                literal(now),
                literal(1),
            )
            .where(~select(Dwelling.id).where(Dwelling.address_id == staging.c.address_id).exists())
            # a household lives at one address: its first row names it for all its members
            .where(staging.c.household_first.is_(True))
            .distinct()
        )
        made = (
            session.execute(
                insert(Dwelling)
                .from_select(
                    [
                        "address_id",
                        "grid_id",
                        "region_path",
                        "use",
                        "created_at",
                        "updated_at",
                        "version",
                    ],
                    new_dwellings,
                )
                .returning(Dwelling.id)
            )
            .scalars()
            .all()
        )
        link_buildings(session, list(made))
        _households(ctx, staging, first_load=self._first_load)
        source = select(
            *[staging.c[c] for c in ("id_type", "id_index", "id_cipher", "id_masked")],
            *[staging.c[c] for c in PERSON_COLUMNS],
            Household.id.label("household_id"),
            staging.c.grid_id,
            staging.c.region_path,
            literal(now).label("created_at"),
            literal(now).label("updated_at"),
            literal(1).label("version"),
            staging.c.row,
        ).join(Household, Household.code == staging.c.household_code)
        table = Resident.__table__
        existing = (
            0
            if self._first_load
            else common.matched(session, table, staging, "id_index", "id_index")
        )
        total = session.scalar(select(func.count()).select_from(staging)) or 0
        changes = (
            common.changed_rows(session, table, source.subquery(), "id_index", COMPARED)
            if existing
            else []
        )
        common.audit_many(ctx, "resident.update", "resident", changes)
        common.upsert(
            session,
            Resident,
            source,
            [c for c in source.selected_columns.keys() if c != "row"],  # noqa: SIM118 - names, not columns
            "id_index",
            COMPARED,
            update_rows=bool(changes),
            insert_rows=existing < total,
            order="row",
            # nothing of the file is there yet: no anti-join probing a million keys (a
            # concurrent import of the same numbers fails on the unique index instead)
            all_new=existing == 0,
        )
        _special_groups(ctx, staging)
        return Counts(
            inserted=total - existing, updated=len(changes), unchanged=existing - len(changes)
        )


def _groups(value: str, ctx: Context) -> str | None:
    if not value:
        return None
    parts = [p.strip() for p in _SPLIT.split(value) if p.strip()]
    if not parts:
        return None
    if not ctx.may_special_groups:
        raise RowInvalid(
            "special_groups", "your role may not record special groups", "您的角色无权登记特殊人群"
        )
    try:
        return ";".join(sorted({parse_code(SpecialGroup, p).value for p in parts}))
    except ValueError as exc:
        allowed = ", ".join(g.value for g in SpecialGroup)
        raise RowInvalid(
            "special_groups", f"not one of {allowed}", f"取值无效（可选：{allowed}）"
        ) from exc


def first_load(session: Session) -> bool:
    """No resident and no household yet: a city's first load (a concurrent import of the
    same numbers or household codes then fails on the unique indexes instead)."""
    return not session.scalar(select(select(Resident.id).exists() | select(Household.id).exists()))


def _households(ctx: Context, staging: Table, *, first_load: bool) -> None:
    """New households are inserted; a household the file places in another dwelling moves
    there (audited), and its members not in the file move with it."""
    session, now = ctx.session, ctx.now
    # A household's first row is never dropped later (only second heads are, and a first
    # row cannot be one), so the flag still marks one row per household after good-rows-only
    # removes the bad ones.
    placed = (
        select(
            staging.c.household_code,
            Dwelling.id.label("dwelling_id"),
            staging.c.grid_id,
            staging.c.region_path,
            staging.c.row,
        )
        .join(Dwelling, Dwelling.address_id == staging.c.address_id)
        .where(staging.c.household_first.is_(True))
        .subquery()
    )
    moves = (
        []
        if first_load
        else session.execute(
            select(Household, placed.c.dwelling_id, placed.c.grid_id, placed.c.region_path)
            .join(placed, placed.c.household_code == Household.code)
            .where(Household.dwelling_id != placed.c.dwelling_id)
        ).all()
    )
    audits = []
    for household, dwelling_id, grid_id, region_path in moves:
        audits.append(
            (household.id, {"dwelling_id": household.dwelling_id}, {"dwelling_id": dwelling_id})
        )
        household.dwelling_id, household.grid_id, household.region_path = (
            dwelling_id,
            grid_id,
            region_path,
        )
        session.execute(
            update(Resident)
            .where(Resident.household_id == household.id)
            .values(grid_id=grid_id, region_path=region_path)
            .execution_options(synchronize_session=False)
        )
    common.audit_many(ctx, "household.move", "household", audits)
    session.flush()
    new = select(
        placed.c.household_code,
        placed.c.dwelling_id,
        placed.c.grid_id,
        placed.c.region_path,
        literal(now),
        literal(now),
    )
    if not first_load:  # (a household's first row is in one write only)
        new = new.where(
            ~select(Household.id).where(Household.code == placed.c.household_code).exists()
        )
    session.execute(
        insert(Household).from_select(
            ["code", "dwelling_id", "grid_id", "region_path", "created_at", "updated_at"],
            # in file order, as the residents after them: both tables' indexes then grow at
            # their right-hand end instead of at random pages
            new.order_by(placed.c.row),
        )
    )


def _special_groups(ctx: Context, staging: Table) -> None:
    listed = ctx.session.execute(
        select(Resident.id, Resident.grid_id, Resident.region_path, staging.c.special_groups)
        .join(staging, staging.c.id_index == Resident.id_index)
        .where(staging.c.special_groups.is_not(None))
    ).all()
    add_special_groups(ctx, listed)
