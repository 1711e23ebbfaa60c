"""Units (实有单位): register, correct, delete, list in scope. Never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.basedata import scope
from zhili.basedata.addresses.models import Address
from zhili.basedata.addresses.service import get_address
from zhili.basedata.population.present import MIN_REASON, may
from zhili.basedata.units.models import Unit, UnitKind
from zhili.basedata.units.schemas import UnitIn, UnitOut, UnitPatch
from zhili.basedata.validators import Invalid, parse_phone, parse_uscc
from zhili.core import audit
from zhili.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from zhili.core.security import Permission, mask_phone
from zhili.org.models import Region
from zhili.org.users.models import User

UNIT_AUDIT_FIELDS = (
    "uscc",
    "name",
    "kind",
    "address_id",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "staff_count",
    "industry",
    "established_on",
)


def _place(session: Session, actor: User | None, address_id: int) -> Address:
    try:
        address = get_address(session, address_id)
    except NotFound as exc:
        raise ValidationFailed("address_id", "unknown address", "标准地址不存在") from exc
    region = session.get_one(Region, address.grid_id)
    scope.require_area(session, actor=actor, permission=Permission.basedata_write, region=region)
    return address


def _phone(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return parse_phone(value)
    except Invalid as exc:
        raise ValidationFailed("contact_phone", exc.reason, exc.reason_zh) from exc


def create_unit(session: Session, *, actor: User | None, data: UnitIn) -> Unit:
    """Register a unit by its unified social credit code (check character verified)."""
    try:
        uscc = parse_uscc(data.uscc)
    except Invalid as exc:
        raise ValidationFailed("uscc", exc.reason, exc.reason_zh) from exc
    address = _place(session, actor, data.address_id)
    if session.scalar(select(Unit.id).where(Unit.uscc == uscc)) is not None:
        raise Conflict(f"unit {uscc} exists", f"统一社会信用代码 {uscc} 已登记")
    unit = Unit(
        **data.model_dump(exclude={"uscc", "kind", "contact_phone"}),
        uscc=uscc,
        kind=data.kind.value,
        contact_phone=_phone(data.contact_phone),
        grid_id=address.grid_id,
        region_path=address.region_path,
    )
    session.add(unit)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="unit.create",
        entity_type="unit",
        entity_id=unit.id,
        after=audit.snapshot(unit, UNIT_AUDIT_FIELDS),
    )
    return unit


def get_unit(session: Session, *, actor: User | None, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("unit", unit_id)
    scope.require(
        session,
        actor=actor,
        permission=Permission.basedata_read,
        region_path=unit.region_path,
        entity="unit",
        key=unit_id,
    )
    return unit


def update_unit(session: Session, *, actor: User | None, unit_id: int, patch: UnitPatch) -> Unit:
    unit = get_unit(session, actor=actor, unit_id=unit_id)
    _place(session, actor, unit.address_id)
    if patch.version != unit.version:
        raise Conflict(
            f"unit changed since version {patch.version}",
            "单位信息已被他人修改，请刷新后重试",
            current_state=f"version {unit.version}",
        )
    before = audit.snapshot(unit, UNIT_AUDIT_FIELDS)
    changes = patch.model_dump(exclude_unset=True, exclude={"version"})
    if "address_id" in changes and changes["address_id"] is not None:
        address = _place(session, actor, changes["address_id"])
        unit.grid_id, unit.region_path = address.grid_id, address.region_path
    if "contact_phone" in changes:
        changes["contact_phone"] = _phone(changes["contact_phone"])
    for name, value in changes.items():
        if name in ("name", "kind", "address_id") and value is None:
            raise ValidationFailed(name, "may not be emptied", "不能为空")
        setattr(unit, name, value.value if isinstance(value, UnitKind) else value)
    session.flush()
    after = audit.snapshot(unit, UNIT_AUDIT_FIELDS)
    audit.record(
        session,
        actor=actor,
        action="unit.update",
        entity_type="unit",
        entity_id=unit.id,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
    )
    return unit


def delete_unit(session: Session, *, actor: User | None, unit_id: int, reason: str) -> None:
    """A unit that closed or moved away; the audit row keeps it and the reason."""
    unit = get_unit(session, actor=actor, unit_id=unit_id)
    _place(session, actor, unit.address_id)
    before = audit.snapshot(unit, UNIT_AUDIT_FIELDS)
    session.delete(unit)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="unit.delete",
        entity_type="unit",
        entity_id=unit_id,
        before=before,
        after={"reason": reason},
    )


def list_units(
    session: Session,
    *,
    actor: User,
    region_id: int | None = None,
    kind: UnitKind | None = None,
    name: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Unit], int]:
    scope.require_role(session, actor=actor, permission=Permission.basedata_read)
    query = select(Unit).where(
        scope.filter_clause(session, actor, Unit.region_path, region_id=region_id)
    )
    if kind is not None:
        query = query.where(Unit.kind == kind.value)
    if name:
        query = query.where(Unit.name.contains(name, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return session.scalars(query.order_by(Unit.id).limit(limit).offset(offset)).all(), total


def present(
    session: Session,
    *,
    actor: User | None,
    unit: Unit,
    unmask: bool = False,
    reason: str | None = None,
) -> UnitOut:
    out = UnitOut.model_validate(unit)
    out.address = session.scalar(select(Address.full_text).where(Address.id == unit.address_id))
    if not unmask:
        out.contact_phone = mask_phone(unit.contact_phone)
        return out
    if reason is None or len(reason.strip()) < MIN_REASON:
        raise ValidationFailed("reason", "say why", "查看完整个人信息须说明理由")
    if not (may(actor, Permission.personal_data_read) or may(actor, Permission.id_number_read)):
        raise Forbidden("may not read personal data", "无权查看个人敏感信息")
    out.masked = False
    audit.record(
        session,
        actor=actor,
        action="personal_data.read",
        entity_type="unit",
        entity_id=unit.id,
        after={"fields": ["contact_phone"], "reason": reason.strip()},
    )
    return out
