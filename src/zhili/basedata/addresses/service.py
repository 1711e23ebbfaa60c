"""Standard addresses: register, correct, and find them from free text. Never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import delete, func, insert, literal, select, union_all
from sqlalchemy.orm import Session

from zhili.basedata import scope
from zhili.basedata.addresses import search
from zhili.basedata.addresses.models import LEVEL_RANK, Address, AddressLevel, AddressToken
from zhili.basedata.addresses.schemas import AddressIn, AddressPatch
from zhili.cases.places import Place
from zhili.core import audit
from zhili.core.errors import Conflict, NotFound, ValidationFailed
from zhili.core.security import Permission
from zhili.org.models import Region, RegionLevel
from zhili.org.users.models import User

ADDRESS_AUDIT_FIELDS = (
    "code",
    "parent_id",
    "level",
    "grid_id",
    "road",
    "number",
    "compound",
    "building",
    "unit",
    "room",
    "lon",
    "lat",
    "is_active",
)
PARTS = ("road", "number", "compound", "building", "unit", "room")
# Up to this many postings are counted per token when choosing the rarest ones; beyond it a
# token is "common" whatever its exact count, which keeps every search to small index scans.
DF_CAP = 5000
CANDIDATES = 200


def get_address(session: Session, address_id: int) -> Address:
    address = session.get(Address, address_id)
    if address is None:
        raise NotFound("address", address_id)
    return address


def get_by_code(session: Session, code: str) -> Address:
    address = session.scalar(select(Address).where(Address.code == code))
    if address is None:
        raise NotFound("address", code)
    return address


@dataclass(frozen=True, slots=True)
class Parts:
    road: str
    number: str
    compound: str | None = None
    building: str | None = None
    unit: str | None = None
    room: str | None = None

    @property
    def level(self) -> AddressLevel:
        if self.room:
            return AddressLevel.room
        if self.unit:
            return AddressLevel.unit
        if self.building:
            return AddressLevel.building
        return AddressLevel.door

    def text(self) -> str:
        """人民路18号阳光花园3栋2单元501室 (unit words added where the value lacks them)."""
        out = _seg(self.road, "") + _seg(self.number, "号") + _seg(self.compound, "")
        return out + _seg(self.building, "栋") + _seg(self.unit, "单元") + _seg(self.room, "室")


def _seg(value: str | None, word: str) -> str:
    if not value:
        return ""
    value = value.strip()
    return value if not word or not value[-1].isdigit() else value + word


@dataclass(frozen=True, slots=True)
class GridContext:
    grid_id: int
    path: str
    text: str  # 区 + 街道 + 社区 names, the address's context


def grid_contexts(session: Session, grid_ids: Iterable[int]) -> dict[int, GridContext]:
    """Each grid's path and the names above it, in two queries however many grids."""
    grids = {
        r.id: r
        for r in session.scalars(
            select(Region).where(Region.id.in_(set(grid_ids)), Region.level == RegionLevel.grid)
        )
    }
    ancestor_ids = {a for g in grids.values() for a in g.ancestor_ids}
    names = dict(
        session.execute(
            select(Region.id, Region.name).where(
                Region.id.in_(ancestor_ids),
                Region.level.in_([RegionLevel.district, RegionLevel.street, RegionLevel.community]),
            )
        ).all()
    )
    return {
        gid: GridContext(gid, g.path, "".join(names.get(a, "") for a in g.ancestor_ids))
        for gid, g in grids.items()
    }


def texts(context: GridContext, parts: Parts) -> tuple[str, str, list[str]]:
    """(full_text, search_text, own tokens) of an address."""
    own = parts.text()
    normalised = search.normalise(own)
    # Region names hold no numbers, so the parts normalise on their own; the context's is
    # cached, as thousands of addresses share it.
    return (
        context.text + own,
        _normalised_context(context.text) + normalised,
        search.tokens(normalised),
    )


@lru_cache(maxsize=8192)
def _normalised_context(text: str) -> str:
    return search.normalise(text)


def _check_grid(session: Session, grid_id: int | None) -> Region:
    grid = session.get(Region, grid_id) if grid_id is not None else None
    if grid is None or grid.level != RegionLevel.grid:
        raise ValidationFailed("grid_id", "a door plate needs its grid", "门牌地址须指定所属网格")
    return grid


def create_address(session: Session, *, actor: User | None, data: AddressIn) -> Address:
    """Register one standard address; a door names its grid, lower levels their parent."""
    parent = get_address(session, data.parent_id) if data.parent_id is not None else None
    values = {name: getattr(data, name) for name in PARTS}
    if parent is not None:
        for name in PARTS:  # what the parent already says is inherited, not repeated
            values[name] = values[name] or getattr(parent, name)
    if not values["road"] or not values["number"]:
        raise ValidationFailed("road", "road and number are required", "须填写街路巷和门牌号")
    parts = Parts(**values)
    if parent is None and parts.level != AddressLevel.door:
        raise ValidationFailed(
            "parent_id", "a building, unit or room needs its parent", "楼栋、单元、户室须指定上级"
        )
    if parent is not None and LEVEL_RANK[parts.level] <= LEVEL_RANK[AddressLevel(parent.level)]:
        raise ValidationFailed("parent_id", "the parent must be a level up", "上级地址层级不符")
    grid = _check_grid(session, parent.grid_id if parent is not None else data.grid_id)
    scope.require_area(session, actor=actor, permission=Permission.basedata_write, region=grid)
    if session.scalar(select(Address.id).where(Address.code == data.code)) is not None:
        raise Conflict(f"address code {data.code} exists", f"地址编码 {data.code} 已存在")
    context = grid_contexts(session, [grid.id])[grid.id]
    full_text, search_text, own_tokens = texts(context, parts)
    address = Address(
        code=data.code,
        parent_id=parent.id if parent is not None else None,
        level=parts.level.value,
        grid_id=grid.id,
        region_path=grid.path,
        full_text=full_text[:255],
        search_text=search_text[:255],
        lon=data.lon if data.lon is not None else (parent.lon if parent else None),
        lat=data.lat if data.lat is not None else (parent.lat if parent else None),
        **values,
    )
    session.add(address)
    session.flush()
    index_tokens(session, address.id, own_tokens)
    audit.record(
        session,
        actor=actor,
        action="address.create",
        entity_type="address",
        entity_id=address.id,
        after=audit.snapshot(address, ADDRESS_AUDIT_FIELDS),
    )
    return address


