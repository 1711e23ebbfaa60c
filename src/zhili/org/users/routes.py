"""HTTP API for login, tokens and accounts."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Query

from zhili.core.pagination import Page
from zhili.core.security import Role
from zhili.org.deps import BearerToken, CurrentUser, SessionDep, SettingsDep
from zhili.org.users import service
from zhili.org.users.schemas import LoginIn, TokenCreate, TokenOut, UserCreate, UserOut

router = APIRouter(tags=["auth & users"])


@router.post("/auth/login", response_model=TokenOut)
def login(session: SessionDep, settings: SettingsDep, body: LoginIn) -> TokenOut:
    """Exchange a username and password for a bearer token."""
    user = service.authenticate(session, username=body.username, password=body.password)
    token, row = service.issue_token(
        session, actor=user, user=user, name="login", ttl=timedelta(hours=settings.token_ttl_hours)
    )
    me = service.present_user(session, actor=user, user=user, unmask=False)
    return TokenOut(access_token=token, expires_at=row.expires_at, user=me)


@router.post("/auth/logout", status_code=204)
def logout(session: SessionDep, user: CurrentUser, token: BearerToken) -> None:
    service.revoke_token(session, actor=user, token=token)


@router.post("/auth/tokens", response_model=TokenOut, status_code=201)
def create_token(session: SessionDep, user: CurrentUser, body: TokenCreate) -> TokenOut:
    """A named token for scripts and integrations, optionally without expiry."""
    ttl = timedelta(hours=body.ttl_hours) if body.ttl_hours else None
    token, row = service.issue_token(session, actor=user, user=user, name=body.name, ttl=ttl)
    me = service.present_user(session, actor=user, user=user, unmask=False)
    return TokenOut(access_token=token, expires_at=row.expires_at, user=me)


@router.get("/users/me", response_model=UserOut)
def me(session: SessionDep, user: CurrentUser) -> UserOut:
    return service.present_user(session, actor=user, user=user, unmask=False)


@router.get("/users", response_model=Page[UserOut])
def list_users(
    session: SessionDep,
    user: CurrentUser,
    role: Role | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[UserOut]:
    rows, total = service.list_users(session, actor=user, role=role, limit=limit, offset=offset)
    items = [service.present_user(session, actor=user, user=u, unmask=False) for u in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(
    session: SessionDep,
    user: CurrentUser,
    user_id: int,
    unmask: bool = Query(False, description="show the full phone number (logged)"),
) -> UserOut:
    return service.read_user(session, actor=user, user_id=user_id, unmask=unmask)


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(session: SessionDep, user: CurrentUser, body: UserCreate) -> UserOut:
    created = service.create_user(session, actor=user, **body.model_dump())
    return service.present_user(session, actor=user, user=created, unmask=False)
