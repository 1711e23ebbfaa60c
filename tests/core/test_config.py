"""Settings refuse unsafe defaults outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from zhili.core.config import DEFAULT_SECRET_KEY, Settings


def test_development_may_use_the_default_secret() -> None:
    assert Settings(environment="development").secret_key == DEFAULT_SECRET_KEY


@pytest.mark.parametrize("environment", ["test", "production"])
def test_the_default_secret_is_refused_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="ZHILI_SECRET_KEY"):
        Settings(environment=environment)  # type: ignore[arg-type]


def test_production_needs_a_long_secret() -> None:
    with pytest.raises(ValidationError, match="32 characters"):
        Settings(environment="production", secret_key="short-secret")
    assert Settings(environment="production", secret_key="k" * 40).secret_key == "k" * 40


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHILI_DATABASE_URL", "sqlite:///./var/other.db")
    monkeypatch.setenv("ZHILI_TOKEN_TTL_HOURS", "3")
    settings = Settings()
    assert settings.database_url == "sqlite:///./var/other.db"
    assert settings.token_ttl_hours == 3


def test_the_default_database_is_an_sqlite_file_under_var() -> None:
    assert Settings().database_url == "sqlite:///./var/zhili.db"
