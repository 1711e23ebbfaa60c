"""State changes of evaluation campaigns: catalogues, campaigns, site visits, evidence.

Questionnaires live in ``questionnaires.service``, rectification and 回头看 in
``rectification.service``. Every function takes keyword-only arguments and the acting user,
writes its audit row, and never commits: the route or command does, once.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.storage import Storage
from zhili.core import audit
from zhili.core.clock import utcnow
from zhili.core.config import Settings
from zhili.core.errors import Conflict, NotFound, ValidationFailed
from zhili.indices.campaigns.access import require_manage
from zhili.indices.campaigns.criteria import parse_workbook
from zhili.indices.campaigns.files import stored_file
from zhili.indices.campaigns.models import (
    CHECKED_METHODS,
    METHOD_LABELS_ZH,
    CampaignState,
    EvalCampaign,
    EvalCatalogue,
    EvalCheckItem,
    EvalCriterion,
    EvalSiteVisit,
    EvalUnit,
    Method,
    Outcome,
)
from zhili.org.models import Department, Region
from zhili.org.users.models import User

CAMPAIGN_AUDIT = ("name", "catalogue_id", "follow_up_of_id", "state", "shortfall_ratio")


def get_campaign(session: Session, campaign_id: int) -> EvalCampaign:
    campaign = session.get(EvalCampaign, campaign_id)
    if campaign is None:
        raise NotFound("campaign", campaign_id)
    return campaign


def get_criterion(session: Session, campaign: EvalCampaign, code: str) -> EvalCriterion:
    criterion = session.scalar(
        select(EvalCriterion).where(
            EvalCriterion.catalogue_id == campaign.catalogue_id, EvalCriterion.code == code
        )
    )
    if criterion is None:
        raise ValidationFailed(
            "criterion_code", f"no criterion {code} in the catalogue", f"测评体系中没有标准 {code}"
        )
    return criterion


def unit_region(session: Session, campaign: EvalCampaign, region_id: int) -> Region:
    """The region of one of the campaign's evaluated units (422 for any other region)."""
    found = session.scalar(
        select(EvalUnit.id).where(
            EvalUnit.campaign_id == campaign.id, EvalUnit.region_id == region_id
        )
    )
    region = session.get(Region, region_id)
    if found is None or region is None:
        raise ValidationFailed(
            "region_id", "not an evaluated unit of this campaign", "不是本次测评的被测评单位"
        )
    return region


def require_state(campaign: EvalCampaign, *states: CampaignState) -> None:
    if campaign.state not in states:
        labels = {"draft": "筹备中", "open": "测评中", "closed": "已结束"}
        raise Conflict(
            f"campaign is {campaign.state}",
            f"测评当前为「{labels[campaign.state]}」状态，不能执行此操作",
            current_state=campaign.state,
        )


