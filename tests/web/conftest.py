"""A signed-in browser-like client for the admin pages: a session cookie, the CSRF token read
from the page, plain form posts (like JavaScript off) or HTMX requests."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.factories import PASSWORD

CSRF_FIELD = re.compile(r'name="_csrf" value="([^"]+)"')
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
HTMX = {"HX-Request": "true"}


def is_page(resp: Any, status: int) -> bool:
    """The admin's HTML page (not a fragment) with this status."""
    return resp.status_code == status and resp.headers["content-type"].startswith("text/html") and "<html" in resp.text


def is_problem(resp: Any, status: int, code: str) -> bool:
    """An RFC 9457 problem (the API's errors) with this status and code."""
    return (resp.status_code == status and resp.headers["content-type"].startswith("application/problem+json")
            and resp.json()["code"] == code)


def has_admin_headers(resp: Any) -> bool:
    """The admin's headers (``core.api.headers.ADMIN``) and the security headers every page has."""
    from core.api.headers import ADMIN

    return (all(resp.headers.get(name) == value for name, value in ADMIN.items())
            and resp.headers.get("x-content-type-options") == "nosniff" and "frame-ancestors 'none'" in resp.headers.get("content-security-policy", ""))


class Web:
    def __init__(self, client: Any, cookies: dict[str, str], user: dict[str, Any]):
        self.client = client
        self.cookies = cookies
        self.user = user
        self.csrf = ""

    def _headers(self, htmx: bool, target: str | None, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if htmx:
            headers["HX-Request"] = "true"
            headers["X-CSRF-Token"] = self.csrf
            if target:
                headers["HX-Target"] = target
        headers.update(extra or {})
        return headers

    async def get(self, url: str, *, htmx: bool = False, target: str | None = None, headers: dict[str, str] | None = None) -> Any:
        resp = await self.client.get(url, headers=self._headers(htmx, target, headers))
        found = CSRF_FIELD.search(resp.text)
        if found:
            self.csrf = found.group(1)
        return resp

    async def post(
        self, url: str, data: dict[str, Any] | list[tuple[str, Any]] | None = None, *, files: Any = None,
        htmx: bool = False, target: str | None = None, csrf: bool = True, headers: dict[str, str] | None = None,
    ) -> Any:
        if isinstance(data, dict):
            data = list(data.items())
        data = list(data or [])
        if csrf and not htmx:
            data.append(("_csrf", self.csrf))
        form: dict[str, list[Any]] = {}
        for key, value in data:
            form.setdefault(key, []).append(value)
        return await self.client.post(url, data=form, files=files, headers=self._headers(htmx, target, headers))


async def sign_in(client: Any, user: dict[str, Any], password: str = PASSWORD) -> Web:
    resp = await client.post("/admin/login", data={"username": user["username"], "password": password, "next": "/admin/cases"})
    assert resp.status_code == 303, resp.text
    cookies = {k: v for k, v in resp.cookies.items()}
    client.cookies.clear()
    web = Web(client, cookies, user)
    page = await web.get("/admin/cases")
    assert page.status_code == 200, page.text
    assert web.csrf
    return web


@pytest.fixture(autouse=True)
def many_sign_ins(monkeypatch: Any) -> None:
    """Every test signs in from the same address; the per-address limit is tested on its own."""
    import web.auth

    monkeypatch.setattr(web.auth, "LOGIN_LIMIT_PER_MINUTE", 100000)


@pytest.fixture
def web_login(client: Any) -> Any:
    async def do(user: dict[str, Any]) -> Web:
        return await sign_in(client, user)

    return do
