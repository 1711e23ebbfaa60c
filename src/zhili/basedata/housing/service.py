"""Buildings, dwellings and households: register, correct, read in scope. Never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, aliased

from zhili.basedata import scope
from zhili.basedata.addresses.models import Address, AddressLevel
from zhili.basedata.addresses.service import get_address
from zhili.basedata.housing.models import Building, Dwelling, DwellingUse, Household
from zhili.basedata.housing.schemas import BuildingIn, DwellingIn, DwellingPatch
from zhili.core import audit
from zhili.core.errors import Conflict, NotFound, ValidationFailed
from zhili.core.security import Permission
from zhili.org.models import Region
from zhili.org.users.models import User

DWELLING_AUDIT_FIELDS = ("address_id", "building_id", "use", "area_m2", "owner_name")


def _grid(session: Session, address: Address) -> Region:
    return session.get_one(Region, address.grid_id)


def create_building(session: Session, *, actor: User | None, data: BuildingIn) -> Building:
    """实有房屋 (楼栋): one building record per door or building address."""
    address = get_address(session, data.address_id)
    if address.level not in (AddressLevel.door, AddressLevel.building):
        raise ValidationFailed(
            "address_id",
            "a building stands at a door or building address",
            "楼栋须对应门牌或楼栋地址",
        )
    scope.require_area(
        session, actor=actor, permission=Permission.basedata_write, region=_grid(session, address)
    )
    if session.scalar(select(Building.id).where(Building.address_id == address.id)):
        raise Conflict("this address already has a building", "该地址已登记楼栋")
    building = Building(
        address_id=address.id,
        grid_id=address.grid_id,
        region_path=address.region_path,
        use=data.use.value,
        floors=data.floors,
        year_built=data.year_built,
    )
    session.add(building)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="building.create",
        entity_type="building",
        entity_id=building.id,
        after=audit.snapshot(building, ("address_id", "use", "floors", "year_built")),
    )
    return building


def building_for(session: Session, address: Address) -> int | None:
    """The building record at this address or the nearest one above it."""
    current: Address | None = address
    while current is not None:
        found = session.scalar(select(Building.id).where(Building.address_id == current.id))
        if found is not None:
            return found
        current = session.get(Address, current.parent_id) if current.parent_id else None
    return None


def link_buildings(session: Session, dwelling_ids: Sequence[int]) -> None:
    """Attach dwellings to the building record at their address or up to two levels above
    (room → unit → building), in set-based updates."""
    a, p = aliased(Address, name="a"), aliased(Address, name="p")
    nearest = (
        select(Building.id)
        .select_from(a)
        .outerjoin(p, p.id == a.parent_id)
        .join(
            Building,
            or_(
                Building.address_id == a.id,
                Building.address_id == a.parent_id,
                Building.address_id == p.parent_id,
            ),
        )
        .where(a.id == Dwelling.address_id)
        .order_by(Building.id)
        .limit(1)
        .scalar_subquery()
    )
    for start in range(0, len(dwelling_ids), 1000):
        session.execute(
            update(Dwelling)
            .where(Dwelling.id.in_(dwelling_ids[start : start + 1000]))
            .values(building_id=nearest)
            .execution_options(synchronize_session=False)
        )


def create_dwelling(session: Session, *, actor: User | None, data: DwellingIn) -> Dwelling:
    """实有房屋 (套): one dwelling per address, with its use (自住, 出租, 空置, 经营…)."""
    address = get_address(session, data.address_id)
    scope.require_area(
        session, actor=actor, permission=Permission.basedata_write, region=_grid(session, address)
    )
    if session.scalar(select(Dwelling.id).where(Dwelling.address_id == address.id)):
        raise Conflict("this address already has a dwelling", "该地址已登记房屋")
    dwelling = Dwelling(
        address_id=address.id,
        building_id=building_for(session, address),
        grid_id=address.grid_id,
        region_path=address.region_path,
        use=data.use.value,
        area_m2=data.area_m2,
        owner_name=data.owner_name,
    )
    session.add(dwelling)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="dwelling.create",
        entity_type="dwelling",
        entity_id=dwelling.id,
        after=audit.snapshot(dwelling, DWELLING_AUDIT_FIELDS),
    )
    return dwelling


def get_dwelling(session: Session, *, actor: User | None, dwelling_id: int) -> Dwelling:
    dwelling = session.get(Dwelling, dwelling_id)
    if dwelling is None:
        raise NotFound("dwelling", dwelling_id)
    scope.require(
        session,
        actor=actor,
        permission=Permission.basedata_read,
        region_path=dwelling.region_path,
        entity="dwelling",
        key=dwelling_id,
    )
    return dwelling


def update_dwelling(
    session: Session, *, actor: User | None, dwelling_id: int, patch: DwellingPatch
) -> Dwelling:
    """Correct a dwelling (its use after a visit, most often); before → after is audited."""
    dwelling = get_dwelling(session, actor=actor, dwelling_id=dwelling_id)
    scope.require_area(
        session,
        actor=actor,
        permission=Permission.basedata_write,
        region=session.get_one(Region, dwelling.grid_id),
    )
    if patch.version != dwelling.version:
        raise Conflict(
            f"dwelling changed since version {patch.version}",
            "房屋信息已被他人修改，请刷新后重试",
            current_state=f"version {dwelling.version}",
        )
    before = audit.snapshot(dwelling, DWELLING_AUDIT_FIELDS)
    for name, value in patch.model_dump(exclude_unset=True, exclude={"version"}).items():
        setattr(dwelling, name, value.value if isinstance(value, DwellingUse) else value)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="dwelling.update",
        entity_type="dwelling",
        entity_id=dwelling.id,
        before=before,
        after=audit.snapshot(dwelling, DWELLING_AUDIT_FIELDS),
    )
    return dwelling


def list_dwellings(
    session: Session,
    *,
    actor: User,
    region_id: int | None = None,
    use: DwellingUse | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[tuple[Dwelling, str]], int]:
    """Dwellings in the actor's scope (filtered), with their address text."""
    scope.require_role(session, actor=actor, permission=Permission.basedata_read)
    query = (
        select(Dwelling, Address.full_text)
        .join(Address, Address.id == Dwelling.address_id)
        .where(scope.filter_clause(session, actor, Dwelling.region_path, region_id=region_id))
    )
    if use is not None:
        query = query.where(Dwelling.use == use.value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Dwelling.id).limit(limit).offset(offset)).all()
    return list(rows), total


