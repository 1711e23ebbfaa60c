"""Importing units (实有单位) and dwellings (实有房屋), both bound to a standard address.

Units' natural key is the unified social credit code; a dwelling's is its address.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Float, Integer, String, Table, func, literal, select
from sqlalchemy.sql.schema import Column

from zhili.basedata.housing.models import DWELLING_USE_LABELS_ZH, Dwelling
from zhili.basedata.housing.service import link_buildings
from zhili.basedata.imports import common
from zhili.basedata.imports.kinds import Context, Counts, Field, RowError, RowInvalid
from zhili.basedata.units.models import UNIT_KIND_LABELS_ZH, Unit, UnitKind
from zhili.basedata.validators import Invalid, parse_phone, parse_uscc

UNIT_COMPARED = (
    "name",
    "kind",
    "address_id",
    "grid_id",
    "region_path",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "staff_count",
    "industry",
    "established_on",
)
DWELLING_COMPARED = ("use", "area_m2", "owner_name", "grid_id", "region_path")


def _text(values: dict[str, str], name: str, limit: int) -> str | None:
    value = values.get(name, "").strip()
    if len(value) > limit:
        raise RowInvalid(name, f"longer than {limit} characters", f"超过{limit}个字符")
    return value or None


def _place(values: dict[str, str]) -> dict[str, Any]:
    code = values.get("address_code") or None
    text = values.get("address") or None
    if code is None and text is None:
        raise RowInvalid(
            "address_code", "an address code or an address is required", "须填写地址编码或地址"
        )
    return {"address_code": code, "address_text": text}


def _write(
    ctx: Context, staging: Table, model: Any, key: str, compare: tuple[str, ...], columns: list[Any]
) -> Counts:
    now = ctx.now
    source = select(
        *columns,
        staging.c.address_id,
        staging.c.grid_id,
        staging.c.region_path,
        literal(now).label("created_at"),
        literal(now).label("updated_at"),
        literal(1).label("version"),
    )
    table = model.__table__
    existing = common.matched(ctx.session, table, staging, key, key)
    total = ctx.session.scalar(select(func.count()).select_from(staging)) or 0
    changes = (
        common.changed_rows(ctx.session, table, source.subquery(), key, compare) if existing else []
    )
    common.audit_many(ctx, f"{model.__name__.lower()}.update", model.__name__.lower(), changes)
    names = list(source.selected_columns.keys())
    common.upsert(
        ctx.session,
        model,
        source,
        names,
        key,
        compare,
        update_rows=bool(changes),
        insert_rows=existing < total,
    )
    return Counts(
        inserted=total - existing, updated=len(changes), unchanged=existing - len(changes)
    )


class Units:
    name = "units"
    fields = (
        Field("uscc", "统一社会信用代码", required=True),
        Field("name", "单位名称", required=True),
        Field("kind", "单位类型"),
        Field("address_code", "地址编码", required=True),
        Field("address", "单位地址"),
        Field("legal_representative", "法定代表人"),
        Field("contact_name", "联系人"),
        Field("contact_phone", "联系电话"),
        Field("staff_count", "从业人数"),
        Field("industry", "所属行业"),
        Field("established_on", "成立日期"),
    )

    def staging_columns(self) -> list[Column[Any]]:
        return [
            Column("uscc", String(18)),
            Column("name", String(128)),
            Column("kind", String(24)),
            Column("legal_representative", String(64)),
            Column("contact_name", String(64)),
            Column("contact_phone", String(32)),
            Column("staff_count", Integer),
            Column("industry", String(64)),
            Column("established_on", Date),
            *common.place_columns(),
        ]

    def parse(self, values: dict[str, str], ctx: Context) -> dict[str, Any]:
        try:
            uscc = parse_uscc(values.get("uscc", ""))
        except Invalid as exc:
            raise RowInvalid("uscc", exc.reason, exc.reason_zh) from exc
        phone = values.get("contact_phone", "").strip() or None
        try:
            phone = parse_phone(phone) if phone else None
        except Invalid as exc:
            raise RowInvalid("contact_phone", exc.reason, exc.reason_zh) from exc
        name = _text(values, "name", 128)
        if name is None:
            raise RowInvalid("name", "required", "必填")
        return {
            "uscc": uscc,
            "name": name,
            "kind": common.parse_enum("kind", values.get("kind", ""), UNIT_KIND_LABELS_ZH)
            or UnitKind.company.value,
            "legal_representative": _text(values, "legal_representative", 64),
            "contact_name": _text(values, "contact_name", 64),
            "contact_phone": phone,
            "staff_count": common.parse_number(
                "staff_count", values.get("staff_count", ""), low=0, high=10_000_000, whole=True
            ),
            "industry": _text(values, "industry", 64),
            "established_on": common.parse_date("established_on", values.get("established_on", "")),
            **_place(values),
        }

    def checks(self, staging: Table, ctx: Context) -> list[RowError]:
        errors = common.drop(ctx, staging, common.resolve_addresses(ctx, staging))
        return errors + common.duplicates(ctx.session, staging, "uscc", "uscc")

    def apply(self, staging: Table, ctx: Context) -> Counts:
        cols = [
            staging.c[c]
            for c in (
                "uscc",
                "name",
                "kind",
                "legal_representative",
                "contact_name",
                "contact_phone",
                "staff_count",
                "industry",
                "established_on",
            )
        ]
        return _write(ctx, staging, Unit, "uscc", UNIT_COMPARED, cols)


class Dwellings:
    name = "dwellings"
    fields = (
        Field("address_code", "地址编码", required=True),
        Field("address", "房屋地址"),
        Field("use", "房屋用途", required=True),
        Field("area_m2", "建筑面积"),
        Field("owner_name", "产权人"),
    )

    def staging_columns(self) -> list[Column[Any]]:
        return [
            Column("use", String(16)),
            Column("area_m2", Float),
            Column("owner_name", String(64)),
            *common.place_columns(),
        ]

    def parse(self, values: dict[str, str], ctx: Context) -> dict[str, Any]:
        use = common.parse_enum("use", values.get("use", ""), DWELLING_USE_LABELS_ZH)
        if use is None:
            raise RowInvalid("use", "required", "必填")
        return {
            "use": use,
            "area_m2": common.parse_number(
                "area_m2", values.get("area_m2", ""), low=0.1, high=100_000
            ),
            "owner_name": _text(values, "owner_name", 64),
            **_place(values),
        }

    def checks(self, staging: Table, ctx: Context) -> list[RowError]:
        errors = common.drop(ctx, staging, common.resolve_addresses(ctx, staging))
        return errors + common.duplicates(ctx.session, staging, "address_id", "address_code")

    def apply(self, staging: Table, ctx: Context) -> Counts:
        cols = [staging.c[c] for c in ("use", "area_m2", "owner_name")]
        counts = _write(ctx, staging, Dwelling, "address_id", DWELLING_COMPARED, cols)
        unlinked = ctx.session.scalars(
            select(Dwelling.id).where(
                Dwelling.building_id.is_(None),
                Dwelling.address_id.in_(select(staging.c.address_id)),
            )
        ).all()
        link_buildings(ctx.session, list(unlinked))
        return counts
