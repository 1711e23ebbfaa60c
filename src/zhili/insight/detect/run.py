"""One detection pass over arrays of cases: hotspots, surges and change points in [start, end).

A long range is scanned for hotspots as a run of study periods that overlap by ``max_days − 1``
days (so every cylinder lies wholly inside one of them), each against the year before it, as a
daily scan would have seen it; a cluster found by two periods is reported once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from zhili.insight.detect.anomalies import (
    AnomalyParams,
    ChangePoint,
    Surge,
    daily_counts,
    detect_changes,
    detect_surges,
    expected_counts,
)
from zhili.insight.detect.hotspots import Hotspot, HotspotParams, Zones, scan_hotspots

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class CaseArrays:
    """Cases as parallel arrays (only cases with a category and a grid)."""

    day: IntArray  # local days since 1970-01-01
    category: IntArray  # index into ``category_ids``
    cell: IntArray  # index into the zones' cells (grids)
    area: IntArray  # index of the district
    categories: int
    areas: int
    history_start: int  # the first day the data covers


@dataclass
class ScanResult:
    hotspots: list[Hotspot]
    surges: list[Surge]
    changes: list[ChangePoint]
    seconds: dict[str, float] = field(default_factory=dict)


def scan(
    cases: CaseArrays,
    *,
    zones: Zones,
    start: int,
    end: int,
    period: int = 28,
    hotspot_params: HotspotParams | None = None,
    anomaly_params: AnomalyParams | None = None,
) -> ScanResult:
    hp = hotspot_params or HotspotParams()
    ap = anomaly_params or AnomalyParams()
    t0 = time.perf_counter()
    found: list[Hotspot] = []
    step = max(period - hp.max_days + 1, 1)
    s = start
    while s < end:
        e = min(s + period, end)
        found.extend(
            scan_hotspots(
                cases.day,
                cases.category,
                cases.cell,
                zones=zones,
                categories=cases.categories,
                start=s,
                end=e,
                params=hp,
                history_start=cases.history_start,
            )
        )
        if e == end:
            break
        s += step
    hotspots = _once(found)
    t1 = time.perf_counter()
    first = max(cases.history_start, start - 365)
    counts = daily_counts(
        cases.day,
        cases.category,
        cases.area,
        categories=cases.categories,
        areas=cases.areas,
        first=first,
        last=end,
    )
    expected = expected_counts(counts, first, ap)
    surges = detect_surges(counts, expected, first=first, start=start, end=end, params=ap)
    changes = detect_changes(counts, expected, first=first, start=start, end=end, params=ap)
    t2 = time.perf_counter()
    return ScanResult(hotspots, surges, changes, {"hotspots": t1 - t0, "anomalies": t2 - t1})


def _once(found: list[Hotspot]) -> list[Hotspot]:
    """Overlapping periods find the same cluster twice: keep the stronger."""
    kept: list[Hotspot] = []
    for h in sorted(found, key=lambda h: -h.llr):
        cells = set(h.cells)
        if any(
            k.category == h.category
            and k.first_day <= h.last_day
            and h.first_day <= k.last_day
            and not cells.isdisjoint(k.cells)
            for k in kept
        ):
            continue
        kept.append(h)
    return sorted(kept, key=lambda h: (h.first_day, h.category))
