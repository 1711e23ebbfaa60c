"""Known events planted into the demo year, and the ground truth of what was planted.

On top of the ordinary year (``casemix``) the simulation acts out:

- **hotspots**: ``HOTSPOT_CASES`` extra cases of one category in a grid and its nearest 0–2
  grids over 3 days, reported by the gridders;
- **surges**: one category's daily count in one district raised by ``max(SURGE_MIN, 3 × its
  level)`` a day for 3 days, spread over the district's grids as usual;
- **repeat complainants**: one caller phoning the hotline ``REPEAT_CALLS`` times, a week
  apart, about the same problem in the same grid, in the last two months of the year.

Events keep clear of the first ``WARMUP_DAYS`` (detection needs a history) and of each other
(per category, a week apart), so each can be matched unambiguously. A year of fewer than
``MIN_CASES`` cases gets nothing planted. ``GroundTruth.to_json``
is what ``zhili demo`` writes beside the database; the matching rules are in
``zhili.insight.detect.matching`` and docs/benchmarks.md.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from zhili.cases.models import Channel, Urgency
from zhili.core.calendar import CHINA_TZ
from zhili.demo import casemix as mix
from zhili.demo.kinds import KINDS

HOTSPOTS = 4
SURGES = 4
REPEAT_CALLERS = 3
HOTSPOT_CASES = 8
SURGE_DAYS = 3
SURGE_MIN = 5
REPEAT_CALLS = 4
WARMUP_DAYS = 70
MIN_CASES = 500  # a smaller year gets nothing planted: the planted events would be most of it
GridXY = dict[str, tuple[float, float]]  # grid code → centroid (lon, lat)


@dataclass(frozen=True, slots=True)
class PlantedHotspot:
    category: str
    grids: tuple[str, ...]
    first_day: date  # local dates, inclusive
    last_day: date
    cases: int


@dataclass(frozen=True, slots=True)
class PlantedSurge:
    category: str
    district: str  # region code
    first_day: date
    last_day: date
    cases: int


@dataclass(frozen=True, slots=True)
class PlantedCaller:
    phone: str
    category: str
    grid: str
    calls: int


@dataclass
class GroundTruth:
    seed: int
    hotspots: list[PlantedHotspot] = field(default_factory=list)
    surges: list[PlantedSurge] = field(default_factory=list)
    callers: list[PlantedCaller] = field(default_factory=list)

    def to_json(self) -> str:
        def plain(x: Any) -> Any:
            return x.isoformat() if isinstance(x, date) else x

        data = {
            "seed": self.seed,
            "hotspots": [{k: plain(v) for k, v in asdict(h).items()} for h in self.hotspots],
            "surges": [{k: plain(v) for k, v in asdict(s).items()} for s in self.surges],
            "callers": [asdict(c) for c in self.callers],
        }
        return json.dumps(data, ensure_ascii=False, indent=2)


def plant(
    plans: list[mix.CasePlan],
    *,
    planner: mix.Planner,
    seed: int,
    start: datetime,
    end: datetime,
    districts: dict[str, str],  # grid code → district code
    centroids: GridXY,
) -> tuple[list[mix.CasePlan], GroundTruth]:
    """The plans with the planted ones appended (indices continue), and the ground truth."""
    rng = random.Random(f"planted:{seed}")
    truth = GroundTruth(seed=seed)
    first = start.astimezone(CHINA_TZ).date() + timedelta(days=WARMUP_DAYS)
    last = end.astimezone(CHINA_TZ).date() - timedelta(days=SURGE_DAYS + 1)
    if last <= first or len(plans) < MIN_CASES:
        return plans, truth
    out = list(plans)
    busy: dict[str, list[date]] = {}
    weights = {c: KINDS[c].weight for c in planner.codes if c in KINDS}
    codes = [c for c in weights if planner.kind_of.get(c) != "hotline"]
    # the category's mean daily count in each district, for the surges' size
    per_district: Counter[tuple[str, str]] = Counter((p.category, districts[p.grid]) for p in plans)
    days = max((end - start).days, 1)

    def pick_slot() -> tuple[str, date]:
        while True:
            code = rng.choice(codes)
            day = first + timedelta(days=rng.randrange((last - first).days))
            if all(abs((day - d).days) > 7 for d in busy.get(code, [])):
                busy.setdefault(code, []).append(day)
                return code, day

    def add(
        code: str, grid: str, day: date, channel: Channel, caller: tuple[str, str] | None
    ) -> None:
        hour = rng.randrange(9, 17)
        local = datetime.combine(day, time(hour), tzinfo=CHINA_TZ)
        at = (local + timedelta(seconds=rng.randrange(3600))).astimezone(UTC)
        index = len(out)
        spot = planner.grid_by_code[grid]
        lon, lat = planner.point_in(grid, rng)
        text = planner.text(index, code, channel, spot.address, None)
        out.append(
            mix.CasePlan(
                index=index,
                at=at,
                category=code,
                channel=channel,
                urgency=Urgency.normal,
                grid=grid,
                lon=lon,
                lat=lat,
                title=text.title,
                description=text.description,
                address=spot.address,
                caller=caller,
                anonymous=False,
                duplicate_of=None,
            )
        )

    grids = sorted(centroids)
    for _ in range(HOTSPOTS):
        code, day = pick_slot()
        centre = rng.choice(grids)
        near = sorted(grids, key=lambda g: _dist(centroids[g], centroids[centre]))
        chosen = tuple(near[: rng.randint(1, 3)])
        for i in range(HOTSPOT_CASES):
            add(code, chosen[i % len(chosen)], day + timedelta(days=i % 3), Channel.gridder, None)
        truth.hotspots.append(
            PlantedHotspot(code, chosen, day, day + timedelta(days=2), HOTSPOT_CASES)
        )
    district_grids: dict[str, list[str]] = {}
    for g in grids:
        district_grids.setdefault(districts[g], []).append(g)
    for _ in range(SURGES):
        code, day = pick_slot()
        district = rng.choice(sorted(district_grids))
        level = per_district[(code, district)] / days
        per_day = max(SURGE_MIN, math.ceil(3 * level))
        spots = district_grids[district]
        w = [planner.grid_by_code[g].weight for g in spots]
        for d in range(SURGE_DAYS):
            for grid in rng.choices(spots, weights=w, k=per_day):
                add(code, grid, day + timedelta(days=d), Channel.gridder, None)
        truth.surges.append(
            PlantedSurge(
                code, district, day, day + timedelta(days=SURGE_DAYS - 1), per_day * SURGE_DAYS
            )
        )
    for _ in range(REPEAT_CALLERS):
        code = rng.choice(codes)
        grid = rng.choice(grids)
        caller = (mix.caller_name(rng), mix.mobile(rng))
        # within the last weeks of the year, where a scan run at the demo's "now" looks
        latest = last - timedelta(days=7 * (REPEAT_CALLS - 1))
        day = max(first, latest - timedelta(days=rng.randrange(45)))
        for i in range(REPEAT_CALLS):
            add(code, grid, day + timedelta(days=7 * i), Channel.hotline, caller)
        truth.callers.append(PlantedCaller(caller[1], code, grid, REPEAT_CALLS))
    # stay within the simulated year
    kept = [p for p in out[len(plans) :] if start <= p.at < end]
    return plans + [replace(p, index=len(plans) + i) for i, p in enumerate(kept)], truth


def _dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot((a[0] - b[0]) * math.cos(math.radians(a[1])), a[1] - b[1])
