from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories.cases import World, make_world
from web.helpers import WebClient
from zhili.cases.storage import LocalStorage
from zhili.core.config import Settings


@pytest.fixture
def world(session: Session, settings: Settings, app: FastAPI) -> World:
    w = make_world(session, settings)
    session.commit()
    app.state.grid_cache = w.cache
    return w


@pytest.fixture
def web(client: TestClient, app: FastAPI, tmp_path: Path) -> WebClient:
    app.state.storage = LocalStorage(tmp_path / "media")  # uploads stay out of the worktree
    return WebClient(client)
