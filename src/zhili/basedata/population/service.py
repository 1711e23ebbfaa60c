"""Residents: register, correct, delete, find by ID number, list in scope; special groups.
Every change is audited with before → after; services never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from zhili.basedata import scope
from zhili.basedata.housing.models import Household
from zhili.basedata.population import rules
from zhili.basedata.population.codes import IdType, ResidentType, SpecialGroup
from zhili.basedata.population.models import Resident, SpecialGroupRecord
from zhili.basedata.population.schemas import PersonFields, ResidentIn, ResidentPatch
from zhili.basedata.validators import mask_id_number
from zhili.basedata.vault import Vault
from zhili.core import audit
from zhili.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from zhili.core.security import Permission
from zhili.org.models import Region
from zhili.org.users.models import User

# Everything but the ciphertext: the blind index lets an auditor with the key tie a deleted
# record to an ID number, without the log itself holding one.
RESIDENT_AUDIT_FIELDS = (
    "id_type",
    "id_index",
    "id_masked",
    "household_id",
    "grid_id",
    *(name for name in PersonFields.model_fields if name != "phone"),
    "phone",
)


def _invalid(exc: rules.FieldError) -> ValidationFailed:
    return ValidationFailed(exc.field, exc.reason, exc.reason_zh)


def _household(session: Session, household_id: int) -> Household:
    household = session.get(Household, household_id)
    if household is None:
        raise ValidationFailed("household_id", "unknown household", "户不存在")
    return household


def _write_area(session: Session, actor: User | None, household: Household) -> None:
    region = session.get_one(Region, household.grid_id)
    scope.require_area(session, actor=actor, permission=Permission.basedata_write, region=region)


def create_resident(
    session: Session, *, actor: User | None, vault: Vault, data: ResidentIn
) -> Resident:
    """实有人口登记: validated as an import row is; one resident per ID number."""
    household = _household(session, data.household_id)
    _write_area(session, actor, household)
    try:
        person = rules.check(data.model_dump())
    except rules.FieldError as exc:
        raise _invalid(exc) from exc
    index = vault.index(person["id_type"], person["id_number"])
    if session.scalar(select(Resident.id).where(Resident.id_index == index)) is not None:
        raise Conflict("a resident with this ID number exists", "该证件号码已登记")
    number = person.pop("id_number")
    resident = Resident(
        **person,
        id_index=index,
        id_cipher=vault.seal(number),
        id_masked=mask_id_number(number),
        household_id=household.id,
        grid_id=household.grid_id,
        region_path=household.region_path,
    )
    session.add(resident)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="resident.create",
        entity_type="resident",
        entity_id=resident.id,
        after=audit.snapshot(resident, RESIDENT_AUDIT_FIELDS),
    )
    return resident


def get_resident(session: Session, *, actor: User | None, resident_id: int) -> Resident:
    """One resident in the actor's scope; outside it the resident does not exist (404)."""
    resident = session.get(Resident, resident_id)
    if resident is None:
        raise NotFound("resident", resident_id)
    scope.require(
        session,
        actor=actor,
        permission=Permission.basedata_read,
        region_path=resident.region_path,
        entity="resident",
        key=resident_id,
    )
    return resident


def lookup(
    session: Session, *, actor: User | None, vault: Vault, id_type: IdType, id_number: str
) -> Resident:
    """Find a resident by ID number: one lookup of the keyed index. The search is logged
    (it tells where a person lives), the number itself never is."""
    scope.require_role(session, actor=actor, permission=Permission.basedata_read)
    number = id_number.strip().upper()
    resident = session.scalar(
        select(Resident).where(Resident.id_index == vault.index(id_type.value, number))
    )
    prefix = scope.scope_path(session, actor)
    if resident is None or not scope.in_scope(prefix, resident.region_path):
        raise NotFound("resident", mask_id_number(number))
    audit.record(
        session,
        actor=actor,
        action="resident.lookup",
        entity_type="resident",
        entity_id=resident.id,
    )
    return resident


def update_resident(
    session: Session, *, actor: User | None, resident_id: int, patch: ResidentPatch
) -> Resident:
    """Correct a resident's fields or move them to another household (version-checked).
    The ID number is the identity: a wrong one is deleted and registered anew."""
    resident = get_resident(session, actor=actor, resident_id=resident_id)
    _write_area(session, actor, _household(session, resident.household_id))
    if patch.version != resident.version:
        raise Conflict(
            f"resident changed since version {patch.version}",
            "人口信息已被他人修改，请刷新后重试",
            current_state=f"version {resident.version}",
        )
    before = audit.snapshot(resident, RESIDENT_AUDIT_FIELDS)
    changes = patch.model_dump(exclude_unset=True, exclude={"version", "household_id"})
    derived = {"gender", "birth_date"} & set(changes)
    if resident.id_type == IdType.citizen_id and derived:
        field = sorted(derived)[0]
        raise ValidationFailed(field, "given by the ID number", "由公民身份号码确定，不能修改")
    current = {name: getattr(resident, name) for name in PersonFields.model_fields}
    try:
        person = rules.check(
            {**current, **changes, "id_type": resident.id_type}, with_identity=False
        )
    except rules.FieldError as exc:
        raise _invalid(exc) from exc
    if patch.household_id is not None and patch.household_id != resident.household_id:
        target = _household(session, patch.household_id)
        _write_area(session, actor, target)
        person |= {
            "household_id": target.id,
            "grid_id": target.grid_id,
            "region_path": target.region_path,
        }
    for name, value in person.items():
        setattr(resident, name, value)
    session.flush()
    after = audit.snapshot(resident, RESIDENT_AUDIT_FIELDS)
    audit.record(
        session,
        actor=actor,
        action="resident.update",
        entity_type="resident",
        entity_id=resident.id,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
    )
    return resident