def create_household(
    session: Session, *, actor: User | None, code: str, dwelling_id: int
) -> Household:
    dwelling = session.get(Dwelling, dwelling_id)
    if dwelling is None:
        raise ValidationFailed("dwelling_id", "unknown dwelling", "房屋不存在")
    scope.require_area(
        session,
        actor=actor,
        permission=Permission.basedata_write,
        region=session.get_one(Region, dwelling.grid_id),
    )
    if session.scalar(select(Household.id).where(Household.code == code)):
        raise Conflict(f"household {code} exists", f"户编号 {code} 已存在")
    household = Household(
        code=code,
        dwelling_id=dwelling.id,
        grid_id=dwelling.grid_id,
        region_path=dwelling.region_path,
    )
    session.add(household)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="household.create",
        entity_type="household",
        entity_id=household.id,
        after={"code": code, "dwelling_id": dwelling.id},
    )
    return household


def get_household(session: Session, *, actor: User | None, household_id: int) -> Household:
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound("household", household_id)
    scope.require(
        session,
        actor=actor,
        permission=Permission.basedata_read,
        region_path=household.region_path,
        entity="household",
        key=household_id,
    )
    return household


def address_text(session: Session, address_id: int) -> str:
    return session.scalar(select(Address.full_text).where(Address.id == address_id)) or ""
