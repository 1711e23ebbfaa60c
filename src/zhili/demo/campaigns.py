"""A demo evaluation campaign (测评) for the demo city, in the spirit of Kunming's 摸底大考.

The first district's streets (up to ``max_units``) are evaluated on eight criteria drawn from
seed 001 — the 综治中心, video coverage, dispute screening, online grid management, public
satisfaction with 平安建设, awareness of mental-health knowledge and of the 12345 line — with
site visits, evidence reviewed by a district department, questionnaires, then closing and
rectification tasks for every shortfall. Reproducible from ``seed``; everything goes through
the campaign services, so the audit log reads as if an evaluator had done it.

Hook: ``build_demo_campaign(session, settings=settings, storage=storage)`` inside the demo's
transaction, after the city (its evaluators, streets, departments) exists.
"""

from __future__ import annotations

import io
import random
from datetime import date, timedelta
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.storage import Storage
from zhili.core.clock import utcnow
from zhili.core.config import Settings
from zhili.core.security import Role
from zhili.indices.campaigns import service
from zhili.indices.campaigns.criteria import HEADERS
from zhili.indices.campaigns.evidence import service as evidence_service
from zhili.indices.campaigns.models import CampaignState, EvalCampaign, EvalCatalogue
from zhili.indices.campaigns.questionnaires import service as surveys
from zhili.indices.campaigns.rectification import service as rectification
from zhili.org.models import Department, Region, RegionLevel
from zhili.org.users.models import User

CATALOGUE_NAME = "演示测评体系（市域社会治理现代化试点）"
_SITES = ["综治中心", "小区", "政务中心"]
# 编号 来源要求 测评标准 分值 方法 印证材料 点位类型 每项扣分 扣分上限 问卷题目 零分比率 满分比率
_CRITERIA: list[list[Any]] = [
    ["A01", "中央要求：建成综治中心", "综治中心实体化运行、人员在岗", 10, "实地调查", None,
     "综治中心", 2, 8, None, None, None],
    ["A02", "中央要求：立体化治安防控", "重点部位视频监控在线率达标", 8, "实地监测", None,
     "小区；政务中心", 1, None, None, None, None],
    ["A03", "省要求：矛盾纠纷多元化解", "矛盾纠纷排查化解机制健全", 10, "部门审核",
     "工作方案；排查台账；化解记录", None, None, None, None, None, None],
    ["A04", "中央要求：网格化服务管理", "网格信息平台及时更新、事件按时处置", 8, "网上评估", None,
     None, 1, 6, None, None, None],
    ["A05", "省要求：平安细胞创建", "平安小区创建资料完整", 6, "部门审核",
     "创建方案；验收记录", None, None, None, None, None, None],
    ["B01", "中央要求：群众安全感", "群众对平安建设满意", 12, "问卷调查", None, None, None,
     None, "Q1", "60%", "95%"],
    ["B02", "中央要求：社会心理服务", "心理健康知识知晓率", 6, "问卷调查", None, None, None,
     None, "Q2", "40%", "90%"],
    ["B03", "省要求：群众参与治理", "群众知晓并使用 12345 热线反映问题", 6, "问卷调查", None,
     None, None, None, "Q3", "50%", "95%"],
]  # fmt: skip
_CHANNELS = ["微信群", "网格员", "居民议事会", "没有参与"]
_QUESTIONS: list[dict[str, Any]] = [
    {"code": "Q1", "kind": "likert", "text": "您对本地平安建设工作满意吗？", "options": [],
     "positive": [], "positive_min": 4, "required": True},
    {"code": "Q2", "kind": "awareness", "text": "您是否了解心理健康基本知识？", "options": [],
     "positive": [], "positive_min": 4, "required": True},
    {"code": "Q3", "kind": "awareness", "text": "您是否知道并使用过 12345 热线？", "options": [],
     "positive": [], "positive_min": 4, "required": True},
    {"code": "Q4", "kind": "single", "text": "您主要通过什么渠道参与社会治理？",
     "options": _CHANNELS, "positive": [], "positive_min": 4,
     "required": False},
]  # fmt: skip


def _first(session: Session, query: Any) -> Any:
    return session.scalars(query.limit(1)).first()


