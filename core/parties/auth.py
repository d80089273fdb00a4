"""Finding the party behind a request: ``Authorization: Bearer jp_…`` (apps, mini-programs) or
the ``jiefen_party`` cookie (the pages, which also send the session's CSRF token)."""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Request

from core.errors import Forbidden
from core.parties import tracking
from core.ratelimit import hit
from core.settings import get_settings

COOKIE = "jiefen_party"
SAFE = {"GET", "HEAD", "OPTIONS"}


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


async def throttle(request: Request[Any, Any, Any]) -> None:
    await hit("party", client_ip(request), get_settings().intake_rate_limit_per_minute * 4)


def bearer(request: Request[Any, Any, Any]) -> str | None:
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    return token if token.startswith(tracking.SESSION_PREFIX) else None


async def party_context(request: Request[Any, Any, Any], *, link_token: str | None = None, form_csrf: str | None = None) -> tracking.PartyContext:
    token = bearer(request)
    if token:
        return await tracking.require(token, link_token=link_token)
    ctx = await tracking.require(request.cookies.get(COOKIE), link_token=link_token)
    if request.method not in SAFE:
        sent = request.headers.get("x-csrf-token") or form_csrf or ""
        if not hmac.compare_digest(str(sent), ctx.csrf):
            raise Forbidden("The form has expired. Reload the page and try again.")
    return ctx
