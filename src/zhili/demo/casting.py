"""Who acts in the demo year and how often things happen: rates, staff, running timers.

The shares below are the knobs of the stories (``stories``, ``story_steps``): a year that
exercises every rule of the case workflow at roughly the proportions a Chinese city reports
(most cases closed on time, a few returned, extended, reworked, reopened or overdue).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.core.security import Role
from zhili.demo import casemix as mix
from zhili.org.models import Department
from zhili.org.users.models import User

# Shares of what happens; together they make a year that exercises every rule.
REJECT_SHARE = 0.03  # 不予立案 (app and web reports twice as often)
ANSWER_AT_INTAKE = {True: 0.45, False: 0.04}  # consultation or not
ANSWER_LATER = 0.08  # hotline questions the operator answers after checking
UNCLASSIFIED_SHARE = 0.25  # hotline cases the dispatcher classifies at registration
RESOLVE_ON_SPOT = 0.4  # of gridder reports of small things
WRONG_DISPATCH = 0.07  # 退单 then re-dispatch
GRID_ROUTE = 0.08  # small things sent back to the gridder
COMMUNITY_ROUTE = 0.45  # of small matters
STREET_ROUTE = {"complex": 0.35, "emergency": 0.6, "other": 0.04}
ESCALATE = 0.2  # of community cases
WHISTLE = {"complex": 0.85, "emergency": 0.85, "other": 0.5}
EXTENSION = 0.1  # of cases with a deadline of several days
APPROVE = 0.65
SLOW = 0.05  # handlers who miss the deadline
VERIFY_FAIL = 0.09
VISIT = 0.85  # of cases with a caller
REOPEN = 0.6  # of unhappy visits, within the limit
APP_RETRY = 0.03  # app clients that retry an intake with the same idempotency key

# When a department is summoned to a whistle with another, who usually comes along.
CO_HANDLERS: dict[str, tuple[str, ...]] = {
    "urban_management": ("public_security", "market_regulation", "ecology", "housing"),
    "housing": ("urban_management", "emergency", "natural_resources", "water"),
    "water": ("housing", "urban_management", "emergency"),
    "ecology": ("urban_management", "housing", "market_regulation"),
    "emergency": ("public_security", "housing", "health", "water"),
    "public_security": ("urban_management", "transport", "civil_affairs"),
    "market_regulation": ("urban_management", "health", "public_security"),
    "civil_affairs": ("public_security", "human_resources", "housing"),
    "human_resources": ("public_security", "housing", "civil_affairs"),
}
# Departments a dispatcher plausibly confuses (the wrong first dispatch that gets returned).
CONFUSED: dict[str, tuple[str, ...]] = {
    "urban_management": ("housing", "market_regulation", "ecology"),
    "housing": ("urban_management", "water", "natural_resources"),
    "ecology": ("urban_management", "housing"),
    "water": ("housing", "ecology"),
    "public_security": ("urban_management", "transport"),
    "market_regulation": ("urban_management", "health"),
}
RETURN_REASONS = (
    "不属于本部门职责范围，请重新派遣",
    "该事项由属地街道负责，建议改派",
    "权属不清，非本单位管养",
)
REJECT_REASONS = (
    "反映内容不属于本市受理范围",
    "诉求信息不全，多次联系无法核实",
    "属于司法程序中的事项，请通过诉讼途径解决",
)
EXTENSION_REASONS = (
    "需协调产权单位，申请延期",
    "涉及多方权属，需进一步核实",
    "等待材料采购，申请延期",
)
VERIFY_NOTES = ("现场查看已整改到位", "问题已解决，现场无异常")
REWORK_NOTES = ("现场仍未整改到位", "问题反弹，需再次处置")


@dataclass
class Live:
    """What the simulation knows about one reported case."""

    plan: mix.CasePlan
    case_id: int = 0
    grid_id: int = 0
    community_id: int = 0
    street_id: int = 0
    district_id: int = 0
    status: str = "open"  # open | closed | rejected | merged
    reopens: int = 0
    rework: int = 0


class Alarms:
    """When the supervision timers next have something to find.

    Keys are (0, case id, 0) for a case's step deadline and (1, whistle id, department id)
    for a summons' report-in limit; only the latest time set for a key counts.
    """

    def __init__(self) -> None:
        self.heap: list[tuple[datetime, tuple[int, int, int]]] = []
        self.current: dict[tuple[int, int, int], datetime] = {}

    def set(self, key: tuple[int, int, int], at: datetime | None) -> None:
        if at is None:
            self.current.pop(key, None)
        elif self.current.get(key) != at:
            self.current[key] = at
            heapq.heappush(self.heap, (at, key))

    def due(self, now: datetime) -> list[tuple[int, int, int]]:
        """The live alarms set before ``now``; they are used up."""
        fired = []
        while self.heap and self.heap[0][0] < now:
            at, key = heapq.heappop(self.heap)
            if self.current.get(key) == at:
                del self.current[key]
                fired.append(key)
        return fired


@dataclass
class Staff:
    """Demo accounts grouped the way stories look for them."""

    by_post: dict[tuple[str, int | None], list[User]] = field(default_factory=dict)
    departments: dict[tuple[int, str], Department] = field(default_factory=dict)
    officers: dict[int, list[User]] = field(default_factory=dict)
    residents: list[User] = field(default_factory=list)

    @classmethod
    def load(cls, session: Session, residents: Sequence[User]) -> Staff:
        staff = cls(residents=list(residents))
        posts: dict[tuple[str, int | None], list[User]] = defaultdict(list)
        officers: dict[int, list[User]] = defaultdict(list)
        for user in session.scalars(select(User).where(User.is_active.is_(True))):
            if user.role == Role.department and user.department_id is not None:
                officers[user.department_id].append(user)
            elif user.role != Role.citizen:
                posts[(user.role, user.region_id)].append(user)
        for group in (*posts.values(), *officers.values()):
            group.sort(key=lambda u: u.username)
        staff.by_post, staff.officers = dict(posts), dict(officers)
        staff.departments = {
            (d.region_id, d.kind): d
            for d in session.scalars(select(Department).where(Department.is_active.is_(True)))
        }
        return staff

    def of(self, role: Role, region_id: int | None) -> list[User]:
        users = self.by_post.get((role.value, region_id))
        if not users:
            raise ValueError(f"the demo city has no {role.value} for region {region_id}")
        return users
