"""HTTP API of insight (研判预警), under /api/v1/insight.

Sections: classify (suggest, feedback, models), duplicates, then detect (warnings, hotspots,
anomalies, risk lists, monthly issue).
"""

from __future__ import annotations

from fastapi import APIRouter

from zhili.insight import models as _models  # noqa: F401 - registers the tables

router = APIRouter(prefix="/insight", tags=["insight"])


# -- classify: suggest, feedback, models ----------------------------------------------------


# -- duplicates -------------------------------------------------------------------------------


# -- detect: warnings, hotspots, anomalies, risk lists, monthly issue ------------------------