def import_catalogue(
    session: Session, *, actor: User | None, name: str, filename: str, data: bytes
) -> EvalCatalogue:
    """Import a criteria catalogue from .xlsx: every row valid, or nothing written."""
    if actor is not None:
        require_manage(session, actor)
    name = name.strip()
    if not name:
        raise ValidationFailed("name", "the catalogue needs a name", "请填写测评体系名称")
    if session.scalar(select(EvalCatalogue.id).where(EvalCatalogue.name == name)):
        raise Conflict(
            f"catalogue {name} exists", f"测评体系「{name}」已存在", current_state="exists"
        )
    departments = {
        code: id_ for code, id_ in session.execute(select(Department.code, Department.id))
    }
    rows = parse_workbook(data, departments=departments)
    catalogue = EvalCatalogue(
        name=name,
        filename=filename[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        created_by_id=actor.id if actor else None,
        created_at=utcnow(),
    )
    session.add(catalogue)
    session.flush()  # the criteria need the catalogue's id
    for seq, r in enumerate(rows, start=1):
        session.add(
            EvalCriterion(
                catalogue_id=catalogue.id,
                seq=seq,
                code=r.code,
                requirement=r.requirement,
                name=r.name,
                full_score=r.full_score,
                method=r.method.value,
                evidence=r.evidence,
                site_types=r.site_types,
                per_item=r.per_item,
                cap=r.cap,
                question=r.question,
                zero_at=r.zero_at,
                full_at=r.full_at,
                department_id=departments[r.department] if r.department else None,
            )
        )
    audit.record(
        session,
        actor=actor,
        action="evaluation.import_catalogue",
        entity_type="eval_catalogue",
        entity_id=catalogue.id,
        after={
            "name": name,
            "filename": filename,
            "criteria": len(rows),
            "sha256": catalogue.sha256,
        },
    )
    return catalogue


def _regions(session: Session, region_ids: list[int]) -> list[Region]:
    regions = list(session.scalars(select(Region).where(Region.id.in_(region_ids))))
    missing = set(region_ids) - {r.id for r in regions}
    if missing:
        raise ValidationFailed(
            "region_ids", f"unknown units {sorted(missing)}", f"单位不存在：{sorted(missing)}"
        )
    return regions


def create_campaign(
    session: Session,
    *,
    actor: User,
    name: str,
    catalogue_id: int,
    region_ids: list[int],
    shortfall_ratio: float = 0.6,
    follow_up_of_id: int | None = None,
) -> EvalCampaign:
    """A campaign in draft, with its evaluated units (org units)."""
    require_manage(session, actor)
    if session.get(EvalCatalogue, catalogue_id) is None:
        raise ValidationFailed("catalogue_id", "unknown catalogue", "测评体系不存在")
    if not 0 < shortfall_ratio <= 1:
        raise ValidationFailed("shortfall_ratio", "must be in (0, 1]", "短板阈值须在 0 到 1 之间")
    regions = _regions(session, sorted(set(region_ids)))
    campaign = EvalCampaign(
        name=name,
        catalogue_id=catalogue_id,
        follow_up_of_id=follow_up_of_id,
        state=CampaignState.draft.value,
        shortfall_ratio=shortfall_ratio,
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    session.add(campaign)
    session.flush()  # units need the campaign's id
    session.add_all(EvalUnit(campaign_id=campaign.id, region_id=r.id) for r in regions)
    audit.record(
        session,
        actor=actor,
        action="evaluation.create_campaign",
        entity_type="eval_campaign",
        entity_id=campaign.id,
        after={**audit.snapshot(campaign, CAMPAIGN_AUDIT), "units": [r.code for r in regions]},
    )
    return campaign


def set_state(
    session: Session, *, actor: User, campaign_id: int, state: CampaignState, version: int
) -> EvalCampaign:
    """draft → open → closed; nothing else (a closed campaign's scores are final)."""
    require_manage(session, actor)
    campaign = get_campaign(session, campaign_id)
    allowed = {CampaignState.open: CampaignState.draft, CampaignState.closed: CampaignState.open}
    if state not in allowed:
        raise ValidationFailed("state", "open or close a campaign", "只能开始或结束测评")
    require_state(campaign, allowed[state])
    if campaign.version != version:
        raise Conflict(
            "changed by someone else", "测评已被他人修改，请刷新", current_state=campaign.state
        )
    before = audit.snapshot(campaign, CAMPAIGN_AUDIT)
    campaign.state = state.value
    if state == CampaignState.open:
        campaign.opened_at = utcnow()
    else:
        campaign.closed_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"evaluation.{'open' if state == CampaignState.open else 'close'}_campaign",
        entity_type="eval_campaign",
        entity_id=campaign.id,
        before=before,
        after=audit.snapshot(campaign, CAMPAIGN_AUDIT),
    )
    return campaign


def record_visit(
    session: Session,
    *,
    actor: User,
    campaign_id: int,
    region_id: int,
    site_type: str,
    site_name: str,
    visited_on: date,
    items: list[dict[str, Any]],
    note: str | None = None,
) -> EvalSiteVisit:
    """实地测评: a visit to one site of a unit, with its check items."""
    campaign = get_campaign(session, campaign_id)
    region = unit_region(session, campaign, region_id)
    require_manage(session, actor, region)
    require_state(campaign, CampaignState.open)
    checked: list[tuple[EvalCriterion, dict[str, Any]]] = []
    for i, item in enumerate(items):
        c = get_criterion(session, campaign, item["criterion_code"])
        if c.method not in CHECKED_METHODS:
            raise ValidationFailed(
                f"items.{i}.criterion_code",
                f"{c.code} is scored by {c.method}, not by check items",
                f"{c.code} 的测评方法为{METHOD_LABELS_ZH[Method(c.method)]}，不逐项检查",
            )
        if c.site_types and site_type not in c.site_types:
            raise ValidationFailed(
                "site_type",
                f"{c.code} is checked at {c.site_types}",
                f"{c.code} 的测评点位类型为{'、'.join(c.site_types)}，不含「{site_type}」",
            )
        checked.append((c, item))
    visit = EvalSiteVisit(
        campaign_id=campaign.id,
        region_id=region.id,
        site_type=site_type,
        site_name=site_name,
        visited_on=visited_on,
        note=note,
        evaluator_id=actor.id,
        created_at=utcnow(),
    )
    session.add(visit)
    session.flush()  # check items need the visit's id
    for c, item in checked:
        session.add(
            EvalCheckItem(
                visit_id=visit.id,
                criterion_id=c.id,
                outcome=Outcome(item["outcome"]).value,
                deduction=float(item.get("deduction") or 0.0),
                note=item.get("note"),
                photos=[],
            )
        )
    audit.record(
        session,
        actor=actor,
        action="evaluation.record_visit",
        entity_type="eval_site_visit",
        entity_id=visit.id,
        after={
            "campaign_id": campaign.id,
            "unit": region.code,
            "site": f"{site_type}:{site_name}",
            "items": [
                {"criterion": c.code, "outcome": str(i["outcome"]), "deduction": i.get("deduction")}
                for c, i in checked
            ],
        },
    )
    return visit


def add_photo(
    session: Session,
    *,
    actor: User,
    settings: Settings,
    storage: Storage,
    item_id: int,
    filename: str,
    data: bytes,
) -> EvalCheckItem:
    """A photo of a check item (what the evaluator saw at the site)."""
    item = session.get(EvalCheckItem, item_id)
    if item is None:
        raise NotFound("check item", item_id)
    visit = session.get(EvalSiteVisit, item.visit_id)
    assert visit is not None  # foreign key
    require_manage(session, actor, session.get(Region, visit.region_id))
    require_state(get_campaign(session, visit.campaign_id), CampaignState.open)
    key, content_type = stored_file(settings, storage, data)
    photo = {"key": key, "filename": filename[:255], "content_type": content_type}
    item.photos = [*item.photos, photo]  # a new list, so the JSON column sees the change
    audit.record(
        session,
        actor=actor,
        action="evaluation.add_photo",
        entity_type="eval_check_item",
        entity_id=item.id,
        after=photo,
    )
    return item
