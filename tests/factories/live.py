"""A live zhili server in the test process: what ``zhili serve`` runs (``create_app`` under
uvicorn, its own thread pool and connection pool) on a free loopback port, over its own SQLite
file prepared by the real migrations and a tiny staffed city (``make_world``).

For tests that need real HTTP between a client and the server (a published client library,
writers racing for SQLite's lock). The browser tests start ``zhili serve`` itself instead
(``tests/web/live_server.py``).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from factories.cases import World, make_world
from zhili.app import create_app
from zhili.core import migrate
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory, transaction


@dataclass
class LiveServer:
    root: str  # http://127.0.0.1:<port>
    factory: sessionmaker[Session]
    world: World
    path: Path  # the SQLite file


@contextmanager
def live_server(folder: Path) -> Iterator[LiveServer]:
    settings = Settings(
        database_url=f"sqlite:///{folder / 'zhili.db'}",
        environment="test",
        secret_key="live-secret-key-" + "x" * 24,
        media_root=str(folder / "media"),
        tick_interval_seconds=0,
        grid_index_cells_per_grid=64,
    )
    engine = make_engine(settings)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        world = make_world(session, settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", factory, world, folder / "zhili.db")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        engine.dispose()
