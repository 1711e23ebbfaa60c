"""How a resident is shown: masked by default; unmasked only with a permission and a reason,
and every unmasked read leaves an audit row (who saw whose data, when, why).

Nothing here changes base data; reading personal data is itself recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.basedata.population.models import Resident, SpecialGroupRecord
from zhili.basedata.population.schemas import ResidentOut
from zhili.basedata.vault import Vault
from zhili.core import audit
from zhili.core.errors import Forbidden, ValidationFailed
from zhili.core.security import Permission, mask_phone, role_allows
from zhili.org.users.models import User

MIN_REASON = 4


def may(actor: User | None, permission: Permission) -> bool:
    return actor is None or role_allows(actor.role, permission)


def special_groups(
    session: Session, actor: User | None, resident_ids: Iterable[int]
) -> dict[int, list[str]] | None:
    """Each resident's special groups, or None when the actor's role may not know them."""
    if not may(actor, Permission.special_groups_read):
        return None
    ids = list(resident_ids)
    found: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(SpecialGroupRecord.resident_id, SpecialGroupRecord.special_group)
            .where(SpecialGroupRecord.resident_id.in_(ids[start : start + 500]))
            .order_by(SpecialGroupRecord.special_group)
        ).all()
        for resident_id, group in rows:
            found[resident_id].append(group)
    return {i: found.get(i, []) for i in ids}


def masked(resident: Resident, groups: dict[int, list[str]] | None) -> ResidentOut:
    out = ResidentOut.model_validate(
        {
            **{k: getattr(resident, k) for k in ResidentOut.model_fields if hasattr(resident, k)},
            "id_number": resident.id_masked,
            "phone": mask_phone(resident.phone),
            "birth_year": resident.birth_date.year if resident.birth_date else None,
            "birth_date": None,
            "special_groups": groups.get(resident.id, []) if groups is not None else None,
        }
    )
    return out


def present_many(
    session: Session, *, actor: User | None, residents: Sequence[Resident]
) -> list[ResidentOut]:
    """Masked views of many residents (lists never unmask)."""
    groups = special_groups(session, actor, [r.id for r in residents])
    return [masked(r, groups) for r in residents]


def present(
    session: Session,
    *,
    actor: User | None,
    resident: Resident,
    vault: Vault,
    unmask: bool = False,
    reason: str | None = None,
) -> ResidentOut:
    """One resident. ``unmask`` shows the ID number and exact birth date (``id_number.read``)
    and the phone (``personal_data.read`` or ``id_number.read``), with a logged reason."""
    out = masked(resident, special_groups(session, actor, [resident.id]))
    if not unmask:
        return out
    if reason is None or len(reason.strip()) < MIN_REASON:
        raise ValidationFailed(
            "reason", "say why you need the unmasked data", "查看完整个人信息须说明理由"
        )
    see_id = may(actor, Permission.id_number_read)
    see_phone = see_id or may(actor, Permission.personal_data_read)
    if not see_phone:
        raise Forbidden("may not read personal data", "无权查看个人敏感信息")
    fields = ["phone"]
    out.phone = resident.phone
    if see_id:
        out.id_number = vault.open(resident.id_cipher)
        out.birth_date = resident.birth_date
        fields = ["id_number", "birth_date", "phone"]
    out.masked = False
    audit.record(
        session,
        actor=actor,
        action="personal_data.read",
        entity_type="resident",
        entity_id=resident.id,
        after={"fields": fields, "reason": reason.strip()},
    )
    return out
