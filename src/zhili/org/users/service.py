"""Accounts, login and API tokens. Services never commit: the caller does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from zhili.core import audit
from zhili.core.clock import utcnow
from zhili.core.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from zhili.core.security import (
    Permission,
    Role,
    hash_password,
    mask_phone,
    new_token,
    password_needs_rehash,
    role_allows,
    token_digest,
    verify_password,
)
from zhili.org.access import authorize, region_in_scope, scope_region
from zhili.org.models import Department, Region
from zhili.org.users.models import ApiToken, User
from zhili.org.users.schemas import UserOut

USER_AUDIT_FIELDS = ("username", "full_name", "role", "region_id", "department_id", "is_active")
# A fixed hash to verify against when the username is unknown, so a failed login takes as
# long for a missing user as for a wrong password (no user enumeration by timing).
_DUMMY_HASH = hash_password("zhili-no-such-user")


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user


def create_user(
    session: Session,
    *,
    actor: User | None,
    username: str,
    full_name: str,
    role: Role,
    password: str | None = None,
    region_id: int | None = None,
    department_id: int | None = None,
    phone: str | None = None,
) -> User:
    """Create an account scoped to ``region_id``. ``actor=None`` only for ``zhili init``."""
    region = session.get(Region, region_id) if region_id is not None else None
    if region_id is not None and region is None:
        raise ValidationFailed("region_id", f"region {region_id} does not exist", "所属区划不存在")
    # Citizens have no scope; an admin without one administers the whole installation.
    if role not in (Role.citizen, Role.admin) and region is None:
        raise ValidationFailed(
            "region_id", "staff accounts need a scope", "工作人员账号必须指定管辖范围"
        )
    if role == Role.department and department_id is None:
        raise ValidationFailed(
            "department_id", "department officers need a department", "部门工作人员必须指定所属部门"
        )
    if department_id is not None and session.get(Department, department_id) is None:
        raise ValidationFailed("department_id", "department does not exist", "所属部门不存在")
    if actor is not None:
        authorize(session, actor=actor, permission=Permission.user_write, region=region)
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise Conflict(f"username {username} is taken", f"用户名 {username} 已被使用")
    user = User(
        username=username,
        full_name=full_name.strip(),
        role=role.value,
        region_id=region_id,
        department_id=department_id,
        phone=phone,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        entity_type="user",
        entity_id=user.id,
        after=audit.snapshot(user, USER_AUDIT_FIELDS),
    )
    return user


def authenticate(session: Session, *, username: str, password: str) -> User:
    """Check a password; raise Unauthorized with one message for every kind of failure."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.password_hash is None:
        verify_password(_DUMMY_HASH, password)
        raise Unauthorized("wrong username or password", "用户名或密码错误")
    if not verify_password(user.password_hash, password) or not user.is_active:
        raise Unauthorized("wrong username or password", "用户名或密码错误")
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def issue_token(
    session: Session, *, actor: User | None, user: User, name: str, ttl: timedelta | None
) -> tuple[str, ApiToken]:
    """Make a bearer token for ``user``; returns the token itself (shown once) and its row.

    ``actor=None`` is the console (``zhili token create``), which runs as the system.
    """
    if actor is not None and actor.id != user.id:
        authorize(session, actor=actor, permission=Permission.token_write)
    token = new_token()
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_digest=token_digest(token),
        expires_at=utcnow() + ttl if ttl is not None else None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="token.create",
        entity_type="api_token",
        entity_id=row.id,
        after={"user_id": user.id, "name": name, "expires_at": audit.jsonable(row.expires_at)},
    )
    return token, row


_TOKEN_WITH_USER = (
    select(ApiToken, User)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_digest == bindparam("digest"))
)


def resolve_token(session: Session, token: str) -> User:
    """The active user a bearer token belongs to, or Unauthorized."""
    # token and account in one round trip: this runs before every authenticated request
    found = session.execute(_TOKEN_WITH_USER, {"digest": token_digest(token)}).one_or_none()
    now = utcnow()
    row = found[0] if found else None
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= now):
        raise Unauthorized("invalid or expired token", "令牌无效或已过期，请重新登录")
    user = found[1] if found else None
    if user is None or not user.is_active:
        raise Unauthorized("account disabled", "账号已停用")
    return user


def revoke_token(session: Session, *, actor: User, token: str) -> None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_digest == token_digest(token)))
    if row is None or row.user_id != actor.id:
        raise NotFound("token", "current")
    if row.revoked_at is not None:
        raise Conflict("token already revoked", "令牌已注销", current_state="revoked")
    row.revoked_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="token.revoke",
        entity_type="api_token",
        entity_id=row.id,
        after={"revoked_at": audit.jsonable(row.revoked_at)},
    )


def list_users(
    session: Session, *, actor: User, role: Role | None = None, limit: int = 50, offset: int = 0
) -> tuple[Sequence[User], int]:
    """Accounts within the actor's scope."""
    authorize(session, actor=actor, permission=Permission.user_read)
    scope = scope_region(session, actor)
    if scope is None:
        raise Forbidden("no scope", "未设置管辖范围")
    query = (
        select(User)
        .join(Region, User.region_id == Region.id)
        .where(Region.path.startswith(scope.path))
    )
    if role is not None:
        query = query.where(User.role == role.value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(User.id).limit(limit).offset(offset)).all()
    return rows, total


def read_user(session: Session, *, actor: User, user_id: int, unmask: bool = False) -> UserOut:
    """One account as the actor may see it; unmasked personal data is logged as read."""
    user = get_user(session, user_id)
    if user.id != actor.id:
        authorize(session, actor=actor, permission=Permission.user_read)
        target_region = session.get(Region, user.region_id) if user.region_id else None
        if target_region is None or not region_in_scope(
            scope_region(session, actor), target_region
        ):
            raise NotFound("user", user_id)  # outside the scope, the user does not exist
    return present_user(session, actor=actor, user=user, unmask=unmask)


def present_user(session: Session, *, actor: User, user: User, unmask: bool) -> UserOut:
    out = UserOut.model_validate(user)
    if unmask and user.id != actor.id:
        if not role_allows(actor.role, Permission.personal_data_read):
            raise Forbidden("may not read personal data", "无权查看个人敏感信息")
        audit.record(
            session,
            actor=actor,
            action="personal_data.read",
            entity_type="user",
            entity_id=user.id,
            after={"fields": ["phone"]},
        )
        out.phone_masked = False
    elif user.id != actor.id:
        out.phone = mask_phone(user.phone)
    else:
        out.phone_masked = False  # your own number is yours to see
    return out
