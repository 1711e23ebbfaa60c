"""Dependencies of the web pages: the signed-cookie login, the current user, CSRF checks.

The session is Starlette's signed cookie (itsdangerous, keyed with the app secret); it holds
only the user id, the login time and the CSRF token. The user row is read on every request,
so disabling an account ends its sessions at once.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends, Request

from zhili.core.errors import Forbidden
from zhili.core.security import Role
from zhili.org.deps import SessionDep
from zhili.org.users.models import User
from zhili.web.templating import CSRF_FIELD, CSRF_HEADER, csrf_token


class LoginRequired(Exception):
    """Raised by page dependencies; the handler redirects to /login?next=…"""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfFailed(Exception):
    """A form or HTMX request without the session's CSRF token (shown as 403)."""


def login(request: Request, user: User) -> None:
    """Start a fresh session for ``user`` (a new CSRF token: no session fixation)."""
    request.session.clear()
    request.session["uid"] = user.id
    csrf_token(request)


def logout(request: Request) -> None:
    request.session.clear()


def optional_user(request: Request, session: SessionDep) -> User | None:
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        return None
    user = session.get(User, uid)
    if user is None or not user.is_active:
        request.session.pop("uid", None)
        return None
    return user


def _next_path(request: Request) -> str:
    path = request.url.path
    return path + ("?" + request.url.query if request.url.query else "")


def current_user(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The logged-in user of a page; anyone else is sent to the login page."""
    if user is None:
        raise LoginRequired(_next_path(request))
    return user


WebUser = Annotated[User, Depends(current_user)]
MaybeUser = Annotated[User | None, Depends(optional_user)]


def require_roles(user: User, roles: Sequence[Role]) -> None:
    """Pages are per role; the services still check permission and scope themselves."""
    if user.role != Role.admin and user.role not in roles:
        raise Forbidden(f"page not for role {user.role}", "当前角色无权访问此页面")


async def csrf_protect(request: Request) -> None:
    """On every unsafe method: the token from the form field or the HTMX header must match."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # cached by Starlette; the route reads it again
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or sent is None or not hmac.compare_digest(expected, sent):
        raise CsrfFailed()
