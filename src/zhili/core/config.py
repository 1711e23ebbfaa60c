"""Settings, read from the environment (prefix ``ZHILI_``) or a ``.env`` file.

Nothing here runs at import time: ``Settings()`` is built by whoever starts the program
(``create_app``, the CLI, a test), so tests can build as many isolated apps as they like.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "change-me-development-only"  # noqa: S105 - refused outside development below


class Settings(BaseSettings):
    """Every setting of a zhili installation."""

    model_config = SettingsConfigDict(env_prefix="ZHILI_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        default="sqlite:///./var/zhili.db",
        description="SQLAlchemy URL; SQLite (embedded) or postgresql+psycopg://…",
    )
    secret_key: str = DEFAULT_SECRET_KEY
    # API tokens issued by password login expire; tokens made with the CLI may live longer.
    token_ttl_hours: int = Field(default=12, ge=1, le=24 * 365)
    # The point→grid raster aims at this many cells per grid: finer means fewer exact
    # polygon tests per point but more memory (4 bytes a cell, capped below).
    grid_index_cells_per_grid: int = Field(default=1024, ge=16, le=65536)
    grid_index_max_cells: int = Field(default=16_000_000, ge=10_000)
    sql_echo: bool = False

    # -- cases ---------------------------------------------------------------------------
    media_root: str = "./var/media"
    max_attachment_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # Beyond this share of the step's time the case shows a yellow warning (黄灯).
    warn_share: float = Field(default=0.8, gt=0, lt=1)
    # Registration and dispatch within this many working hours of intake (按时派遣).
    dispatch_within_hours: int = Field(default=2, ge=1)
    # On-site verification within this many working days of the handling result (按时核实).
    verify_within_days: int = Field(default=1, ge=1)
    # How often an unsatisfied resident may have a case reopened (重办).
    reopen_limit: int = Field(default=2, ge=0)
    # Report-in time limits of the three whistle types, in natural minutes (Kaifu practice:
    # an emergency whistle must be answered within 30 minutes).
    whistle_daily_minutes: int = Field(default=24 * 60, ge=1)
    whistle_tackling_minutes: int = Field(default=120, ge=1)
    whistle_emergency_minutes: int = Field(default=30, ge=1)
    # -- assessment -----------------------------------------------------------------------
    # Weights of the 三率 composite. Beijing's 接诉即办 assessment puts resolution and
    # satisfaction far above mere response; zhili's default 20/40/40 follows that order.
    # Every city sets its own (they must add up to 1).
    weight_response: float = Field(default=0.2, ge=0, le=1)
    weight_resolution: float = Field(default=0.4, ge=0, le=1)
    weight_satisfaction: float = Field(default=0.4, ge=0, le=1)
    # Fair ranking for small samples: each rate is shrunk towards the level's mean as if
    # `ranking_prior_cases` more cases had the mean result, and a unit with fewer than
    # `ranking_min_cases` cases in the month is listed but not ranked.
    ranking_prior_cases: int = Field(default=20, ge=0)
    ranking_min_cases: int = Field(default=5, ge=0)
    # -- basedata -------------------------------------------------------------------------
    # Key for ID numbers at rest (AES-GCM) and for their keyed lookup index (HMAC-SHA256).
    # Empty: derived from secret_key. Set it on its own in production, so that rotating the
    # secret key never makes stored ID numbers unreadable (docs/decisions/0004).
    personal_data_key: str = ""
    # Household visits (入户率): share of households each grid should visit in a rolling year.
    visit_target_rate: float = Field(default=0.9, gt=0, le=1)
    # -- web ----------------------------------------------------------------------------
    # Reports one address (IP) may send through the public page per hour (0: no reports).
    public_reports_per_hour: int = Field(default=10, ge=0)
    # Seconds between runs of the supervision timers inside `zhili serve` (0: off).
    tick_interval_seconds: int = Field(default=60, ge=0)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        # A leaked default secret would let anyone forge sessions on a government network.
        if self.environment != "development" and self.secret_key == DEFAULT_SECRET_KEY:
            raise ValueError(
                "ZHILI_SECRET_KEY must be set outside development (生产环境必须设置密钥)"
            )
        if abs(self.weight_response + self.weight_resolution + self.weight_satisfaction - 1) > 1e-6:
            raise ValueError("the three 三率 weights must add up to 1")
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("ZHILI_SECRET_KEY must be at least 32 characters in production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def ensure_sqlite_directory(self) -> None:
        """Create the folder of a file-based SQLite database (``./var`` by default)."""
        if not self.is_sqlite:
            return
        path = self.database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
