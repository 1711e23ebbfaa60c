"""The slot for the insight warnings feed (研判预警, issue 9).

The dashboard does not know where insight warnings come from. A module that produces them
registers a source on the application (``register_source(app, fn)``); the dashboard asks every
registered source for the unit on screen and shows what they return. With no source the
panel says so, and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session

from zhili.org.models import Region
from zhili.org.users.models import User


@dataclass(frozen=True)
class Insight:
    level: str  # "red" | "yellow" | "info"
    title: str
    detail: str = ""
    at: datetime | None = None
    link: str | None = None  # a path inside zhili, e.g. the case or the analysis page


InsightSource = Callable[[Session, User, Region], Sequence[Insight]]


def register_source(app: FastAPI, source: InsightSource) -> None:
    sources: list[InsightSource] = getattr(app.state, "dashboard_insight_sources", [])
    app.state.dashboard_insight_sources = [*sources, source]


def sources_of(app: Any) -> list[InsightSource]:
    return list(getattr(app.state, "dashboard_insight_sources", []))


_ORDER = {"red": 0, "yellow": 1, "info": 2}


def collect(
    sources: Sequence[InsightSource], session: Session, user: User, region: Region, limit: int
) -> list[Insight]:
    """Every source's warnings for ``region``, most severe and newest first."""
    items = [item for source in sources for item in source(session, user, region)]
    items.sort(key=lambda i: (_ORDER.get(i.level, 3), -(i.at.timestamp() if i.at else 0)))
    return items[:limit]
