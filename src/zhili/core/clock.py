"""The one place zhili reads the time, so tests and the demo simulation can move it.

Production code calls ``utcnow()``. A test or the demo's year-long simulation installs a
``ManualClock`` with ``use_clock`` and moves it forward; everything that reads the time —
deadlines, warnings, events, audit rows — then agrees on what "now" is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_manual: ManualClock | None = None


class ManualClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a clock needs a timezone-aware start")
        self.now = start.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("naive datetime")
        self.now = at.astimezone(UTC)


def utcnow() -> datetime:
    return _manual.now if _manual is not None else datetime.now(UTC)


@contextmanager
def use_clock(clock: ManualClock) -> Iterator[ManualClock]:
    """Make ``utcnow()`` answer ``clock.now`` inside the block (process-wide)."""
    global _manual  # one process-wide time source is the point
    previous, _manual = _manual, clock
    try:
        yield clock
    finally:
        _manual = previous
