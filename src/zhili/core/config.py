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

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        # A leaked default secret would let anyone forge sessions on a government network.
        if self.environment != "development" and self.secret_key == DEFAULT_SECRET_KEY:
            raise ValueError(
                "ZHILI_SECRET_KEY must be set outside development (生产环境必须设置密钥)"
            )
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
