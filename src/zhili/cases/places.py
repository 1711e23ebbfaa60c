"""Where a case is when the reporter names a standard address instead of a point.

The register of standard addresses lives in ``basedata``, which itself builds on cases (its
visits report cases), so cases cannot import it. The app hands intake a resolver instead:
any callable with this shape (``basedata.addresses.service.resolve_place`` in the app).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Place:
    grid_id: int
    lon: float | None
    lat: float | None
    text: str  # the standard spelling, stored as the case's address


class AddressResolver(Protocol):
    def __call__(self, session: Session, text: str) -> Place | None:
        """The confidently matching standard address of ``text``, or None."""
        ...
