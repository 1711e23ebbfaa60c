"""The demo city generator: reproducible, well-formed, exactly tiled, and loadable."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.core.audit import AuditLog
from zhili.core.security import Role, verify_password
from zhili.demo.city import (
    CITY_CODE,
    DEMO_PASSWORD,
    CityPlan,
    RegionPlan,
    build_city,
    generate_plan,
    insert_plan,
)
from zhili.org.models import CODE_LENGTH, Department, DepartmentKind, Region, RegionLevel
from zhili.org.users.models import User

SEED = 20240501
TILING_TOLERANCE = 1e-9  # relative area
CHILD_LEVELS = (RegionLevel.district, RegionLevel.street, RegionLevel.community, RegionLevel.grid)


@pytest.fixture(scope="module")
def small() -> CityPlan:
    return generate_plan(size="small", seed=SEED)


def children_by_parent(plan: CityPlan, level: RegionLevel) -> dict[str, list[RegionPlan]]:
    out: dict[str, list[RegionPlan]] = defaultdict(list)
    for region in plan.level(level):
        assert region.parent_code is not None
        out[region.parent_code].append(region)
    return out


# --- the plan ---------------------------------------------------------------------------


def test_the_same_size_and_seed_give_an_identical_plan(small: CityPlan) -> None:
    assert generate_plan(size="small", seed=SEED) == small


def test_another_seed_gives_a_different_city(small: CityPlan) -> None:
    other = generate_plan(size="small", seed=SEED + 1)
    assert other != small
    assert other.regions[0].geometry != small.regions[0].geometry
    assert [r.name for r in other.regions] != [r.name for r in small.regions]


def test_an_unknown_size_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown demo city size"):
        generate_plan(size="village", seed=1)


def test_the_small_city_has_3_districts_12_streets_and_about_300_grids(small: CityPlan) -> None:
    counts = small.counts()
    assert counts["districts"] == 3
    assert counts["streets"] == 12
    assert 50 <= counts["communities"] <= 120
    assert 250 <= counts["grids"] <= 350
    assert [r.level for r in small.regions[:1]] == [RegionLevel.city]


def test_every_code_has_its_levels_length_and_extends_its_parents_code(small: CityPlan) -> None:
    by_code = {r.code: r for r in small.regions}
    assert len(by_code) == len(small.regions)
    assert small.regions[0].code == CITY_CODE == "529900"
    for region in small.regions:
        assert region.code.isdigit()
        assert len(region.code) == CODE_LENGTH[region.level], region.code
        if region.level == RegionLevel.city:
            continue
        assert region.parent_code is not None
        parent = by_code[region.parent_code]
        if region.level == RegionLevel.district:
            assert region.code.startswith("5299") and region.code != CITY_CODE
        else:
            assert region.code.startswith(parent.code)
    districts = [r.code for r in small.level(RegionLevel.district)]
    assert districts == ["529901", "529902", "529903"]


def test_sibling_names_are_unique_and_end_with_their_levels_suffix(small: CityPlan) -> None:
    suffixes = {
        RegionLevel.district: ("区", "县"),
        RegionLevel.street: ("街道", "镇", "乡"),
        RegionLevel.community: ("社区", "村"),
        RegionLevel.grid: ("网格",),
    }
    for level in CHILD_LEVELS:
        for parent, children in children_by_parent(small, level).items():
            names = [c.name for c in children]
            assert len(set(names)) == len(names), (parent, names)
            assert all(n.endswith(suffixes[level]) for n in names), names
    grids = small.level(RegionLevel.grid)
    assert all(re.fullmatch(r"第\d+网格", g.name) for g in grids)


def test_parents_sum_their_childrens_population_and_households(small: CityPlan) -> None:
    by_code = {r.code: r for r in small.regions}
    for level in CHILD_LEVELS:
        for parent_code, children in children_by_parent(small, level).items():
            parent = by_code[parent_code]
            assert parent.households == sum(c.households for c in children)
            assert parent.population == sum(c.population for c in children)


def test_a_grid_holds_300_to_500_households_of_about_27_persons(small: CityPlan) -> None:
    for grid in small.level(RegionLevel.grid):
        assert 300 <= grid.households <= 500
        assert 2.4 <= grid.population / grid.households <= 3.0
    sizes = Counter(len(c) for c in children_by_parent(small, RegionLevel.grid).values())
    assert len(sizes) > 1  # not every community has the same number of grids


@pytest.mark.parametrize("level", CHILD_LEVELS, ids=lambda level: level.value)
def test_children_tile_their_parent_without_gaps_or_overlaps(
    small: CityPlan, level: RegionLevel
) -> None:
    geometry = {r.code: shape(r.geometry) for r in small.regions}
    families = children_by_parent(small, level)
    assert families
    for parent_code, children in families.items():
        parent = geometry[parent_code]
        pieces = [geometry[c.code] for c in children]
        assert all(p.is_valid and not p.is_empty and p.area > 0 for p in pieces)
        union = shapely.union_all(pieces)
        gap_or_excess = shapely.symmetric_difference(union, parent).area
        assert gap_or_excess <= TILING_TOLERANCE * parent.area, parent_code
        overlap = sum(p.area for p in pieces) - parent.area
        assert abs(overlap) <= TILING_TOLERANCE * parent.area, parent_code


def test_every_region_is_a_valid_counter_clockwise_polygon_near_guiyang(small: CityPlan) -> None:
    for region in small.regions:
        assert region.geometry["type"] in ("Polygon", "MultiPolygon")
        geom = shape(region.geometry)
        assert geom.is_valid and geom.area > 0
        polygons = [geom] if geom.geom_type == "Polygon" else list(geom.geoms)
        assert all(p.exterior.is_ccw for p in polygons), region.code
        assert geom.contains(shapely.Point(region.centroid_lon, region.centroid_lat))
    lon0, lat0, lon1, lat1 = shape(small.regions[0].geometry).bounds
    assert 0.35 < lon1 - lon0 < 0.45 and 0.28 < lat1 - lat0 < 0.36  # about 40 × 35 km
    assert lon0 < 106.6 < lon1 and lat0 < 26.6 < lat1


def test_every_district_and_the_city_have_one_department_of_each_kind(small: CityPlan) -> None:
    kinds = {k for k in DepartmentKind if k is not DepartmentKind.other}
    by_region: dict[str, set[DepartmentKind]] = defaultdict(set)
    for dept in small.departments:
        by_region[dept.region_code].add(dept.kind)
        assert dept.code == f"{dept.region_code}-{dept.kind.value}"
    owners = {CITY_CODE} | {r.code for r in small.level(RegionLevel.district)}
    assert set(by_region) == owners
    assert all(found == kinds for found in by_region.values())
    district = small.level(RegionLevel.district)[0]
    urban = next(d for d in small.departments if d.code == f"{district.code}-urban_management")
    assert urban.name == district.name + "城市管理局"
    city_dept = next(d for d in small.departments if d.code == f"{CITY_CODE}-urban_management")
    assert city_dept.name == small.name + "城市管理局"


def test_staff_fill_every_post_with_unique_usernames_and_mobile_numbers(small: CityPlan) -> None:
    roles = Counter(s.role for s in small.staff)
    counts = small.counts()
    assert roles[Role.gridder] == counts["grids"]
    assert roles[Role.community] == 2 * counts["communities"]
    assert roles[Role.street] == 2 * counts["streets"]
    assert roles[Role.dispatcher] == 3 * counts["districts"] + 5
    assert roles[Role.leader] == counts["districts"] + 2
    assert (roles[Role.operator], roles[Role.evaluator], roles[Role.admin]) == (8, 3, 1)
    assert counts["departments"] <= roles[Role.department] <= 2 * counts["departments"]
    assert len({s.username for s in small.staff}) == len(small.staff)
    assert len({s.phone for s in small.staff}) == len(small.staff)
    for person in small.staff:
        assert person.username.isascii()
        assert re.fullmatch(r"1[358]\d{9}", person.phone)
        assert 2 <= len(person.full_name) <= 3
    admin = next(s for s in small.staff if s.role == Role.admin)
    assert (admin.username, admin.region_code) == ("admin", CITY_CODE)


def test_each_gridder_is_scoped_on_their_own_grid(small: CityPlan) -> None:
    gridders = {s.username: s for s in small.staff if s.role == Role.gridder}
    for grid in small.level(RegionLevel.grid):
        assert gridders[f"gridder_{grid.code}"].region_code == grid.code


def test_department_officers_are_scoped_on_their_departments_region(small: CityPlan) -> None:
    departments = {d.code: d for d in small.departments}
    officers = [s for s in small.staff if s.role == Role.department]
    per_department = Counter(s.department_code for s in officers)
    assert set(per_department) == set(departments)
    assert set(per_department.values()) <= {1, 2}
    for officer in officers:
        assert officer.department_code is not None
        assert officer.region_code == departments[officer.department_code].region_code


def test_a_city_sized_plan_has_14_districts_140_streets_and_about_6000_grids() -> None:
    counts = generate_plan(size="city", seed=SEED).counts()
    assert counts["districts"] == 14
    assert counts["streets"] == 140
    assert 5500 <= counts["grids"] <= 6500
    assert 1000 <= counts["communities"] <= 2500


# --- the database -----------------------------------------------------------------------


def test_building_the_small_city_inserts_every_region_department_and_user(
    session: Session, small: CityPlan
) -> None:
    stats = build_city(session, size="small", seed=SEED)
    counts = small.counts()
    assert (stats.districts, stats.grids, stats.users) == (3, counts["grids"], counts["users"])
    rows = session.execute(select(Region.level, func.count()).group_by(Region.level))
    levels = {level: count for level, count in rows}
    assert levels == {
        "city": 1,
        "district": 3,
        "street": 12,
        "community": counts["communities"],
        "grid": counts["grids"],
    }
    assert session.scalar(select(func.count()).select_from(Department)) == counts["departments"]
    assert session.scalar(select(func.count()).select_from(User)) == counts["users"]
    city = session.scalars(select(Region).where(Region.code == CITY_CODE)).one()
    assert (city.population, city.version) == (small.regions[0].population, 1)
    assert city.geometry == small.regions[0].geometry


def test_every_region_path_ends_with_its_id_and_extends_its_parents_path(
    session: Session, small: CityPlan
) -> None:
    insert_plan(session, small)
    regions = {r.id: r for r in session.scalars(select(Region))}
    for region in regions.values():
        assert region.path.endswith(f"/{region.id}/")
        if region.parent_id is None:
            assert region.path == f"/{region.id}/"
        else:
            parent = regions[region.parent_id]
            assert region.path == f"{parent.path}{region.id}/"


def test_one_gridder_per_grid_is_scoped_on_that_grid(session: Session, small: CityPlan) -> None:
    insert_plan(session, small)
    rows = session.execute(select(Region.id, Region.code).where(Region.level == "grid"))
    grids = {region_id: code for region_id, code in rows}
    gridders = session.scalars(select(User).where(User.role == Role.gridder.value)).all()
    assert sorted(u.region_id for u in gridders if u.region_id is not None) == sorted(grids)
    assert all(u.username == f"gridder_{grids[u.region_id or 0]}" for u in gridders)


def test_department_officers_belong_to_their_department_and_its_region(
    session: Session, small: CityPlan
) -> None:
    insert_plan(session, small)
    rows = session.execute(
        select(User.region_id, Department.region_id, Department.code).join(
            Department, User.department_id == Department.id
        )
    ).all()
    assert len(rows) == sum(1 for s in small.staff if s.role == Role.department)
    assert all(user_region == dept_region for user_region, dept_region, _ in rows)


def test_every_demo_account_shares_the_demo_password(session: Session, small: CityPlan) -> None:
    insert_plan(session, small)
    hashes = set(session.scalars(select(User.password_hash)))
    assert len(hashes) == 1
    (password_hash,) = hashes
    assert password_hash is not None and verify_password(password_hash, DEMO_PASSWORD)


def test_building_writes_one_demo_build_audit_row(session: Session) -> None:
    stats = build_city(session, size="small", seed=SEED)
    rows = session.scalars(select(AuditLog).where(AuditLog.action == "demo.build")).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.entity_type, row.entity_id, row.actor_username) == ("city", CITY_CODE, "system")
    assert row.after is not None
    assert row.after["grids"] == stats.grids and row.after["users"] == stats.users
    assert (row.after["seed"], row.after["size"]) == (SEED, "small")


def test_building_into_a_database_that_has_regions_is_refused(
    session: Session, small: CityPlan
) -> None:
    insert_plan(session, small)
    with pytest.raises(ValueError, match="empty database"):
        build_city(session, size="small", seed=SEED + 1)


def test_progress_is_reported_for_every_level(session: Session) -> None:
    seen: list[tuple[str, int, int]] = []
    build_city(session, size="small", seed=SEED, progress=lambda *a: seen.append(a))
    stages = {stage for stage, _, _ in seen}
    assert {"plan.grid", "insert.grid", "insert.department", "insert.user"} <= stages
    assert all(0 < done <= total for _, done, total in seen)
    last_grid_report = [(d, t) for s, d, t in seen if s == "insert.grid"][-1]
    assert last_grid_report[0] == last_grid_report[1]
