"""Dashboard settings, from the environment (prefix ``ZHILI_DASHBOARD_``).

Kept apart from the core settings because only the dashboard reads them. Government networks
are usually closed, so the map draws the unit polygons by itself and uses no tiles unless a
tile server on the local network is configured.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DashboardSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ZHILI_DASHBOARD_", env_file=".env", extra="ignore"
    )

    # Seconds between refreshes of the figures on screen (counters, map colours, charts).
    refresh_seconds: int = Field(default=30, ge=5, le=3600)
    # An XYZ tile URL such as http://tiles.intranet/{z}/{x}/{y}.png; empty: no base map.
    tile_url: str = ""
    tile_attribution: str = ""
    # Days of intake the category and channel mix look back over.
    mix_days: int = Field(default=30, ge=1, le=366)
    # Seconds a live monthly ranking is reused before it is computed again (a month's
    # ranking moves slowly; for thousands of grids it takes a while to compute).
    rankings_ttl_seconds: int = Field(default=120, ge=0, le=3600)
    # Rows of the red-warning list.
    red_list_size: int = Field(default=20, ge=1, le=200)
