"""Departments and staff of the demo city: who works where, with guessable usernames."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from zhili.core.security import Role
from zhili.demo.model import DepartmentPlan, RegionPlan, StaffPlan
from zhili.demo.names import mobile_numbers, person_names
from zhili.org.models import DEPARTMENT_LABELS_ZH, DepartmentKind, RegionLevel

DEPARTMENT_KINDS: tuple[DepartmentKind, ...] = tuple(
    k for k in DepartmentKind if k is not DepartmentKind.other
)
AREA_CODE = "0851"  # Guiyang's telephone area code, for departments' synthetic landlines

ADMIN_USERNAME = "admin"
STAFF_PER_COMMUNITY = 2
STAFF_PER_STREET = 2
DISPATCHERS_PER_DISTRICT = 3
CITY_DISPATCHERS = 5
CITY_OPERATORS = 8
CITY_LEADERS = 2
CITY_EVALUATORS = 3
OFFICERS_PER_DEPARTMENT = (1, 2)  # inclusive range


def plan_departments(
    city: RegionPlan, districts: Sequence[RegionPlan], rng: np.random.Generator
) -> list[DepartmentPlan]:
    """One department per kind (except ``other``) for the city and for every district."""
    departments: list[DepartmentPlan] = []
    phones: set[str] = set()
    for region in (city, *districts):
        for kind in DEPARTMENT_KINDS:
            while True:
                phone = f"{AREA_CODE}-8{int(rng.integers(10_000_000)):07d}"
                if phone not in phones:
                    phones.add(phone)
                    break
            departments.append(
                DepartmentPlan(
                    code=f"{region.code}-{kind.value}",
                    name=region.name + DEPARTMENT_LABELS_ZH[kind],
                    kind=kind,
                    region_code=region.code,
                    phone=phone,
                )
            )
    return departments


# (username, role, region code, department code)
_Post = tuple[str, Role, str, str | None]


def _posts(
    regions: Sequence[RegionPlan], departments: Sequence[DepartmentPlan], rng: np.random.Generator
) -> list[_Post]:
    city = regions[0]
    posts: list[_Post] = [(ADMIN_USERNAME, Role.admin, city.code, None)]
    for role, count in (
        (Role.dispatcher, CITY_DISPATCHERS),
        (Role.operator, CITY_OPERATORS),
        (Role.leader, CITY_LEADERS),
        (Role.evaluator, CITY_EVALUATORS),
    ):
        posts += [(f"{role.value}_city_{n}", role, city.code, None) for n in range(1, count + 1)]
    for region in regions[1:]:
        code = region.code
        if region.level == RegionLevel.district:
            posts += [
                (f"dispatcher_{code}_{n}", Role.dispatcher, code, None)
                for n in range(1, DISPATCHERS_PER_DISTRICT + 1)
            ]
            posts.append((f"leader_{code}", Role.leader, code, None))
        elif region.level == RegionLevel.street:
            posts += [
                (f"street_{code}_{n}", Role.street, code, None)
                for n in range(1, STAFF_PER_STREET + 1)
            ]
        elif region.level == RegionLevel.community:
            posts += [
                (f"community_{code}_{n}", Role.community, code, None)
                for n in range(1, STAFF_PER_COMMUNITY + 1)
            ]
        elif region.level == RegionLevel.grid:
            posts.append((f"gridder_{code}", Role.gridder, code, None))
    low, high = OFFICERS_PER_DEPARTMENT
    for dept in departments:
        stem = f"department_{dept.region_code}_{dept.kind.value}"
        officers = int(rng.integers(low, high + 1))
        posts += [
            (f"{stem}_{n}", Role.department, dept.region_code, dept.code)
            for n in range(1, officers + 1)
        ]
    return posts


def plan_staff(
    regions: Sequence[RegionPlan], departments: Sequence[DepartmentPlan], rng: np.random.Generator
) -> list[StaffPlan]:
    """Every demo account; ``regions[0]`` must be the city. Usernames are ASCII and stable."""
    posts = _posts(regions, departments, rng)
    names = person_names(rng, len(posts))
    phones = mobile_numbers(rng, len(posts), set())
    return [
        StaffPlan(
            username=username,
            full_name=name,
            role=role,
            region_code=region_code,
            department_code=department_code,
            phone=phone,
        )
        for (username, role, region_code, department_code), name, phone in zip(
            posts, names, phones, strict=True
        )
    ]
