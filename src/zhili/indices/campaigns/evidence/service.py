"""印证材料: units upload the materials a criterion asks for; the responsible department
(or an evaluator) accepts or rejects each with a reason. Services never commit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhili.cases.storage import Storage
from zhili.core import audit
from zhili.core.clock import utcnow
from zhili.core.config import Settings
from zhili.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from zhili.core.security import Permission, Role
from zhili.indices.campaigns.files import stored_file
from zhili.indices.campaigns.models import (
    CampaignState,
    EvalCriterion,
    EvalEvidence,
    EvidenceState,
)
from zhili.indices.campaigns.service import get_campaign, get_criterion, require_state, unit_region
from zhili.org.access import authorize
from zhili.org.users.models import User


def upload_evidence(
    session: Session,
    *,
    actor: User,
    settings: Settings,
    storage: Storage,
    campaign_id: int,
    region_id: int,
    criterion_code: str,
    item: str,
    filename: str,
    data: bytes,
) -> EvalEvidence:
    """印证材料: a unit uploads one of a criterion's required materials."""
    campaign = get_campaign(session, campaign_id)
    region = unit_region(session, campaign, region_id)
    authorize(session, actor=actor, permission=Permission.evaluation_submit, region=region)
    require_state(campaign, CampaignState.open)
    c = get_criterion(session, campaign, criterion_code)
    if item not in c.evidence:
        raise ValidationFailed(
            "item",
            f"{c.code} asks for {c.evidence}",
            f"{c.code} 的印证材料为：{'、'.join(c.evidence) or '无'}",
        )
    key, content_type = stored_file(settings, storage, data)
    row = EvalEvidence(
        campaign_id=campaign.id,
        region_id=region.id,
        criterion_id=c.id,
        item=item,
        filename=filename[:255],
        content_type=content_type,
        size=len(data),
        storage_key=key,
        state=EvidenceState.submitted.value,
        uploaded_by_id=actor.id,
        uploaded_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="evaluation.upload_evidence",
        entity_type="eval_evidence",
        entity_id=row.id,
        after={"unit": region.code, "criterion": c.code, "item": item, "sha256": key[3:]},
    )
    return row


def review_evidence(
    session: Session, *, actor: User, evidence_id: int, accept: bool, reason: str | None = None
) -> EvalEvidence:
    """The responsible department (or an evaluator) accepts or rejects a material."""
    row = session.get(EvalEvidence, evidence_id)
    if row is None:
        raise NotFound("evidence", evidence_id)
    criterion = session.get(EvalCriterion, row.criterion_id)
    assert criterion is not None  # foreign key
    authorize(session, actor=actor, permission=Permission.evaluation_review)
    if actor.role == Role.department and actor.department_id != criterion.department_id:
        raise Forbidden(
            "only the responsible department reviews it", "只有该测评标准的责任部门可以审核"
        )
    require_state(get_campaign(session, row.campaign_id), CampaignState.open)
    if row.state != EvidenceState.submitted:
        raise Conflict("already reviewed", "该材料已审核", current_state=row.state)
    if not accept and not (reason or "").strip():
        raise ValidationFailed("reason", "a rejection gives its reason", "退回须说明理由")
    row.state = (EvidenceState.accepted if accept else EvidenceState.rejected).value
    row.reason = reason
    row.reviewed_by_id = actor.id
    row.reviewed_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="evaluation.review_evidence",
        entity_type="eval_evidence",
        entity_id=row.id,
        before={"state": EvidenceState.submitted.value},
        after={"state": row.state, "reason": reason},
    )
    return row
