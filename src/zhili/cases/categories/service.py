"""The case catalogue: loaded from YAML (defaults shipped), upserted by code."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.categories.models import Category
from zhili.cases.categories.schemas import CatalogueIn, CategoryIn, RuleIn
from zhili.core import audit
from zhili.core.errors import NotFound, ValidationFailed
from zhili.core.security import Permission
from zhili.org.access import authorize
from zhili.org.users.models import User

CATEGORY_AUDIT_FIELDS = (
    "code",
    "name",
    "kind",
    "parent_id",
    "department_kind",
    "deadline_amount",
    "deadline_unit",
    "deadline_working",
    "response_amount",
    "response_unit",
    "response_working",
    "is_public",
    "attributes",
)


def default_catalogue() -> dict[str, Any]:
    text = resources.files("zhili.cases.categories").joinpath("defaults.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def parse_catalogue(data: dict[str, Any]) -> CatalogueIn:
    try:
        return CatalogueIn.model_validate({k: data.get(k) for k in ("defaults", "categories")})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ValidationFailed(field, first["msg"], f"分类目录格式错误：{field}") from exc


def load_catalogue(
    session: Session, *, actor: User | None, data: dict[str, Any] | None = None
) -> int:
    """Insert or update every category of ``data`` (default: the shipped catalogue).

    Loading the same file twice changes nothing. Returns how many rows changed.
    """
    if actor is not None:
        authorize(session, actor=actor, permission=Permission.category_write)
    catalogue = parse_catalogue(data if data is not None else default_catalogue())
    existing = {c.code: c for c in session.scalars(select(Category))}
    changed = 0
    for row in catalogue.categories:  # majors come before their minors in the file
        parent = existing.get(row.parent) if row.parent else None
        if row.parent and parent is None:
            raise ValidationFailed(
                "categories.parent",
                f"{row.code}: unknown parent {row.parent}",
                f"分类 {row.code} 的上级 {row.parent} 不存在",
            )
        values = _values(row, parent, catalogue.defaults)
        current = existing.get(row.code)
        if current is None:
            current = Category(code=row.code, **values)
            session.add(current)
            session.flush()
            existing[row.code] = current
            audit.record(
                session,
                actor=actor,
                action="category.create",
                entity_type="category",
                entity_id=current.id,
                after=audit.snapshot(current, CATEGORY_AUDIT_FIELDS),
            )
            changed += 1
        elif any(getattr(current, k) != v for k, v in values.items()):
            before = audit.snapshot(current, CATEGORY_AUDIT_FIELDS)
            for k, v in values.items():
                setattr(current, k, v)
            audit.record(
                session,
                actor=actor,
                action="category.update",
                entity_type="category",
                entity_id=current.id,
                before=before,
                after=audit.snapshot(current, CATEGORY_AUDIT_FIELDS),
            )
            changed += 1
    return changed


def _values(
    row: CategoryIn, parent: Category | None, defaults: dict[str, RuleIn]
) -> dict[str, Any]:
    kind = row.kind.value if row.kind else (parent.kind if parent else None)
    if kind is None:
        raise ValidationFailed(
            "categories.kind", f"{row.code}: kind missing", f"分类 {row.code} 缺少类型"
        )
    deadline = row.deadline or defaults["deadline"]
    response = row.response or defaults["response"]
    return {
        "name": row.name,
        "kind": kind,
        "parent_id": parent.id if parent else None,
        "department_kind": row.department.value if row.department else None,
        "deadline_amount": deadline.amount,
        "deadline_unit": deadline.unit,
        "deadline_working": deadline.working,
        "response_amount": response.amount,
        "response_unit": response.unit,
        "response_working": response.working,
        "is_public": row.public,
        "attributes": [a.model_dump() for a in sorted(row.attributes, key=lambda a: a.order)],
    }


def get_category(session: Session, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound("category", category_id)
    return category


def get_by_code(session: Session, code: str) -> Category:
    category = session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise NotFound("category", code)
    return category


def list_categories(session: Session, *, kind: str | None = None) -> Sequence[Category]:
    query = select(Category).where(Category.is_active.is_(True)).order_by(Category.code)
    if kind:
        query = query.where(Category.kind == kind)
    return session.scalars(query).all()
