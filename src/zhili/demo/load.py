"""Inserting a demo city plan: bulk statements level by level, one audit row, no commit."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import String, cast, insert, select, update
from sqlalchemy.orm import Session

from zhili.core.audit import record
from zhili.core.clock import utcnow
from zhili.core.security import hash_password
from zhili.demo.model import CityPlan, CityStats
from zhili.org.models import Department, Region, RegionLevel
from zhili.org.users.models import User

DEMO_PASSWORD = "zhili-demo"  # noqa: S105 - every demo account shares it, on purpose
INSERT_CHUNK = 2000
LEVELS = (
    RegionLevel.city,
    RegionLevel.district,
    RegionLevel.street,
    RegionLevel.community,
    RegionLevel.grid,
)

Progress = Callable[[str, int, int], None]


def ensure_empty(session: Session) -> None:
    if session.scalar(select(Region.id).limit(1)) is not None:
        raise ValueError(
            "the database already has regions; the demo city needs an empty database "
            "(数据库中已有行政区划，演示城市只能导入空数据库)"
        )


def insert_plan(session: Session, plan: CityPlan, *, progress: Progress | None = None) -> CityStats:
    """Insert ``plan`` into an empty database (bulk statements); the caller commits."""
    ensure_empty(session)
    # Accounts made before the demo (the administrator from `zhili init`) are kept as they
    # are, with their own passwords; the demo adds everyone else.
    usernames = [s.username for s in plan.staff]
    existing: set[str] = set()
    for start in range(0, len(usernames), 500):
        names = usernames[start : start + 500]
        existing.update(session.scalars(select(User.username).where(User.username.in_(names))))

    def report(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    now = utcnow()
    ids: dict[str, int] = {}
    paths: dict[str, str] = {}
    for level in LEVELS:
        regions = plan.level(level)
        for start in range(0, len(regions), INSERT_CHUNK):
            chunk = regions[start : start + INSERT_CHUNK]
            rows = [
                {
                    "parent_id": ids[r.parent_code] if r.parent_code else None,
                    "level": r.level.value,
                    "code": r.code,
                    "name": r.name,
                    "path": paths[r.parent_code] if r.parent_code else "/",
                    "geometry": r.geometry,
                    "centroid_lon": r.centroid_lon,
                    "centroid_lat": r.centroid_lat,
                    "population": r.population,
                    "households": r.households,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for r in chunk
            ]
            stmt = insert(Region).returning(Region.id, Region.code, sort_by_parameter_order=True)
            for row, region in zip(session.execute(stmt, rows), chunk, strict=True):
                ids[region.code] = row.id
                paths[region.code] = f"{paths.get(region.parent_code or '', '/')}{row.id}/"
            report(f"insert.{level.value}", start + len(chunk), len(regions))
        # Each row was inserted with its parent's path; append its own id in one statement.
        session.execute(
            update(Region)
            .where(Region.level == level.value)
            .values(path=Region.path + cast(Region.id, String) + "/")
            .execution_options(synchronize_session=False)
        )

    dept_rows = [
        {
            "code": d.code,
            "name": d.name,
            "kind": d.kind.value,
            "region_id": ids[d.region_code],
            "phone": d.phone,
            "is_active": True,
            "created_at": now,
            "version": 1,
        }
        for d in plan.departments
    ]
    dept_ids: dict[str, int] = {}
    stmt = insert(Department).returning(
        Department.id, Department.code, sort_by_parameter_order=True
    )
    for row in session.execute(stmt, dept_rows):
        dept_ids[row.code] = row.id
    report("insert.department", len(dept_rows), len(dept_rows))

    password_hash = hash_password(DEMO_PASSWORD)  # once: argon2 is slow on purpose
    staff = [s for s in plan.staff if s.username not in existing]
    for start in range(0, len(staff), INSERT_CHUNK):
        chunk_staff = staff[start : start + INSERT_CHUNK]
        user_rows = [
            {
                "username": s.username,
                "full_name": s.full_name,
                "role": s.role.value,
                "region_id": ids[s.region_code],
                "department_id": dept_ids[s.department_code] if s.department_code else None,
                "phone": s.phone,
                "password_hash": password_hash,
                "is_active": True,
                "created_at": now,
                "version": 1,
            }
            for s in chunk_staff
        ]
        session.execute(insert(User), user_rows)
        report("insert.user", start + len(chunk_staff), len(staff))

    counts = plan.counts()
    record(
        session,
        actor=None,
        action="demo.build",
        entity_type="city",
        entity_id=plan.code,
        after={**counts, "seed": plan.seed, "size": plan.size},
    )
    return CityStats(size=plan.size, seed=plan.seed, city_code=plan.code, **counts)
