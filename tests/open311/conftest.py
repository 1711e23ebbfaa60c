"""A staffed tiny city with the default catalogue and one Open311 client (app channel)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from factories.cases import World, make_world
from factories.open311 import Client, make_client
from zhili.core.config import Settings


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    w = make_world(session, settings)
    session.commit()  # a SAVEPOINT in the test's transaction: routes see the city
    return w


@pytest.fixture
def o311(session: Session, world: World) -> Client:
    client = make_client(session)
    session.commit()
    return client
