"""Security headers on every response, unless the route set its own (an evidence download
keeps its stricter ``default-src 'none'; sandbox``).

Pages get a Content-Security-Policy: scripts only from this origin (htmx is vendored under
/static; no page has an inline script or event handler), styles from this origin plus inline
ones (templates use ``style`` attributes and a few ``<style>`` blocks), images also as data:
URLs (sign-link QR codes, the signature pad), no plugins, no framing, forms post only here."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


# The admin's pages, the plugins' admin pages and their error pages carry these too: a case
# page is personal data, kept by no cache (nor the back button of a shared computer).
ADMIN = {"X-Frame-Options": "DENY", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


def add_missing(headers: MutableMapping[str, str], defaults: Mapping[str, str]) -> None:
    """``defaults`` where ``headers`` has no value of its own (names compared ignoring case)."""
    present = {name.lower() for name in headers}
    for name, value in defaults.items():
        if name.lower() not in present:
            headers[name] = value


def secure(headers: MutableMapping[str, str], content_type: str, *, admin: bool = False) -> None:
    """What :class:`SecurityHeaders` adds, for a response it does not see (one no route took),
    and :data:`ADMIN` too when ``admin``."""
    add_missing(headers, {**ALWAYS, **(ADMIN if admin else {})})
    if content_type.startswith("text/html"):
        add_missing(headers, {"Content-Security-Policy": CSP})


def under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def admin_headers(prefix: str = "/admin") -> Any:
    """Router middleware (the admin's router, each plugin's): :data:`ADMIN` on every response
    under ``prefix``, error pages too (Litestar's ``response_headers`` skip those)."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def with_headers(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP or not under(scope["path"], prefix):
                await app(scope, receive, send)
                return

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    add_missing(MutableScopeHeaders.from_message(message), ADMIN)
                await send(message)

            await app(scope, receive, send_with_headers)

        return with_headers

    return middleware


class SecurityHeaders(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                secure(headers, headers.get("content-type", ""))
            await send(message)

        await next_app(scope, receive, send_with_headers)
