"""A small evaluation campaign whose scores are worked out by hand in the tests.

Two streets are evaluated (一街道 S1 and 二街道 S2) on five criteria:

  C1 实地调查 10 分, each failed item −2, deductions capped at 6, sites 综治中心 / 小区
  C2 实地监测  5 分, each failed item −1 (cap: the full score)
  C3 部门审核  6 分, materials 工作方案；会议记录；台账 (−2 each missing), reviewed by 城管
  C4 问卷调查 10 分, question Q1 (Likert satisfaction), 0 points at 50 %, full at 90 %
  C5 问卷调查  4 分, question Q2 (awareness yes/no), linear from 0 % to 100 %
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from sqlalchemy.orm import Session

from factories.cases import make_world
from factories.org import make_user
from zhili.cases.storage import LocalStorage
from zhili.core.config import Settings
from zhili.core.security import Role
from zhili.indices.campaigns import service
from zhili.indices.campaigns.evidence import service as evidence_service
from zhili.indices.campaigns.models import CampaignState, EvalCampaign, EvalCatalogue
from zhili.indices.campaigns.questionnaires import service as surveys
from zhili.org import service as org
from zhili.org.models import Department, Region, RegionLevel
from zhili.org.users.models import User

HEADER = [
    "编号", "来源要求", "测评标准", "分值", "测评方法", "印证材料", "点位类型",
    "每项扣分", "扣分上限", "问卷题目", "零分比率", "满分比率", "责任部门",
]  # fmt: skip
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def criteria_rows(dept_code: str) -> list[list[Any]]:
    return [
        ["C1", "中央要求 1：建成综治中心", "综治中心规范运行", 10, "实地调查", None,
         "综治中心；小区", 2, 6, None, None, None, None],
        ["C2", "中央要求 2：视频监控覆盖", "重点部位监控正常", 5, "实地监测", None, None,
         1, None, None, None, None, None],
        ["C3", "省要求 1：工作机制", "矛盾纠纷排查机制健全", 6, "部门审核",
         "工作方案；会议记录；台账", None, None, None, None, None, None, dept_code],
        ["C4", "中央要求 3：群众满意", "群众对平安建设满意", 10, "问卷调查", None, None,
         None, None, "Q1", "50%", 0.9, None],
        ["C5", "省要求 2：知晓率", "群众知晓社会治理热线", 4, "问卷调查", None, None,
         None, None, "Q2", None, None, None],
    ]  # fmt: skip


def xlsx(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header or HEADER)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


QUESTIONS = [
    {"code": "Q1", "kind": "likert", "text": "您对本地平安建设是否满意？", "options": [],
     "positive": [], "positive_min": 4, "required": True},
    {"code": "Q2", "kind": "awareness", "text": "您是否知道 12345 热线？", "options": [],
     "positive": [], "positive_min": 4, "required": True},
    {"code": "Q3", "kind": "single", "text": "您主要通过什么渠道反映问题？",
     "options": ["热线", "网格员", "网上"], "positive": [], "positive_min": 4, "required": False},
]  # fmt: skip

# S1: 7 of 10 satisfied (≥ 4) and 8 of 10 aware; S2: 5 of 5 and 5 of 5.
S1_LIKERT = [5, 5, 4, 4, 4, 3, 2, 5, 4, 1]
S1_AWARE = [True] * 8 + [False] * 2


@dataclass
class Story:
    city: Region
    s1: Region
    s2: Region
    dept: Department
    other_dept: Department
    evaluator: User
    leader: User
    street1: User
    street2: User
    reviewer: User
    other_reviewer: User
    catalogue: EvalCatalogue
    campaign: EvalCampaign
    questionnaire_id: int
    storage: LocalStorage


def setup(session: Session, settings: Settings) -> Story:
    """Units, people, the catalogue and a draft campaign with its questionnaire."""
    w = make_world(session, settings)
    tiny = w.city
    s2 = org.create_region(
        session, actor=None, level=RegionLevel.street, code="529901002", name="二街道",
        parent_id=tiny.district.id,
    )  # fmt: skip
    dept, other = w.depts["urban_management"], w.depts["water"]
    evaluator = make_user(session, role=Role.evaluator, region=tiny.city, username="eval1")
    cat = service.import_catalogue(
        session, actor=evaluator, name="测试测评体系", filename="c.xlsx",
        data=xlsx(criteria_rows(dept.code)),
    )  # fmt: skip
    campaign = service.create_campaign(
        session, actor=evaluator, name="2026年摸底测评", catalogue_id=cat.id,
        region_ids=[tiny.street.id, s2.id],
    )  # fmt: skip
    qn = surveys.create_questionnaire(
        session, actor=evaluator, campaign_id=campaign.id, title="群众满意度调查",
        questions=QUESTIONS,
    )  # fmt: skip
    return Story(
        city=tiny.city,
        s1=tiny.street,
        s2=s2,
        dept=dept,
        other_dept=other,
        evaluator=evaluator,
        leader=w.staff.leader,
        street1=w.staff.street,
        street2=make_user(session, role=Role.street, region=s2, username="street2"),
        reviewer=make_user(
            session, role=Role.department, region=tiny.district, username="rev1",
            department_id=dept.id,
        ),
        other_reviewer=make_user(
            session, role=Role.department, region=tiny.district, username="rev2",
            department_id=other.id,
        ),
        catalogue=cat,
        campaign=campaign,
        questionnaire_id=qn.id,
        storage=LocalStorage(tempfile.mkdtemp(prefix="zhili-eval-")),
    )  # fmt: skip


def open_campaign(session: Session, s: Story, campaign: EvalCampaign | None = None) -> None:
    c = campaign or s.campaign
    session.flush()
    service.set_state(
        session, actor=s.evaluator, campaign_id=c.id, state=CampaignState.open, version=c.version
    )


def visit(session: Session, s: Story, region: Region, site: str, items: list[dict[str, Any]],
          campaign: EvalCampaign | None = None) -> None:  # fmt: skip
    service.record_visit(
        session, actor=s.evaluator, campaign_id=(campaign or s.campaign).id, region_id=region.id,
        site_type=site, site_name=f"{region.name}{site}", visited_on=date(2026, 11, 20),
        items=items,
    )  # fmt: skip


def evidence(
    session: Session, s: Story, settings: Settings, user: User, region: Region, item: str,
    campaign: EvalCampaign | None = None,
) -> int:  # fmt: skip
    row = evidence_service.upload_evidence(
        session, actor=user, settings=settings, storage=s.storage,
        campaign_id=(campaign or s.campaign).id, region_id=region.id, criterion_code="C3",
        item=item, filename=f"{item}.pdf", data=b"%PDF-1.4 " + item.encode(),
    )  # fmt: skip
    return row.id


def fill_first_round(session: Session, s: Story, settings: Settings) -> None:
    """The facts the hand-computed scores in test_scoring.py follow from."""
    open_campaign(session, s)
    visit(session, s, s.s1, "综治中心", [
        {"criterion_code": "C1", "outcome": "fail"},
        {"criterion_code": "C1", "outcome": "fail"},
        {"criterion_code": "C2", "outcome": "deduction", "deduction": 1.5},
    ])  # fmt: skip
    visit(session, s, s.s1, "小区", [
        {"criterion_code": "C1", "outcome": "fail"},
        {"criterion_code": "C1", "outcome": "deduction", "deduction": 3},
    ])  # fmt: skip
    visit(session, s, s.s2, "综治中心", [
        {"criterion_code": "C1", "outcome": "pass"},
        {"criterion_code": "C2", "outcome": "pass"},
    ])  # fmt: skip
    for item, ok in (("工作方案", True), ("会议记录", False), ("台账", True)):
        eid = evidence(session, s, settings, s.street1, s.s1, item)
        evidence_service.review_evidence(
            session, actor=s.reviewer, evidence_id=eid, accept=ok,
            reason=None if ok else "会议记录缺少签到表",
        )  # fmt: skip
    for q1, q2 in zip(S1_LIKERT, S1_AWARE, strict=True):
        surveys.submit_collected(
            session, actor=s.evaluator, questionnaire_id=s.questionnaire_id, region_id=s.s1.id,
            answers={"Q1": q1, "Q2": q2},
        )  # fmt: skip
    for _ in range(5):
        surveys.submit_collected(
            session, actor=s.evaluator, questionnaire_id=s.questionnaire_id, region_id=s.s2.id,
            answers={"Q1": 5, "Q2": True, "Q3": "热线"},
        )  # fmt: skip
