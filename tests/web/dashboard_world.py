"""A small fixed set of cases whose dashboard figures can be counted by hand.

The tiny city (district 一区: grids G1–G4) gets a second district 二区 with one grid H1.
"Now" is Friday 2026-11-20 10:00 Beijing time (02:00 UTC); Beijing's day began at
2026-11-19 16:00 UTC.

    case  grid  channel  category  received (Beijing)      state     clock now
    c1    G1    hotline  E01       today 09:00             received  normal
    c2    G2    app      E01       today 00:30             received  yellow
    c3    G2    gridder  E01       yesterday 23:30         received  red, 5 h over
    c4    G3    hotline  E01       3 days ago              closed today (09:00)
    c5    G2    hotline  C01       10 days ago             handling  red, 48 h over,
                                                                     title with <script>
    c6    H1    hotline  E01       today 08:00             received  red, 1 h over

Whistles: on c5 城管 summoned (report-in due 30 min ago: late) and 住建 already reported;
on c6 水务 summoned (due in an hour).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories.cases import World, make_world, report
from factories.org import PASSWORD, box, make_user, polygon
from zhili.cases.models import Case, CaseState, Channel
from zhili.cases.whistles.models import Whistle, WhistleSummons
from zhili.core.config import Settings
from zhili.core.security import Role
from zhili.org import service as org
from zhili.org.models import Region, RegionLevel
from zhili.org.users.models import User

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
H = timedelta(hours=1)
XSS_TITLE = '<script>alert("xss")</script><b>粗体</b>井盖缺失'


@dataclass
class Dash:
    world: World
    d2: Region
    h1: Region
    cases: dict[str, Case]
    leader_d1: User
    leader_d2: User

    @property
    def d1(self) -> Region:
        return self.world.city.district


def _second_district(session: Session, world: World) -> tuple[Region, Region]:
    parent = world.city.city
    codes = ("529902", "529902001", "529902001001", "529902001001001")
    levels = (RegionLevel.district, RegionLevel.street, RegionLevel.community, RegionLevel.grid)
    names = ("二区", "二街道", "二社区", "H1网格")
    made = []
    for code, level, name in zip(codes, levels, names, strict=True):
        parent = org.create_region(
            session,
            actor=None,
            level=level,
            code=code,
            name=name,
            parent_id=parent.id,
            geometry=polygon(box(0, 1, 1, 2)),
        )
        made.append(parent)
    return made[0], made[-1]


def _set(
    case: Case,
    *,
    created: datetime,
    state: CaseState = CaseState.received,
    warn: datetime | None = None,
    deadline: datetime | None = None,
) -> None:
    case.created_at = created
    case.state = state.value
    case.warn_at = warn
    case.deadline_at = deadline


def build(session: Session, settings: Settings) -> Dash:
    world = make_world(session, settings)
    d2, h1 = _second_district(session, world)
    staff = world.staff
    c = {
        "c1": report(session, world, at=(0.5, 0.5), title="路灯不亮"),
        "c2": report(session, world, channel=Channel.app, title="垃圾满溢"),
        "c3": report(session, world, actor=staff.gridder, channel=Channel.gridder, title="占道"),
        "c4": report(session, world, at=(2.2, 0.5), title="噪音扰民"),
        "c5": report(session, world, category="C0101", title=XSS_TITLE),
        "c6": report(session, world, at=(0.5, 1.5), title="二区积水"),
    }
    _set(c["c1"], created=NOW - H, warn=NOW + H, deadline=NOW + 2 * H)
    _set(
        c["c2"], created=datetime(2026, 11, 19, 16, 30, tzinfo=UTC), warn=NOW - H, deadline=NOW + H
    )
    _set(
        c["c3"],
        created=datetime(2026, 11, 19, 15, 30, tzinfo=UTC),
        warn=NOW - 6 * H,
        deadline=NOW - 5 * H,
    )
    _set(c["c4"], created=NOW - 72 * H, state=CaseState.closed)
    c["c4"].closed_at = NOW - H
    _set(
        c["c5"],
        created=NOW - 240 * H,
        state=CaseState.handling,
        warn=NOW - 50 * H,
        deadline=NOW - 48 * H,
    )
    c["c5"].handler_department_id = world.depts["urban_management"].id
    c["c5"].escalation_level = 1
    _set(c["c6"], created=NOW - 2 * H, warn=NOW - 2 * H, deadline=NOW - H)
    street = world.city.street
    w5 = Whistle(
        case_id=c["c5"].id,
        type="daily",
        state="open",
        blown_by_region_id=street.id,
        reason="需多部门联合处置",
        blown_at=NOW - 2 * H,
    )
    w6 = Whistle(
        case_id=c["c6"].id,
        type="daily",
        state="open",
        blown_by_region_id=street.id,
        reason="需水务到场",
        blown_at=NOW - H,
    )
    session.add_all([w5, w6])
    session.flush()
    session.add_all(
        [
            _summons(w5, world.depts["urban_management"].id, "summoned", NOW - H / 2),
            _summons(w5, world.depts["housing"].id, "reported", NOW - H / 2),
            _summons(w6, world.depts["water"].id, "summoned", NOW + H),
        ]
    )
    leader_d1 = make_user(session, role=Role.leader, region=world.city.district, username="lead1")
    leader_d2 = make_user(session, role=Role.leader, region=d2, username="lead2")
    session.flush()
    return Dash(world, d2, h1, c, leader_d1, leader_d2)


def _summons(whistle: Whistle, department_id: int, state: str, due: datetime) -> WhistleSummons:
    return WhistleSummons(
        whistle_id=whistle.id,
        department_id=department_id,
        role="lead",
        state=state,
        report_due_at=due,
        reported_at=due - H if state == "reported" else None,
    )


def login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert found, "the login page carries the CSRF token"
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": found.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
