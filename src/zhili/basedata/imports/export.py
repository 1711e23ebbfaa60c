"""Exports of base data, in the same columns the importer reads (a file can go round trip).

Personal data is masked in every export unless the exporter has the permission, gives a
reason and asks for it; every export, masked or not, writes an audit row (what, how many,
whether unmasked, why). Masked exports keep only the birth year (see population.schemas).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from zhili.basedata import scope
from zhili.basedata.addresses.models import Address
from zhili.basedata.housing.models import Dwelling, Household
from zhili.basedata.imports.service import kind_of
from zhili.basedata.population.models import Resident
from zhili.basedata.population.present import MIN_REASON, may, special_groups
from zhili.basedata.units.models import Unit
from zhili.basedata.vault import Vault
from zhili.core import audit
from zhili.core.errors import Forbidden, ValidationFailed
from zhili.core.security import Permission, mask_phone
from zhili.org.models import Region
from zhili.org.users.models import User

BATCH = 5000


def export(
    session: Session,
    *,
    actor: User | None,
    vault: Vault,
    kind: str,
    fmt: str = "csv",
    region_id: int | None = None,
    unmask: bool = False,
    reason: str | None = None,
    chinese_header: bool = True,
) -> tuple[bytes, int]:
    """(file bytes, number of records) of one kind within the actor's scope."""
    spec = kind_of(kind)
    scope.require_role(session, actor=actor, permission=Permission.basedata_export)
    if unmask:
        if reason is None or len(reason.strip()) < MIN_REASON:
            raise ValidationFailed(
                "reason", "say why you need unmasked data", "导出完整个人信息须说明理由"
            )
        needed = Permission.id_number_read if kind == "persons" else Permission.personal_data_read
        if not may(actor, needed) and not may(actor, Permission.id_number_read):
            raise Forbidden("may not export unmasked personal data", "无权导出完整个人信息")
    inside = scope.filter_clause
    names = [f.name for f in spec.fields]
    if kind == "persons" and not may(actor, Permission.special_groups_read):
        names.remove("special_groups")
    if kind == "persons":
        rows = _persons(
            session,
            actor,
            vault,
            names,
            unmask,
            inside(session, actor, Resident.region_path, region_id=region_id),
        )
    elif kind == "units":
        rows = _units(
            session, unmask, inside(session, actor, Unit.region_path, region_id=region_id)
        )
    elif kind == "dwellings":
        rows = _dwellings(
            session, inside(session, actor, Dwelling.region_path, region_id=region_id)
        )
    else:
        rows = _addresses(session, inside(session, actor, Address.region_path, region_id=region_id))
    labels = {f.name: f.label_zh for f in spec.fields}
    header = [labels[n] if chinese_header else n for n in names]
    data, count = _write(fmt, header, ([r.get(n) for n in names] for r in rows))
    audit.record(
        session,
        actor=actor,
        action="basedata.export",
        entity_type="basedata_export",
        entity_id=kind,
        after={
            "kind": kind,
            "records": count,
            "region_id": region_id,
            "unmasked": unmask,
            "reason": reason.strip() if unmask and reason else None,
        },
    )
    return data, count


def _write(fmt: str, header: Sequence[str], rows: Iterator[list[Any]]) -> tuple[bytes, int]:
    count = 0
    if fmt == "xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet("data")
        sheet.append(list(header))
        for row in rows:
            sheet.append(["" if v is None else str(v) for v in row])  # text keeps 18 digits
            count += 1
        out = io.BytesIO()
        book.save(out)
        return out.getvalue(), count
    if fmt != "csv":
        raise ValidationFailed("format", "csv or xlsx", "格式应为 csv 或 xlsx")
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
        count += 1
    return text.getvalue().encode("utf-8-sig"), count


def _persons(
    session: Session, actor: User | None, vault: Vault, names: list[str], unmask: bool, where: Any
) -> Iterator[dict[str, Any]]:
    query = (
        select(Resident, Household.code, Address.code, Address.full_text)
        .join(Household, Household.id == Resident.household_id)
        .join(Dwelling, Dwelling.id == Household.dwelling_id)
        .join(Address, Address.id == Dwelling.address_id)
        .where(where)
        .order_by(Resident.id)
    )
    batch: list[tuple[Resident, str, str, str]] = []
    for row in session.execute(query.execution_options(yield_per=BATCH)).all():
        batch.append(row)
        if len(batch) >= BATCH:
            yield from _person_rows(session, actor, vault, batch, unmask, "special_groups" in names)
            batch = []
    yield from _person_rows(session, actor, vault, batch, unmask, "special_groups" in names)


def _person_rows(
    session: Session,
    actor: User | None,
    vault: Vault,
    batch: list[tuple[Resident, str, str, str]],
    unmask: bool,
    with_groups: bool,
) -> Iterator[dict[str, Any]]:
    groups = special_groups(session, actor, [r.id for r, *_ in batch]) if with_groups else None
    for r, household_code, address_code, address_text in batch:
        born = r.birth_date
        yield {
            "id_number": vault.open(r.id_cipher) if unmask else r.id_masked,
            "id_type": r.id_type,
            "name": r.name,
            "gender": r.gender,
            "birth_date": (born.isoformat() if unmask else f"{born.year}-**-**") if born else None,
            **{
                c: getattr(r, c)
                for c in (
                    "ethnicity",
                    "native_place",
                    "resident_type",
                    "relation",
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
            },
            "household_code": household_code,
            "address_code": address_code,
            "address": address_text,
            "phone": r.phone if unmask else mask_phone(r.phone),
            "special_groups": ";".join(groups.get(r.id, [])) if groups is not None else None,
        }


def _units(session: Session, unmask: bool, where: Any) -> Iterator[dict[str, Any]]:
    query = (
        select(Unit, Address.code, Address.full_text)
        .join(Address, Address.id == Unit.address_id)
        .where(where)
        .order_by(Unit.id)
    )
    for unit, code, text in session.execute(query.execution_options(yield_per=BATCH)).all():
        yield {
            **{
                c: getattr(unit, c)
                for c in (
                    "uscc",
                    "name",
                    "kind",
                    "legal_representative",
                    "contact_name",
                    "staff_count",
                    "industry",
                    "established_on",
                )
            },
            "address_code": code,
            "address": text,
            "contact_phone": unit.contact_phone if unmask else mask_phone(unit.contact_phone),
        }


def _dwellings(session: Session, where: Any) -> Iterator[dict[str, Any]]:
    query = (
        select(Dwelling, Address.code, Address.full_text)
        .join(Address, Address.id == Dwelling.address_id)
        .where(where)
        .order_by(Dwelling.id)
    )
    for dwelling, code, text in session.execute(query.execution_options(yield_per=BATCH)).all():
        yield {
            "address_code": code,
            "address": text,
            "use": dwelling.use,
            "area_m2": dwelling.area_m2,
            "owner_name": dwelling.owner_name,
        }


def _addresses(session: Session, where: Any) -> Iterator[dict[str, Any]]:
    parent = aliased(Address)
    query = (
        select(Address, parent.code, Region.code)
        .outerjoin(parent, parent.id == Address.parent_id)
        .join(Region, Region.id == Address.grid_id)
        .where(where)
        .order_by(Address.id)
    )
    for address, parent_code, grid_code in session.execute(
        query.execution_options(yield_per=BATCH)
    ).all():
        door = parent_code is None
        yield {
            "code": address.code,
            "parent_code": parent_code,
            "grid_code": grid_code if door else None,
            **{
                n: getattr(address, n)
                for n in ("road", "number", "compound", "building", "unit", "room", "lon", "lat")
            },
        }
