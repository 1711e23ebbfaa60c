"""Login, logout and the home page, which sends each role to its own workbench."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from zhili.core.errors import Unauthorized
from zhili.core.security import Role
from zhili.org.deps import SessionDep
from zhili.org.users import service as users_service
from zhili.web import deps
from zhili.web.deps import MaybeUser
from zhili.web.templating import flash, render

router = APIRouter()

HOME_OF_ROLE: dict[str, str] = {
    Role.dispatcher: "/work/queue",
    Role.operator: "/work/queue",
    Role.evaluator: "/work/queue",
    Role.admin: "/work/queue",
    Role.department: "/work/inbox",
    Role.street: "/work/area",
    Role.community: "/work/area",
    Role.gridder: "/m",
    Role.leader: "/work/leader",
    Role.citizen: "/public/report",
}


def _safe_next(target: str | None) -> str | None:
    # Only paths on this site: never an absolute URL (no open redirect after login).
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@router.get("/")
def home(request: Request, user: MaybeUser) -> Response:
    if user is None:
        return render(request, "landing.html")
    return RedirectResponse(HOME_OF_ROLE.get(user.role, "/work/queue"), status_code=303)


@router.get("/login")
def login_form(request: Request, user: MaybeUser, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next) or "", "username": ""})


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        user = users_service.authenticate(session, username=username.strip(), password=password)
    except Unauthorized as exc:
        return render(
            request,
            "login.html",
            {"next": _safe_next(next) or "", "username": username, "errors": [exc.message_zh]},
            status_code=401,
        )
    deps.login(request, user)
    flash(request, f"欢迎，{user.full_name}")
    return RedirectResponse(_safe_next(next) or HOME_OF_ROLE.get(user.role, "/"), 303)


@router.post("/logout")
def logout(request: Request) -> Response:
    deps.logout(request)
    return RedirectResponse("/login", status_code=303)
