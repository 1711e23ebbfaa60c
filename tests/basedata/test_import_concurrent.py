"""Two persons imports at once on PostgreSQL, each starting as a city's first load: both must
apply. A first load drops the residents' household key, which needs ``resident`` and
``household`` to itself; two imports that had each read them first would deadlock, so persons
imports take an advisory lock before reading them and run one after the other.

Real concurrency needs committed data and two connections, so this runs in a scratch database
of its own next to the test database."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from basedata.test_imports import table
from factories.basedata import cid, make_base
from zhili.basedata.imports import persons
from zhili.basedata.imports.service import run_import
from zhili.basedata.population.models import Resident
from zhili.basedata.vault import vault_for
from zhili.core import migrate
from zhili.core.config import Settings

HEADER = ["证件号码", "姓名", "地址编码", "户编号", "与户主关系", "人口类型"]


@pytest.fixture
def scratch(settings: Settings) -> Iterator[Engine]:
    url = make_url(settings.database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("the first-load path and its locks are PostgreSQL's")
    name = f"{url.database}_two_loads"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(url.set(database=name))
    try:
        migrate.upgrade(engine)
        with Session(engine) as session:
            make_base(session, settings)  # grids and addresses; then no resident, no household
            for emptied in ("special_group_record", "household_visit", "resident", "household"):
                session.execute(text(f'DELETE FROM "{emptied}"'))  # noqa: S608 - fixed names
            session.commit()
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def file(tag: str, address: str) -> bytes:
    rows = [
        [
            cid(seq=f"{tag}{i:02d}"),
            f"人{i}",
            address,
            f"H{tag}{i // 3}",
            "户主" if i % 3 == 0 else "子女",
            "户籍人口",
        ]
        for i in range(30)
    ]
    return table(HEADER, rows)


def test_two_first_loads_at_once_both_apply(
    scratch: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = persons.first_load

    def slow(session: Session) -> bool:
        found = real(session)
        time.sleep(0.5)  # both imports have looked before either writes
        return found

    monkeypatch.setattr(persons, "first_load", slow)
    results: dict[str, Any] = {}

    def load(tag: str, address: str) -> None:
        try:
            with Session(scratch) as session:
                job = run_import(
                    session,
                    actor=None,
                    vault=vault_for(settings),
                    kind="persons",
                    data=file(tag, address),
                    filename="p.csv",
                )
                session.commit()
                results[tag] = (job.status, job.inserted)
        except Exception as exc:  # reported below, with the other thread's outcome
            results[tag] = repr(exc).splitlines()[0]

    threads = [
        threading.Thread(target=load, args=args)
        for args in (("1", "A0001-3-2-501"), ("2", "A0002-3-2-101"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == {"1": ("applied", 30), "2": ("applied", 30)}
    with Session(scratch) as session:
        assert session.scalar(select(func.count()).select_from(Resident)) == 60
        validated = session.scalar(
            text(
                "SELECT convalidated FROM pg_constraint"
                " WHERE conname = 'fk_resident_household_id_household'"
            )
        )
        assert validated is True
