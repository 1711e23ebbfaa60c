"""A live ``zhili serve`` for the browser tests, on a free port of 127.0.0.1, with its own
database (a fresh SQLite file, or a fresh PostgreSQL database next to the test database) so
the server's commits never meet the rolled-back transactions of the other tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from factories.cases import World, make_world
from zhili.core import migrate
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory

CHROMIUM = os.environ.get("ZHILI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SECRET = "e2e-secret-key-" + "y" * 24


@dataclass
class LiveServer:
    url: str
    settings: Settings
    world_names: dict[str, str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def own_database(tmp: Path) -> Iterator[str]:
    """A database URL of our own: SQLite file, or ``<test db>_e2e`` on the same PostgreSQL."""
    base = os.environ.get("ZHILI_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp / 'e2e.db'}"
        return
    url = make_url(base)
    name = f"{url.database}_e2e"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(settings: Settings) -> World:
    engine = make_engine(settings)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        world = make_world(session, settings)
        session.commit()
    engine.dispose()
    return world


@contextmanager
def serve(tmp: Path) -> Iterator[LiveServer]:
    with own_database(tmp) as url:
        env = {
            **os.environ,
            "ZHILI_ENVIRONMENT": "test",
            "ZHILI_SECRET_KEY": SECRET,
            "ZHILI_DATABASE_URL": url,
            "ZHILI_MEDIA_ROOT": str(tmp / "media"),
            "ZHILI_TICK_INTERVAL_SECONDS": "0",
            "ZHILI_GRID_INDEX_CELLS_PER_GRID": "64",
        }
        settings = Settings(
            database_url=url, environment="test", secret_key=SECRET, grid_index_cells_per_grid=64
        )
        world = seed(settings)
        names = {k: d.name for k, d in world.depts.items()} | {"street": world.city.street.name}
        port = free_port()
        src = str(Path(__file__).resolve().parents[2] / "src")
        env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
        log = (tmp / "server.log").open("wb")
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and CLI, fixed arguments
            [
                sys.executable,
                "-c",
                "from zhili.cli import app; app()",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180  # a loaded 2-core CI box is slow to import
            while True:
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=2):  # noqa: S310
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            "zhili serve did not start:\n" + (tmp / "server.log").read_text()
                        ) from None
                    time.sleep(0.3)
            yield LiveServer(base, settings, names)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None
