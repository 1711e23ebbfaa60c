"""Scoring detections against a ground truth of planted events (docs/benchmarks.md).

A detected hotspot *matches* a planted hotspot when it is about the same category, shares at
least one cell with it and overlaps it in time. A detected surge matches a planted surge when
it is the same category and area and overlaps it in time.

Recall counts planted events of the kind matched by a detection of that kind. Precision counts
detections that match *any* planted event: a planted surge can also show as a spatial cluster
(same category, a cell in the surge's area, overlapping days) and a planted hotspot raises its
district's daily count (same category, the hotspot's area, overlapping days) — such detections
are true finds, not false alarms. Everything else is a false alarm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class _Hot(Protocol):
    @property
    def category(self) -> int: ...
    @property
    def cells(self) -> tuple[int, ...]: ...
    @property
    def first_day(self) -> int: ...
    @property
    def last_day(self) -> int: ...


class _Surge(Protocol):
    @property
    def category(self) -> int: ...
    @property
    def area(self) -> int: ...
    @property
    def first_day(self) -> int: ...
    @property
    def last_day(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Score:
    planted: int
    found: int
    recalled: int  # planted events matched
    true_finds: int  # detections matching a planted event

    @property
    def recall(self) -> float:
        return self.recalled / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        return self.true_finds / self.found if self.found else 1.0


def _overlap(a: _Hot | _Surge, b: _Hot | _Surge) -> bool:
    return a.first_day <= b.last_day and b.first_day <= a.last_day


def _hot_hot(d: _Hot, p: _Hot) -> bool:
    return d.category == p.category and _overlap(d, p) and not set(d.cells).isdisjoint(p.cells)


def _hot_surge(d: _Hot, p: _Surge, cell_area: Sequence[int]) -> bool:
    return (
        d.category == p.category and _overlap(d, p) and any(cell_area[c] == p.area for c in d.cells)
    )


def _surge_surge(d: _Surge, p: _Surge) -> bool:
    return d.category == p.category and d.area == p.area and _overlap(d, p)


def score_hotspots(
    found: Sequence[_Hot],
    hotspots: Sequence[_Hot],
    surges: Sequence[_Surge],
    cell_area: Sequence[int],
) -> Score:
    recalled = sum(any(_hot_hot(d, p) for d in found) for p in hotspots)
    true = sum(
        any(_hot_hot(d, p) for p in hotspots) or any(_hot_surge(d, p, cell_area) for p in surges)
        for d in found
    )
    return Score(len(hotspots), len(found), recalled, true)


def score_surges(
    found: Sequence[_Surge],
    surges: Sequence[_Surge],
    hotspots: Sequence[_Hot],
    cell_area: Sequence[int],
) -> Score:
    recalled = sum(any(_surge_surge(d, p) for d in found) for p in surges)
    true = sum(
        any(_surge_surge(d, p) for p in surges)
        or any(_hot_surge(p, d, cell_area) for p in hotspots)
        for d in found
    )
    return Score(len(surges), len(found), recalled, true)
