"""FastAPI dependencies shared by every domain's routes: the session and the current user.

The session dependency is the edge of the transaction: it commits once after the route
returns (before the response is sent, hence ``scope="function"``) and rolls back on any
error, so one request is one transaction with its audit rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from zhili.core.config import Settings
from zhili.core.db import write_session
from zhili.core.errors import Unauthorized
from zhili.org.geo import GridIndexCache
from zhili.org.users import service as users_service
from zhili.org.users.models import User

# Methods that never change data; every other request is a write (BEGIN IMMEDIATE on SQLite).
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = factory() if request.method in _SAFE_METHODS else write_session(factory)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_grid_cache(request: Request) -> GridIndexCache:
    cache: GridIndexCache = request.app.state.grid_cache
    return cache


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
GridCacheDep = Annotated[GridIndexCache, Depends(get_grid_cache)]

_bearer = HTTPBearer(auto_error=False)


def get_current_user(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized()
    return users_service.resolve_token(session, credentials.credentials)


def get_bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None:
        raise Unauthorized()
    return credentials.credentials


CurrentUser = Annotated[User, Depends(get_current_user)]
BearerToken = Annotated[str, Depends(get_bearer_token)]
