"""Rendering pages: one Jinja2 environment with autoescaping always on.

Case titles and descriptions are written by the public, so every ``{{ … }}`` is escaped; a
template that really needs raw HTML must say ``|safe`` on a value the server made itself.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from zhili.core.calendar import CHINA_TZ
from zhili.core.security import ROLE_LABELS_ZH, Role
from zhili.org.users.models import User

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"

# Top navigation per role: (label, path). Home first.
NAV: dict[str, list[tuple[str, str]]] = {
    Role.dispatcher: [("案件队列", "/work/queue"), ("受理登记", "/work/intake")],
    Role.operator: [("案件队列", "/work/queue"), ("受理登记", "/work/intake")],
    Role.department: [("部门待办", "/work/inbox")],
    Role.street: [("辖区案件", "/work/area"), ("部门评价", "/work/ratings")],
    Role.community: [("辖区案件", "/work/area")],
    Role.gridder: [("网格员", "/m"), ("上报问题", "/m/report"), ("入户走访", "/m/visits")],
    Role.leader: [("指挥大屏", "/dashboard"), ("案件队列", "/work/queue")],
    Role.evaluator: [("案件队列", "/work/queue")],
    Role.admin: [("案件队列", "/work/queue"), ("指挥大屏", "/dashboard")],
    Role.citizen: [("我要反映", "/public/report"), ("进度查询", "/public/status")],
}
PUBLIC_NAV = [("我要反映", "/public/report"), ("进度查询", "/public/status")]


def _local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Times are stored in UTC and shown in Beijing time."""
    if value is None:
        return ""
    return value.astimezone(CHINA_TZ).strftime(fmt)


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,  # always, whatever the file extension: user text is never trusted
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = _local
    env.globals["role_label"] = lambda role: ROLE_LABELS_ZH.get(Role(role), role)
    return env


ENV = make_environment()


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (anonymous visitors get one too)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A message shown once on the next rendered page (after a redirect)."""
    messages = list(request.session.get("flash", []))
    messages.append([kind, message])
    request.session["flash"] = messages[-5:]


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    user: User | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    errors: list[str] | None = None,
) -> HTMLResponse:
    """Render ``name`` with what every page needs: user, nav, CSRF token, flashed messages."""
    ctx: dict[str, Any] = {
        "request": request,
        "user": user,
        "nav": NAV.get(user.role, []) if user else PUBLIC_NAV,
        "csrf": csrf_token(request),
        "csrf_field": CSRF_FIELD,
        "csrf_header": CSRF_HEADER,
        "messages": request.session.pop("flash", []),
        "errors": errors or [],
    }
    ctx.update(context or {})
    html = ENV.get_template(name).render(ctx)
    # No framing by other sites (clickjacking of the action buttons), no content sniffing.
    safe = {
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
    return HTMLResponse(html, status_code=status_code, headers={**safe, **(headers or {})})
