"""The real migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from factories.org import make_user
from zhili.core import audit
from zhili.core.db import Base
from zhili.core.security import Role
from zhili.org import models as _org_models
from zhili.org.users import models as _user_models  # noqa: F401


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # JSON vs. dialect type renderings are not differences; everything else is.
    assert diff == []


def test_sqlite_runs_with_wal_and_foreign_keys(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_the_audit_log_refuses_updates_through_the_orm(session: Session) -> None:
    row = audit.record(session, actor=None, action="test.action", entity_type="thing", entity_id=1)
    session.flush()
    row.action = "tampered"
    with pytest.raises(PermissionError, match="append-only"):
        session.flush()
    session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'tampered'",
        "DELETE FROM audit_log",
    ],
)
def test_the_audit_log_refuses_updates_and_deletes_in_sql(session: Session, statement: str) -> None:
    audit.record(session, actor=None, action="test.action", entity_type="thing", entity_id=1)
    session.flush()
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(statement))


def test_an_audit_row_names_the_actor_and_the_change(session: Session) -> None:
    admin = make_user(session, role=Role.admin, region=None, username="auditor_admin")
    row = audit.record(
        session,
        actor=admin,
        action="thing.update",
        entity_type="thing",
        entity_id=7,
        before={"a": 1},
        after={"a": 2},
    )
    session.flush()
    session.expire(row)
    assert (row.actor_id, row.actor_username, row.before, row.after) == (
        admin.id,
        "auditor_admin",
        {"a": 1},
        {"a": 2},
    )
    assert row.at.tzinfo is not None


def test_path_indexes_serve_the_scope_prefix_filter(session: Session) -> None:
    """Under the clusters' C.UTF-8 collation a plain btree cannot serve ``LIKE 'prefix%'``;
    every index the models declare with pattern ops is built so, and the planner uses it
    for the scope filter as the queries write it (an index condition, not a filter)."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("operator classes are PostgreSQL's")
    declared = {
        index.name
        for table in Base.metadata.tables.values()
        for index in table.indexes
        if index.dialect_options["postgresql"]["ops"]
    }
    assert {"ix_region_path", "ix_resident_region_path", "ix_case_region_path_created"} <= declared
    built = dict(
        session.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(:names)"),
            {"names": sorted(declared)},
        ).all()
    )
    assert built.keys() == declared
    assert all("varchar_pattern_ops" in definition for definition in built.values()), built
    session.execute(text("SET LOCAL enable_seqscan = off"))
    query = select(_org_models.Region.id).where(
        _org_models.Region.path.startswith("/1/2/", autoescape=True)
    )
    compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    plan = "\n".join(session.execute(text(f"EXPLAIN {compiled}")).scalars())
    assert "Index Cond" in plan and "~>=~" in plan, plan
