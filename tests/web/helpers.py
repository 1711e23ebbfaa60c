"""Driving the web pages with the test client as a browser would: cookies, CSRF, forms."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from factories.org import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_MSG = re.compile(r'<p class="msg (ok|error)"[^>]*>(.*?)</p>', re.S)


def csrf_of(page: str) -> str:
    match = _CSRF.search(page)
    assert match, "page has no CSRF field"
    return match.group(1)


def messages(page: str) -> list[str]:
    return [html.unescape(m.group(2)) for m in _MSG.finditer(page)]


class WebClient:
    """A TestClient with a session cookie; posts carry the CSRF token of the last page."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.token = ""

    def get(self, url: str, **kw: Any) -> Response:
        r = self.client.get(url, **kw)
        if _CSRF.search(r.text):
            self.token = csrf_of(r.text)
        return r

    def post(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Response:
        if not self.token:
            self.get("/login")
        body = {"csrf_token": self.token, **(data or {})}
        r = self.client.post(url, data=body, **kw)
        if _CSRF.search(r.text):
            self.token = csrf_of(r.text)
        return r

    def login(self, username: str, password: str = PASSWORD) -> Response:
        self.client.cookies.clear()
        self.token = ""
        self.get("/login")
        r = self.post("/login", {"username": username, "password": password})
        assert r.status_code == 200, messages(r.text)
        return r