def build_demo_campaign(
    session: Session, *, settings: Settings, storage: Storage, seed: int = 1, max_units: int = 8
) -> EvalCampaign | None:
    """Run one closed campaign with tasks; None when the city lacks what it needs or the demo
    catalogue is already there (the demo is built once)."""
    rng = random.Random(seed)
    evaluator = _first(session, select(User).where(User.role == Role.evaluator).order_by(User.id))
    district = _first(
        session, select(Region).where(Region.level == RegionLevel.district).order_by(Region.code)
    )
    if evaluator is None or district is None:
        return None
    if session.scalar(select(EvalCatalogue.id).where(EvalCatalogue.name == CATALOGUE_NAME)):
        return None
    streets = list(
        session.scalars(
            select(Region)
            .where(Region.parent_id == district.id, Region.level == RegionLevel.street)
            .order_by(Region.code)
            .limit(max_units)
        )
    )
    staff = {
        s.id: _first(
            session,
            select(User).where(User.region_id == s.id, User.role == Role.street).order_by(User.id),
        )
        for s in streets
    }
    streets = [s for s in streets if staff[s.id] is not None]
    if not streets:
        return None
    dept = _first(
        session,
        select(Department).where(Department.region_id == district.id).order_by(Department.id),
    )
    reviewer = dept and _first(
        session, select(User).where(User.department_id == dept.id).order_by(User.id)
    )
    data = _catalogue_bytes(dept.code if dept is not None and reviewer is not None else None)
    cat = service.import_catalogue(
        session, actor=evaluator, name=CATALOGUE_NAME, filename="演示测评体系.xlsx", data=data
    )
    campaign = service.create_campaign(
        session, actor=evaluator, name=f"{district.name}市域社会治理摸底测评", catalogue_id=cat.id,
        region_ids=[s.id for s in streets],
    )  # fmt: skip
    qn = surveys.create_questionnaire(
        session, actor=evaluator, campaign_id=campaign.id, title="群众安全感与满意度调查",
        questions=_QUESTIONS,
    )  # fmt: skip
    session.flush()
    service.set_state(
        session, actor=evaluator, campaign_id=campaign.id, state=CampaignState.open,
        version=campaign.version,
    )  # fmt: skip
    for street in streets:
        quality = rng.uniform(0.55, 0.95)  # how well this street does, on every method
        _fieldwork(session, rng, quality, evaluator, campaign, street)
        _evidence(session, rng, quality, settings, storage, staff[street.id], reviewer,
                  evaluator, campaign, street)  # fmt: skip
        for _ in range(rng.randint(30, 60)):
            answers = {
                "Q1": min(5, max(1, round(rng.gauss(1 + 4 * quality, 0.9)))),
                "Q2": rng.random() < quality - 0.1,
                "Q3": rng.random() < quality,
                "Q4": rng.choice(_CHANNELS),
            }
            surveys.submit_collected(
                session, actor=evaluator, questionnaire_id=qn.id, region_id=street.id,
                answers=answers,
            )  # fmt: skip
    service.set_state(
        session, actor=evaluator, campaign_id=campaign.id, state=CampaignState.closed,
        version=campaign.version,
    )  # fmt: skip
    rectification.raise_tasks(
        session, actor=evaluator, campaign_id=campaign.id,
        deadline=(utcnow() + timedelta(days=45)).date(),
        owners={s.id: staff[s.id].id for s in streets},
    )  # fmt: skip
    return campaign


def _catalogue_bytes(dept_code: str | None) -> bytes:
    """The demo catalogue as the .xlsx an office would import."""
    wb = Workbook()
    ws = wb.active
    ws.append(list(HEADERS))
    for row in _CRITERIA:
        reviewed = row[4] == "部门审核"
        ws.append([*row, dept_code if reviewed else None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _fieldwork(
    session: Session, rng: random.Random, quality: float, evaluator: User,
    campaign: EvalCampaign, street: Region,
) -> None:  # fmt: skip
    checks = {"综治中心": ["A01", "A04"], "小区": ["A02"], "政务中心": ["A02", "A04"]}
    for site in _SITES:
        items: list[dict[str, Any]] = []
        for code in checks[site]:
            for _ in range(rng.randint(2, 4)):
                roll = rng.random()
                if roll < quality:
                    items.append({"criterion_code": code, "outcome": "pass"})
                elif roll < quality + (1 - quality) / 2:
                    items.append(
                        {"criterion_code": code, "outcome": "fail", "note": "现场检查未达标"}
                    )
                else:
                    items.append({"criterion_code": code, "outcome": "deduction", "deduction": 0.5,
                                  "note": "部分达标"})  # fmt: skip
        service.record_visit(
            session, actor=evaluator, campaign_id=campaign.id, region_id=street.id,
            site_type=site, site_name=f"{street.name}{site}",
            visited_on=date(2026, 11, 2) + timedelta(days=rng.randint(0, 10)), items=items,
        )  # fmt: skip


def _evidence(
    session: Session, rng: random.Random, quality: float, settings: Settings, storage: Storage,
    uploader: User, reviewer: User | None, evaluator: User, campaign: EvalCampaign,
    street: Region,
) -> None:  # fmt: skip
    for code, materials in (
        ("A03", ["工作方案", "排查台账", "化解记录"]),
        ("A05", ["创建方案", "验收记录"]),
    ):
        for item in materials:
            if rng.random() > quality + 0.15:
                continue  # never uploaded
            row = evidence_service.upload_evidence(
                session, actor=uploader, settings=settings, storage=storage,
                campaign_id=campaign.id, region_id=street.id, criterion_code=code, item=item,
                filename=f"{street.name}{item}.pdf",
                data=f"%PDF-1.4 演示材料 {street.code} {item}".encode(),
            )  # fmt: skip
            accept = rng.random() < quality + 0.1
            evidence_service.review_evidence(
                session, actor=reviewer or evaluator, evidence_id=row.id, accept=accept,
                reason=None if accept else "材料不完整，缺少签字盖章",
            )  # fmt: skip
