"""Insight at intake: while the operator types, the intake form shows the classifier's top
categories with their confidence and the open cases nearby that look like the same report
(with the evidence), so a duplicate is merged instead of dispatched twice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from zhili.core.errors import ZhiliError
from zhili.core.security import Permission, role_allows
from zhili.insight.classify import service as classify
from zhili.insight.duplicates import find_duplicates
from zhili.insight.models import Target
from zhili.org.access import scope_region
from zhili.org.deps import SessionDep, SettingsDep
from zhili.web.deps import WebUser
from zhili.web.templating import render

router = APIRouter()


def _coordinate(raw: str) -> float | None:
    try:
        return float(raw) if raw.strip() else None
    except ValueError:
        return None  # a half-typed coordinate is not an error while the form is being filled


@router.get("/work/intake/hints")
def intake_hints(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: WebUser,
    title: Annotated[str, Query(max_length=200)] = "",
    description: Annotated[str, Query(max_length=5000)] = "",
    lon: Annotated[str, Query(max_length=32)] = "",
    lat: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    text = classify.case_text(title, description).strip()
    suggestions: list[classify.Suggestion] = []
    duplicates = []
    if len(text) >= 4 and role_allows(user.role, Permission.case_register):
        try:
            _, suggestions = classify.suggest(
                session, settings=settings, target=Target.category, text=text
            )
            x, y = _coordinate(lon), _coordinate(lat)
            if x is not None and y is not None:
                scope = scope_region(session, user)
                duplicates = find_duplicates(
                    session,
                    text=text,
                    lon=x,
                    lat=y,
                    region_path=scope.path if scope else None,
                )
        except ZhiliError:
            suggestions, duplicates = [], []  # hints are advice: no hint beats an error box
    return render(
        request,
        "work/_hints.html",
        {"suggestions": suggestions, "duplicates": duplicates},
        user=user,
    )