def delete_resident(session: Session, *, actor: User | None, resident_id: int, reason: str) -> None:
    """Remove a resident who moved away or died; the audit row keeps what was deleted and why."""
    resident = get_resident(session, actor=actor, resident_id=resident_id)
    _write_area(session, actor, _household(session, resident.household_id))
    if len(reason.strip()) < 2:
        raise ValidationFailed("reason", "say why", "须说明删除理由")
    before = audit.snapshot(resident, RESIDENT_AUDIT_FIELDS)
    groups = session.scalars(
        select(SpecialGroupRecord.special_group).where(
            SpecialGroupRecord.resident_id == resident.id
        )
    ).all()
    session.execute(delete(SpecialGroupRecord).where(SpecialGroupRecord.resident_id == resident.id))
    session.delete(resident)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="resident.delete",
        entity_type="resident",
        entity_id=resident_id,
        before=before | {"special_groups": list(groups)},
        after={"reason": reason.strip()},
    )


def list_residents(
    session: Session,
    *,
    actor: User,
    region_id: int | None = None,
    household_id: int | None = None,
    resident_type: ResidentType | None = None,
    special_group: SpecialGroup | None = None,
    name: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Resident], int]:
    """Residents in the actor's scope: others are filtered out, never reported."""
    scope.require_role(session, actor=actor, permission=Permission.basedata_read)
    query = select(Resident).where(
        scope.filter_clause(session, actor, Resident.region_path, region_id=region_id)
    )
    if household_id is not None:
        query = query.where(Resident.household_id == household_id)
    if resident_type is not None:
        query = query.where(Resident.resident_type == resident_type.value)
    if name:
        query = query.where(Resident.name.startswith(name, autoescape=True))
    if special_group is not None:
        scope.require_role(session, actor=actor, permission=Permission.special_groups_read)
        members = select(SpecialGroupRecord.resident_id).where(
            SpecialGroupRecord.special_group == special_group.value
        )
        query = query.where(Resident.id.in_(members))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Resident.id).limit(limit).offset(offset)).all()
    return rows, total


def add_special_group(
    session: Session,
    *,
    actor: User | None,
    resident_id: int,
    group: SpecialGroup,
    since: date | None = None,
    note: str | None = None,
) -> SpecialGroupRecord:
    resident = get_resident(session, actor=actor, resident_id=resident_id)
    _special(session, actor, resident)
    exists = select(SpecialGroupRecord.id).where(
        SpecialGroupRecord.resident_id == resident.id,
        SpecialGroupRecord.special_group == group.value,
    )
    if session.scalar(exists) is not None:
        raise Conflict("already in this group", "已登记为该类人员")
    record = SpecialGroupRecord(
        resident_id=resident.id,
        special_group=group.value,
        since=since,
        note=note,
        grid_id=resident.grid_id,
        region_path=resident.region_path,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="special_group.add",
        entity_type="resident",
        entity_id=resident.id,
        after={"special_group": group.value, "since": audit.jsonable(since)},
    )
    return record


def remove_special_group(
    session: Session, *, actor: User | None, resident_id: int, group: SpecialGroup, reason: str
) -> None:
    resident = get_resident(session, actor=actor, resident_id=resident_id)
    _special(session, actor, resident)
    record = session.scalar(
        select(SpecialGroupRecord).where(
            SpecialGroupRecord.resident_id == resident.id,
            SpecialGroupRecord.special_group == group.value,
        )
    )
    if record is None:
        raise NotFound("special group", group.value)
    session.delete(record)
    audit.record(
        session,
        actor=actor,
        action="special_group.remove",
        entity_type="resident",
        entity_id=resident.id,
        before={"special_group": group.value, "since": audit.jsonable(record.since)},
        after={"reason": reason},
    )


def _special(session: Session, actor: User | None, resident: Resident) -> None:
    if actor is None:
        return
    scope.require_role(session, actor=actor, permission=Permission.special_groups_read)
    _write_area(session, actor, _household(session, resident.household_id))
    if not scope.in_scope(scope.scope_path(session, actor), resident.region_path):
        raise Forbidden("outside your scope", "不在您的管辖范围内")
