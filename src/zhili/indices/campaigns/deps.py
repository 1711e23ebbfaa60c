"""Route dependencies shared by the campaign routers (storage, unit ids in scope)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.storage import Storage
from zhili.indices.campaigns.access import visible_region_ids
from zhili.indices.campaigns.models import EvalUnit
from zhili.org.users.models import User


def get_storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


StorageDep = Annotated[Storage, Depends(get_storage)]


def units_in_scope(session: Session, user: User, campaign_id: int) -> set[int]:
    ids = session.scalars(select(EvalUnit.region_id).where(EvalUnit.campaign_id == campaign_id))
    return visible_region_ids(session, user, ids)
