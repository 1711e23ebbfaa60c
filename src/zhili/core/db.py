"""Database plumbing: the declarative base, engines, sessions and a few column types.

Engines and session factories are made by ``make_engine`` / ``make_session_factory`` when
the app or CLI starts, never at import time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, Index, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from zhili.core.config import Settings

# Stable constraint names, so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC on every backend.

    SQLite has no time zones and hands back naive values; deadlines compared across
    zones would silently drift by eight hours, so naive input is refused and output is
    always aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin: otherwise
    # SAVEPOINTs and transactional DDL misbehave (SQLAlchemy's documented pysqlite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers (dashboards) run while a writer commits; foreign keys are off by
    # default in SQLite and must be switched on for every connection.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(settings: Settings) -> Engine:
    """Build the engine for ``settings.database_url`` with the right per-backend options."""
    url = settings.database_url
    kwargs: dict[str, Any] = {"echo": settings.sql_echo, "future": True}
    if settings.is_sqlite:
        settings.ensure_sqlite_directory()
        kwargs["connect_args"] = {"check_same_thread": False}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if settings.is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


# Execution option that makes a transaction on SQLite start with BEGIN IMMEDIATE.
WRITE_INTENT: dict[str, Any] = {"zhili_write": True}


def _sqlite_begin(connection: Any) -> None:
    # A deferred BEGIN that reads first and writes later cannot upgrade to the write lock in
    # WAL mode once another connection has committed after its snapshot: SQLite answers
    # "database is locked" at once, without waiting for busy_timeout. A transaction that
    # means to write therefore takes the write lock up front (waiting up to busy_timeout);
    # read-only transactions stay deferred so readers never queue behind writers.
    if connection.get_execution_options().get("zhili_write"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: responses are built from objects after the commit at the edge.
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def write_session(factory: sessionmaker[Session]) -> Session:
    """A session whose transaction will write: on SQLite it begins IMMEDIATE (see above);
    elsewhere the option means nothing."""
    return factory(execution_options=WRITE_INTENT)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work for the CLI and jobs: commit on success, roll back on any error."""
    session = write_session(factory)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def prefix_index(name: str, column: str, *more: str) -> Index:
    """A btree index that serves ``column LIKE 'prefix%'``, the scope filter on materialised
    paths. Under a collation other than C (the clusters here are C.UTF-8) PostgreSQL cannot
    use a plain btree for it and reads the whole index; ``varchar_pattern_ops`` compares bytes,
    which is all a path needs (equality too). Other backends ignore the option."""
    return Index(name, column, *more, postgresql_ops={column: "varchar_pattern_ops"})
