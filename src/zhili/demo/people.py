"""Households and the people in them, for the demo's base data: plausible family structures
(couples, children 22–38 years younger than their mother, three generations, left-behind
children and grandparents in villages, migrant workers renting in town), valid citizen ID
numbers, Guizhou's ethnic mix. Pure: everything comes from the caller's random generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from zhili.basedata.validators import id_check_char
from zhili.demo.names import SURNAMES, mobile_numbers, person_names

# Guizhou's ethnic groups by approximate share of the population (7th census, rounded).
ETHNIC_MIX = (
    ("汉族", 0.62),
    ("苗族", 0.12),
    ("布依族", 0.07),
    ("侗族", 0.04),
    ("土家族", 0.04),
    ("彝族", 0.02),
    ("仡佬族", 0.015),
    ("水族", 0.01),
    ("白族", 0.005),
    ("回族", 0.005),
)
# Where migrants come from: prefecture-level address codes of neighbouring provinces.
MIGRANT_AREAS = ("510100", "500101", "530100", "430100", "450100", "360100", "420100", "522401")
NATIONALITIES = ("USA", "KOR", "JPN", "GBR", "DEU", "FRA", "VNM", "THA", "MMR", "LAO")
SPECIAL_GROUPS = (
    "released_prisoner",
    "community_correction",
    "severe_mental_disorder",
    "drug_user",
    "key_youth",
)
SPECIAL_SHARE = 0.004  # of adults; key youth among 14–25-year-olds
EDUCATION = ("junior", "secondary", "college", "bachelor", "primary")
OCCUPATIONS = (
    "工人",
    "教师",
    "医生",
    "个体经营",
    "公务员",
    "司机",
    "农民",
    "销售",
    "厨师",
    "快递员",
)


@dataclass(slots=True)
class Person:
    name: str
    gender: str
    born: date
    relation: str
    id_number: str
    resident_type: str = "registered"
    id_type: str = "citizen_id"
    phone: str | None = None
    ethnicity: str | None = "汉族"
    education: str | None = None
    marital_status: str | None = None
    political_status: str | None = None
    occupation: str | None = None
    nationality: str | None = None
    inflow_reason: str | None = None
    left_behind_kind: str | None = None
    special_group: str | None = None


@dataclass(slots=True)
class Family:
    members: list[Person] = field(default_factory=list)


class PeopleMaker:
    """Makes households one at a time; ID numbers and phones are unique across the city."""

    def __init__(self, rng: np.random.Generator, today: date) -> None:
        self.np_rng = rng  # batches of names and phone numbers
        # Scalar draws come from the standard library generator, seeded from the numpy one:
        # a numpy call per draw costs microseconds, and there are millions of draws.
        self.rng = random.Random(int(rng.integers(2**63)))
        self.today = today
        self.ids: set[str] = set()
        self.phones: set[str] = set()
        self._names: list[str] = []
        self._phones: list[str] = []
        self._ethnic = [e for e, _ in ETHNIC_MIX]
        self._ethnic_w = [w for _, w in ETHNIC_MIX]

    def _name(self, surname: str | None = None) -> str:
        if not self._names:
            self._names = person_names(self.np_rng, 4096)
        name = self._names.pop()
        if surname is not None:
            name = surname + name[1:]
        return name

    def _phone(self) -> str:
        if not self._phones:
            self._phones = mobile_numbers(self.np_rng, 4096, self.phones)
        return self._phones.pop()

    def _born(self, low: int, high: int) -> date:
        age_days = self.rng.randint(low * 365, high * 365)
        return self.today - timedelta(days=age_days)

    def _id(self, area: str, born: date, gender: str) -> str:
        while True:
            seq = self.rng.randrange(500) * 2 + (1 if gender == "male" else 0)
            first17 = f"{area}{born:%Y%m%d}{seq:03d}"
            number = first17 + id_check_char(first17)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def person(
        self,
        *,
        area: str,
        relation: str,
        ages: tuple[int, int],
        gender: str | None = None,
        surname: str | None = None,
        **extra: object,
    ) -> Person:
        sex = gender or ("male" if self.rng.random() < 0.5 else "female")
        born = self._born(*ages)
        name = self._name(surname if relation in ("child", "grandchild") else None)
        p = Person(
            name=name, gender=sex, born=born, relation=relation, id_number=self._id(area, born, sex)
        )
        age = (self.today - born).days // 365
        p.ethnicity = self.rng.choices(self._ethnic, self._ethnic_w)[0]
        if age >= 18:
            p.phone = self._phone()
            p.marital_status = (
                "married" if relation in ("head", "spouse") and age >= 22 else "unmarried"
            )
            p.education = self.rng.choice(EDUCATION)
            p.political_status = "cpc_member" if self.rng.random() < 0.07 else "masses"
            if age < 60:
                p.occupation = self.rng.choice(OCCUPATIONS)
        elif 14 <= age <= 27:
            p.political_status = "cyl_member" if self.rng.random() < 0.3 else "masses"
        for key, value in extra.items():
            setattr(p, key, value)
        self._special(p, age)
        return p

    def _special(self, p: Person, age: int) -> None:
        if age < 14 or self.rng.random() >= SPECIAL_SHARE:
            return
        groups = SPECIAL_GROUPS if 14 <= age <= 25 else SPECIAL_GROUPS[:4]
        p.special_group = self.rng.choice(groups)

    def family(self, *, area: str, rural: bool, rented: bool) -> Family:
        """One household. Renters are mostly migrants; villages have left-behind families."""
        rng = self.rng
        if rented and rng.random() < 0.75:
            return self._migrants()
        if not rural and rng.random() < 0.004:
            return self._overseas()
        surname = rng.choice(SURNAMES)[0]
        f = Family()
        roll = rng.random()
        if roll < 0.14:  # one person living alone, often old
            f.members.append(
                self.person(area=area, relation="head", ages=(25, 85), surname=surname)
            )
            return f
        if rural and roll < 0.34:
            # parents work away: grandparents raise the grandchildren (留守)
            grandpa = self.person(
                area=area,
                relation="head",
                ages=(58, 78),
                gender="male",
                surname=surname,
                resident_type="left_behind",
                left_behind_kind="elderly",
            )
            f.members.append(grandpa)
            f.members.append(
                self.person(
                    area=area,
                    relation="spouse",
                    ages=(55, 75),
                    gender="female",
                    resident_type="left_behind",
                    left_behind_kind="elderly",
                )
            )
            for _ in range(rng.randint(1, 2)):
                f.members.append(
                    self.person(
                        area=area,
                        relation="grandchild",
                        ages=(3, 15),
                        surname=surname,
                        resident_type="left_behind",
                        left_behind_kind="child",
                    )
                )
            return f
        head = self.person(
            area=area, relation="head", ages=(28, 70), gender="male", surname=surname
        )
        mother_age = (self.today - head.born).days // 365 - rng.randrange(4)
        f.members.append(head)
        spouse = self.person(
            area=area,
            relation="spouse",
            ages=(max(mother_age, 20), max(mother_age, 20)),
            gender="female",
        )
        f.members.append(spouse)
        if roll < 0.34:
            return f  # a couple
        children = 1 + int(rng.random() < 0.45) + int(rural and rng.random() < 0.3)
        for _ in range(children):
            oldest = max(mother_age - 22, 0)
            youngest = max(mother_age - 38, 0)
            f.members.append(
                self.person(area=area, relation="child", ages=(youngest, oldest), surname=surname)
            )
        if roll > 0.8:  # three generations
            f.members.append(
                self.person(area=area, relation="parent", ages=(mother_age + 22, mother_age + 32))
            )
        return f

    def _migrants(self) -> Family:
        area = self.rng.choice(MIGRANT_AREAS)
        reason = self.rng.choice(("work", "work", "work", "business", "study", "family"))
        f = Family()
        extra = {"resident_type": "migrant", "inflow_reason": reason}
        f.members.append(self.person(area=area, relation="head", ages=(19, 50), **extra))
        for _ in range(self.rng.randrange(3)):
            f.members.append(self.person(area=area, relation="other", ages=(19, 50), **extra))
        return f

    def _overseas(self) -> Family:
        nationality = self.rng.choice(NATIONALITIES)
        sex = "male" if self.rng.random() < 0.5 else "female"
        number = f"E{self.rng.randrange(10_000_000, 100_000_000)}"
        while number in self.ids:
            number = f"E{self.rng.randrange(10_000_000, 100_000_000)}"
        self.ids.add(number)
        born = self._born(22, 60)
        return Family(
            [
                Person(
                    name=self._name(),
                    gender=sex,
                    born=born,
                    relation="head",
                    id_number=number,
                    resident_type="overseas",
                    id_type="passport",
                    nationality=nationality,
                    ethnicity=None,
                    phone=self._phone(),
                )
            ]
        )