def index_tokens(session: Session, address_id: int, own_tokens: Sequence[str]) -> None:
    session.execute(delete(AddressToken).where(AddressToken.address_id == address_id))
    if own_tokens:
        session.execute(
            insert(AddressToken), [{"token": t, "address_id": address_id} for t in own_tokens]
        )


def update_address(
    session: Session, *, actor: User | None, address_id: int, patch: AddressPatch
) -> Address:
    """Correct an address; its rooms and units below follow a renamed road or number."""
    address = get_address(session, address_id)
    scope.require_area(
        session,
        actor=actor,
        permission=Permission.basedata_write,
        region=session.get_one(Region, address.grid_id),
    )
    if patch.version != address.version:
        raise Conflict(
            f"address changed since version {patch.version}",
            "地址已被他人修改，请刷新后重试",
            current_state=f"version {address.version}",
        )
    before = audit.snapshot(address, ADDRESS_AUDIT_FIELDS)
    changes = patch.model_dump(exclude_unset=True, exclude={"version"})
    inherited = {k: v for k, v in changes.items() if k in PARTS and v != getattr(address, k)}
    for name, value in changes.items():
        setattr(address, name, value)
    family = [address, *_descendants(session, address.id)]
    for child in family[1:]:
        for name, value in inherited.items():
            if getattr(child, name) == before[name]:
                setattr(child, name, value)
    context = grid_contexts(session, [address.grid_id])[address.grid_id]
    for member in family:
        parts = Parts(**{name: getattr(member, name) for name in PARTS})
        if parts.level.value != member.level:
            raise ValidationFailed(
                "level", "a correction may not change the level", "不能改变地址层级"
            )
        full_text, search_text, own_tokens = texts(context, parts)
        member.full_text, member.search_text = full_text[:255], search_text[:255]
        index_tokens(session, member.id, own_tokens)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="address.update",
        entity_type="address",
        entity_id=address.id,
        before=before,
        after=audit.snapshot(address, ADDRESS_AUDIT_FIELDS) | {"cascaded": len(family) - 1},
    )
    return address


def _descendants(session: Session, address_id: int) -> list[Address]:
    found: list[Address] = []
    frontier = [address_id]
    while frontier:
        children = list(session.scalars(select(Address).where(Address.parent_id.in_(frontier))))
        found += children
        frontier = [c.id for c in children]
    return found


def search_addresses(
    session: Session, *, text: str, limit: int = 10, region_path: str | None = None
) -> list[tuple[Address, float]]:
    """The standard addresses best matching a free text, best first, with their score."""
    query_tokens = search.tokens(search.normalise(text))
    if not query_tokens:
        return []
    counts = [
        select(literal(t).label("token"), func.count().label("df")).select_from(
            select(AddressToken.address_id).where(AddressToken.token == t).limit(DF_CAP).subquery()
        )
        for t in query_tokens
    ]
    df = {str(row[0]): int(row[1]) for row in session.execute(union_all(*counts)) if row[1]}
    if not df:
        return []
    rare = sorted(df, key=lambda t: (df[t], -search.weight(t)))[:4]
    hits = func.count().label("hits")
    candidate_query = (
        select(AddressToken.address_id, hits)
        .where(AddressToken.token.in_(rare))
        .group_by(AddressToken.address_id)
        .order_by(hits.desc(), AddressToken.address_id)
        .limit(CANDIDATES)
    )
    ids = [row[0] for row in session.execute(candidate_query)]
    if not ids:
        return []
    rows = select(Address).where(Address.id.in_(ids), Address.is_active.is_(True))
    if region_path:
        rows = rows.where(Address.region_path.startswith(region_path, autoescape=True))
    scored = []
    for address in session.scalars(rows):
        own = search.tokens(
            search.normalise(Parts(**{n: getattr(address, n) for n in PARTS}).text())
        )
        context = search.tokens(address.search_text)
        scored.append((address, search.score(query_tokens, own, context)))
    scored.sort(key=lambda pair: (-pair[1], LEVEL_RANK[AddressLevel(pair[0].level)], pair[0].id))
    return scored[:limit]


# A score from 0.8 up is a confident match (see AddressMatch); below it intake asks again.
CONFIDENT_SCORE = 0.8


def resolve_place(session: Session, text: str) -> Place | None:
    """The case intake's address resolver: the best confident match of ``text``, with the
    point of the nearest address up its hierarchy that has one (rooms often have none)."""
    found = search_addresses(session, text=text, limit=1)
    if not found or found[0][1] < CONFIDENT_SCORE:
        return None
    address = found[0][0]
    point: Address | None = address
    while point is not None and (point.lon is None or point.lat is None):
        point = session.get(Address, point.parent_id) if point.parent_id else None
    return Place(
        grid_id=address.grid_id,
        lon=point.lon if point else None,
        lat=point.lat if point else None,
        text=address.full_text,
    )
