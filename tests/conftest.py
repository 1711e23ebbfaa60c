"""Test fixtures: a real database, migrated once with the real migrations, and a
transaction per test that is rolled back at the end (SAVEPOINTs absorb the commits that
routes and the CLI make, so tests see exactly what a user would).

The database comes from ZHILI_TEST_DATABASE_URL (PostgreSQL in CI); by default it is a
fresh SQLite file in a temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

from zhili.app import create_app
from zhili.core import migrate
from zhili.core.config import Settings
from zhili.core.db import make_engine


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    url = os.environ.get("ZHILI_TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('db')) / 'zhili-test.db'}"
    return Settings(
        database_url=url,
        environment="test",
        secret_key="test-secret-key-" + "x" * 24,
        # A coarse raster keeps index builds cheap in tests while still exercising both the
        # raster path and the exact polygon path.
        grid_index_cells_per_grid=64,
    )


def reset_database(engine: Engine) -> None:
    """Empty the test database so the real migrations run from scratch."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            tables = (
                conn.execute(
                    text(
                        "SELECT name FROM sqlite_master "
                        "WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                    )
                )
                .scalars()
                .all()
            )
            conn.execute(text("PRAGMA foreign_keys=OFF"))
            for table in tables:
                conn.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
            conn.execute(text("PRAGMA foreign_keys=ON"))


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    reset_database(engine)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as s:
        yield s


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    application = create_app(settings)
    application.state.engine.dispose()  # the app's own engine is unused: share the test's
    application.state.session_factory = session_factory
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c
