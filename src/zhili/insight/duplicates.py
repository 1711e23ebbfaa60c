"""Duplicate reports at intake: the same problem, the same place, a short while apart.

Cheap enough for every intake: SQL first narrows the candidates to OPEN cases created inside
the time window and inside a bounding box around the point (the ``created_at`` index does
the work), then each candidate is compared in Python: great-circle distance in metres and
text similarity — the Jaccard index of the two texts' character bigram sets (shingles),
after normalisation. Bigrams suit Chinese: two callers describing the same broken street
lamp share most bigrams ("路灯", "不亮") even when their sentences differ. A candidate is a
likely duplicate when it is within ``radius_m``, within ``window_hours`` and at least
``min_similarity`` alike; the evidence (similarity, distance, hours apart, same category)
comes with it. Read only: merging is the dispatcher's decision (cases.service.merge).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.models import OPEN_STATES, Case
from zhili.core.clock import utcnow
from zhili.core.errors import ValidationFailed

EARTH_RADIUS_M = 6_371_008.8
DEFAULT_RADIUS_M = 300.0
DEFAULT_WINDOW_HOURS = 72.0
DEFAULT_MIN_SIMILARITY = 0.3
MAX_CANDIDATES = 500  # newest first; a busier spot than this is a hotspot, not a duplicate
_KEEP = re.compile(r"[\w]+")


def shingles(text: str) -> frozenset[str]:
    """Character bigrams of the letters and digits of ``text`` (punctuation and spaces out)."""
    t = "".join(_KEEP.findall(unicodedata.normalize("NFKC", text).lower()))
    if len(t) < 2:
        return frozenset({t}) if t else frozenset()
    return frozenset(map(str.__add__, t, t[1:]))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True, slots=True)
class Duplicate:
    case_id: int
    number: str
    title: str
    state: str
    category_id: int | None
    created_at: datetime
    similarity: float
    distance_m: float
    hours_apart: float
    same_category: bool | None


def find_duplicates(
    session: Session,
    *,
    text: str,
    lon: float,
    lat: float,
    at: datetime | None = None,
    category_id: int | None = None,
    radius_m: float = DEFAULT_RADIUS_M,
    window_hours: float = DEFAULT_WINDOW_HOURS,
    min_similarity: float = DEFAULT_MIN_SIMILARITY,
    exclude_case_id: int | None = None,
    region_path: str | None = None,
    limit: int = 5,
) -> list[Duplicate]:
    """Open cases that are likely the same report as (text, lon, lat, at), best first.

    ``region_path`` keeps the search inside a reader's area (a materialised path prefix).
    """
    if not text.strip():
        raise ValidationFailed("text", "text is empty", "文本不能为空")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationFailed("lon", "coordinates out of range", "坐标超出范围")
    if radius_m <= 0 or window_hours <= 0:
        raise ValidationFailed("radius_m", "radius and window must be positive", "范围须为正数")
    at = at or utcnow()
    if at.tzinfo is None:
        raise ValidationFailed("at", "times need a time zone", "时间须带时区")
    window = timedelta(hours=window_hours)
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    query = (
        select(
            Case.id,
            Case.number,
            Case.title,
            Case.description,
            Case.state,
            Case.category_id,
            Case.created_at,
            Case.lon,
            Case.lat,
        )
        .where(
            Case.created_at >= at - window,
            Case.created_at <= at + window,
            Case.state.in_([s.value for s in OPEN_STATES]),
            Case.lat.between(lat - dlat, lat + dlat),
            Case.lon.between(lon - dlon, lon + dlon),
        )
        .order_by(Case.created_at.desc())
        .limit(MAX_CANDIDATES)
    )
    if exclude_case_id is not None:
        query = query.where(Case.id != exclude_case_id)
    if region_path is not None:
        query = query.where(Case.region_path.startswith(region_path, autoescape=True))
    mine = shingles(text)
    found: list[Duplicate] = []
    for row in session.execute(query):
        metres = distance_m(lon, lat, row.lon, row.lat)
        if metres > radius_m:
            continue
        similarity = jaccard(mine, shingles(f"{row.title}。{row.description}"))
        if similarity < min_similarity:
            continue
        found.append(
            Duplicate(
                case_id=row.id,
                number=row.number,
                title=row.title,
                state=row.state,
                category_id=row.category_id,
                created_at=row.created_at,
                similarity=round(similarity, 3),
                distance_m=round(metres, 1),
                hours_apart=round(abs((at - row.created_at).total_seconds()) / 3600, 2),
                same_category=None
                if category_id is None or row.category_id is None
                else category_id == row.category_id,
            )
        )
    # Most alike first; nearer and closer in time break ties.
    found.sort(key=lambda d: (-d.similarity, d.distance_m, d.hours_apart))
    return found[:limit]


def duplicates_of_case(
    session: Session,
    case: Case,
    *,
    region_path: str | None = None,
    radius_m: float = DEFAULT_RADIUS_M,
    window_hours: float = DEFAULT_WINDOW_HOURS,
    min_similarity: float = DEFAULT_MIN_SIMILARITY,
) -> list[Duplicate]:
    """Earlier or later open cases that look like ``case`` (which must have a point)."""
    if case.lon is None or case.lat is None:
        raise ValidationFailed("lon", "the case has no location", "该案件没有位置信息")
    return find_duplicates(
        session,
        text=f"{case.title}。{case.description}",
        lon=case.lon,
        lat=case.lat,
        at=case.created_at,
        category_id=case.category_id,
        exclude_case_id=case.id,
        region_path=region_path,
        radius_m=radius_m,
        window_hours=window_hours,
        min_similarity=min_similarity,
    )
