"""A staffed tiny city with the default catalogue, and helpers to drive cases through it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from factories.org import LAT0, LON0, TinyCity, make_tiny_city, make_user
from zhili.cases import service as cases
from zhili.cases.categories import service as categories
from zhili.cases.categories.models import Category
from zhili.cases.models import Case, Channel, Urgency
from zhili.cases.schemas import CaseIntake
from zhili.core.config import Settings
from zhili.core.security import Role
from zhili.org import service as org
from zhili.org.geo import GridIndexCache
from zhili.org.models import Department, DepartmentKind
from zhili.org.users.models import User


@dataclass
class Staff:
    operator: User
    dispatcher: User
    gridder: User  # of grid G2
    community: User
    street: User
    urban: User  # 城管 officer
    housing: User  # 住建 officer
    water: User  # 水务 officer
    leader: User
    citizen: User


@dataclass
class World:
    city: TinyCity
    staff: Staff
    depts: dict[str, Department]
    settings: Settings
    cache: GridIndexCache

    def category(self, session: Session, code: str) -> Category:
        return categories.get_by_code(session, code)


def make_world(session: Session, settings: Settings) -> World:
    tiny = make_tiny_city(session)
    categories.load_catalogue(session, actor=None)
    depts = {
        kind.value: org.create_department(
            session,
            actor=None,
            region_id=tiny.district.id,
            kind=kind,
            name=f"一区{kind.value}",
            code=f"529901-{kind.value}",
        )
        for kind in (DepartmentKind.urban_management, DepartmentKind.housing, DepartmentKind.water)
    }
    staff = Staff(
        operator=make_user(session, role=Role.operator, region=tiny.city, username="op1"),
        dispatcher=make_user(session, role=Role.dispatcher, region=tiny.district, username="disp1"),
        gridder=make_user(session, role=Role.gridder, region=tiny.grids["G2"], username="grid2"),
        community=make_user(session, role=Role.community, region=tiny.community, username="comm1"),
        street=make_user(session, role=Role.street, region=tiny.street, username="street1"),
        urban=make_user(
            session,
            role=Role.department,
            region=tiny.district,
            username="urban1",
            department_id=depts["urban_management"].id,
        ),
        housing=make_user(
            session,
            role=Role.department,
            region=tiny.district,
            username="housing1",
            department_id=depts["housing"].id,
        ),
        water=make_user(
            session,
            role=Role.department,
            region=tiny.district,
            username="water1",
            department_id=depts["water"].id,
        ),
        leader=make_user(session, role=Role.leader, region=tiny.city, username="leader1"),
        citizen=make_user(session, role=Role.citizen, region=None, username="resident1"),
    )
    return World(tiny, staff, depts, settings, GridIndexCache(cells_per_grid=64))


def report(
    session: Session,
    world: World,
    *,
    actor: User | None = None,
    channel: Channel = Channel.hotline,
    category: str | None = "E0101",
    title: str = "小区门口垃圾堆积",
    urgency: Urgency = Urgency.normal,
    at: tuple[float, float] = (1.5, 0.5),
    key: str | None = None,
    **extra: object,
) -> Case:
    """Intake one case at offset ``at`` inside the tiny city (default: grid G2)."""
    data = CaseIntake(
        channel=channel,
        title=title,
        description=title + "，请尽快处理。",
        category_id=world.category(session, category).id if category else None,
        urgency=urgency,
        lon=LON0 + at[0],
        lat=LAT0 + at[1],
        reporter_name="王芳",
        reporter_phone="13900001234",
        **extra,  # type: ignore[arg-type]
    )
    case, _ = cases.intake(
        session,
        actor=actor or world.staff.operator,
        cache=world.cache,
        data=data,
        idempotency_key=key,
    )
    return case
