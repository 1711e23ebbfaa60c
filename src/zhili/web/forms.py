"""Turning HTML form fields into the services' inputs (empty fields mean "not given")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload

from zhili.cases import service as cases_service
from zhili.cases.models import Case, Channel
from zhili.cases.schemas import CaseIntake
from zhili.cases.storage import Storage
from zhili.core.config import Settings
from zhili.core.errors import ValidationFailed
from zhili.org.geo import GridIndexCache
from zhili.org.users.models import User


async def read_form(request: Request) -> FormData:
    """The posted form, for sync routes (they run in the thread pool, off the event loop)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


def text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def integer(value: object, field: str) -> int | None:
    raw = text(value)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise ValidationFailed(field, "not a whole number", "须为整数") from exc


def number(value: object, field: str) -> float | None:
    raw = text(value)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError as exc:
        raise ValidationFailed(field, "not a number", "须为数字") from exc


def storage_of(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


def intake_data(form: FormData | dict[str, Any], channel: Channel) -> CaseIntake:
    """The intake schema from a report form (pydantic checks it: errors name the field)."""
    anonymous = form.get("anonymous") in ("on", "1", "true")
    return CaseIntake.model_validate(
        {
            "channel": channel,
            "title": text(form.get("title")) or "",
            "description": text(form.get("description")) or "",
            "category_id": integer(form.get("category_id"), "category_id"),
            "urgency": text(form.get("urgency")) or "normal",
            "lon": number(form.get("lon"), "lon"),
            "lat": number(form.get("lat"), "lat"),
            "address": text(form.get("address")),
            "region_id": integer(form.get("region_id"), "region_id"),
            "reporter_name": None if anonymous else text(form.get("reporter_name")),
            "reporter_phone": None if anonymous else text(form.get("reporter_phone")),
            "anonymous": anonymous,
            "answer": text(form.get("answer")),
            "resolved_on_spot": text(form.get("resolved_on_spot")),
        }
    )


def photos_of(form: FormData, settings: Settings, field: str = "photo") -> list[tuple[str, bytes]]:
    """Uploaded files (empty file inputs are skipped), read up to one byte past the limit."""
    out = []
    for item in form.getlist(field):
        if isinstance(item, StarletteUpload) and item.filename:
            data = item.file.read(settings.max_attachment_bytes + 1)
            if data:
                out.append((item.filename, data))
    return out


def take_in(
    session: Session,
    *,
    actor: User,
    cache: GridIndexCache,
    settings: Settings,
    storage: Storage,
    data: CaseIntake,
    photos: list[tuple[str, bytes]],
) -> Case:
    """Intake plus its photos, all in the caller's one transaction."""
    case, _ = cases_service.intake(session, actor=actor, cache=cache, data=data)
    for filename, blob in photos:
        cases_service.attach(
            session,
            actor=actor,
            settings=settings,
            storage=storage,
            case_id=case.id,
            filename=filename,
            data=blob,
        )
    return case
