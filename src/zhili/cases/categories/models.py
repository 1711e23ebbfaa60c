"""The case catalogue (案件分类): major and minor classes with their handling rules."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from zhili.core.db import Base


class CategoryKind(StrEnum):
    component = "component"  # 部件
    event = "event"  # 事件
    hotline = "hotline"  # 12345 热线诉求


class Category(Base):
    __tablename__ = "case_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("case_category.id"), index=True)
    # The DepartmentKind that usually handles it: the dispatcher's first suggestion.
    department_kind: Mapped[str | None] = mapped_column(String(32))
    deadline_amount: Mapped[int] = mapped_column(Integer)
    deadline_unit: Mapped[str] = mapped_column(String(8))
    deadline_working: Mapped[bool] = mapped_column(Boolean)
    response_amount: Mapped[int] = mapped_column(Integer)
    response_unit: Mapped[str] = mapped_column(String(8))
    response_working: Mapped[bool] = mapped_column(Boolean)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)  # offered to residents
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Extra fields a reporter fills in for this category (Open311 service attributes): a list of
    # {code, variable, datatype, required, datatype_description, order, description, values}
    # validated by ``schemas.AttributeIn`` on load, ordered by ``order``.
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
