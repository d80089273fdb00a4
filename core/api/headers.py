"""Security headers on every response, unless the route set its own (an evidence download
keeps its stricter ``default-src 'none'; sandbox``).

Pages get a Content-Security-Policy: scripts only from this origin (htmx is vendored under
/static; no page has an inline script or event handler), styles from this origin plus inline
ones (templates use ``style`` attributes and a few ``<style>`` blocks), images also as data:
URLs (sign-link QR codes, the signature pad), no plugins, no framing, forms post only here."""

from __future__ import annotations

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


class SecurityHeaders(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in ALWAYS.items():
                    if name not in headers:
                        headers[name] = value
                if headers.get("content-type", "").startswith("text/html") and "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = CSP
            await send(message)

        await next_app(scope, receive, send_with_headers)
