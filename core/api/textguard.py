"""Text no field may hold: NUL and the other C0 control characters (tab, line feed and carriage
return excepted), DEL, and the bidirectional overrides (U+202A–U+202E, U+2066–U+2069). Nobody types them; PostgreSQL refuses NUL in text (a 500 deep in a
transaction), SQLite would keep it, openpyxl refuses them in a cell. Checked once here, for
every route (the JSON API, the admin's forms, the plugins'), before any handler runs: the query
string, the keys and values of a JSON body, the text fields of a posted form. Refused with a
422 in the user's language; files in a multipart form are left to the upload checks.

A JSON body is parsed once: the guard asks the request for it, which keeps the decoded value on
the connection state, and the handler's body parameter is converted from that value."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import SerializationException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from core.errors import ValidationFailed

# C0 controls (not tab, LF, CR), DEL, and the bidi overrides and isolates: an override turns
# "支付\u202e0001元" into "支付1000元" on screen and in a signed PDF (text shown ≠ text kept).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
MESSAGE = "Text may not contain control characters (such as NUL)."
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class ControlCharacters(ValidationFailed):
    message = MESSAGE


def bad_path(value: Any, path: str = "$") -> str | None:
    """Where in a decoded JSON value a control character sits (``$.parties[0].name``), or None."""
    if isinstance(value, str):
        return path if CONTROL.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if CONTROL.search(str(key)):
                return path
            found = bad_path(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = bad_path(item, f"{path}[{i}]")
            if found:
                return found
    return None


def refuse(field: str) -> ControlCharacters:
    return ControlCharacters(errors=[{"field": field, "message": MESSAGE}])


async def check_request(request: Request[Any, Any, Any]) -> None:
    query = request.scope.get("query_string", b"").decode("latin-1")
    for key, value in parse_qsl(query, keep_blank_values=True):
        if CONTROL.search(key) or CONTROL.search(value):
            raise refuse(key)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    media = request.content_type[0]
    if media == "application/json" or media.endswith("+json"):
        if not await request.body():
            return  # no body: the handler decides whether one was needed
        try:
            # Kept on the connection state: the handler's json extractor reuses this value.
            data = await request.json()
        except SerializationException:
            return  # not JSON (nothing is kept): the handler answers that, as it always has
        field = bad_path(data)
        if field:
            raise refuse(field)
    elif media in FORMS:
        form = await request.form()  # parsed once and kept for the handler
        for key, value in form.multi_items():
            if CONTROL.search(key) or (isinstance(value, str) and CONTROL.search(value)):
                raise refuse(key)


class TextGuard(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        await check_request(Request(scope, receive))
        await next_app(scope, receive, send)
