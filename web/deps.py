"""Who is asking (staff only), CSRF from a plain form, and errors as pages."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect

from core.actors import Actor
from core.api.deps import CSRF_HEADER, SAFE_METHODS, current_actor, optional_actor
from core.errors import Forbidden, JiefenError, Unauthorized
from core.i18n import gettext
from web.render import VARY, is_htmx, page

log = logging.getLogger("jiefen.web")
FORM_CSRF_FIELD = "_csrf"


async def read_form_csrf(request: Request[Any, Any, Any]) -> None:
    """A form posted with JavaScript off carries the token in a hidden field; core's check
    reads it from ``scope["jiefen_form_csrf"]``. The parsed form is cached for the handler."""
    if request.method in SAFE_METHODS or request.headers.get(CSRF_HEADER):
        return
    form = await request.form()
    token = form.get(FORM_CSRF_FIELD)
    if isinstance(token, str) and token:
        request.scope["jiefen_form_csrf"] = token  # type: ignore[typeddict-unknown-key]


async def web_actor(request: Request[Any, Any, Any]) -> Actor:
    await read_form_csrf(request)
    actor = await current_actor(request)
    if actor.kind != "staff":
        raise Forbidden()
    from core.plugins.ui import admin_nav

    # The layout's navigation needs the plugins' entries; the page renders later, without awaits.
    request.scope["jiefen_plugin_nav"] = await admin_nav(actor)  # type: ignore[typeddict-unknown-key]
    return actor


async def maybe_actor(request: Request[Any, Any, Any]) -> Actor | None:
    """For the sign-in page: the signed-in user, if any (never raises for a bad session)."""
    try:
        actor = await optional_actor(request)
    except JiefenError:
        return None
    if actor is None or actor.kind != "staff":
        return None
    return await current_actor(request)


def login_url(request: Request[Any, Any, Any]) -> str:
    target = request.url.path
    if request.method in SAFE_METHODS and request.url.query:
        target += "?" + request.url.query
    if not is_htmx(request) and request.method in SAFE_METHODS and target.startswith("/admin"):
        return "/admin/login?next=" + quote(target, safe="")
    current = request.headers.get("hx-current-url", "")
    if "/admin" in current:
        path = "/admin" + current.split("/admin", 1)[1]
        return "/admin/login?next=" + quote(path, safe="")
    return "/admin/login"


def _error_page(request: Request[Any, Any, Any], status: int, message: str) -> Response[Any]:
    actor = request.scope.get("jiefen_actor") or None  # type: ignore[call-overload]
    headers = dict(VARY)
    if is_htmx(request):
        # A failed fragment request shows its message in the page's notice area.
        headers.update({"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})
        return page(request, actor, "error.html", {"status": status, "message": message}, block="flash_message", status=status, headers=headers)  # type: ignore[return-value]
    return page(request, actor, "error.html", {"status": status, "message": message}, status=status, headers=headers)  # type: ignore[return-value]


def unauthorized(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    url = login_url(request)
    if is_htmx(request):
        return Response(b"", status_code=200, headers={"HX-Redirect": url, **VARY})
    return Redirect(url, status_code=303)


def jiefen_error(request: Request[Any, Any, Any], exc: JiefenError) -> Response[Any]:
    from web.render import translator

    locale = _locale(request)
    return _error_page(request, exc.status_code, translator(locale)(exc.message, **exc.params))


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    locale = _locale(request)
    if exc.status_code == 404:
        return _error_page(request, 404, gettext("Not found.", locale))
    if isinstance(exc, ValidationException):
        return _error_page(request, 400, gettext("Some fields are missing or wrong.", locale))
    return _error_page(request, exc.status_code, gettext("The request could not be processed.", locale))


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return _error_page(request, 500, gettext("Something went wrong on our side. Please try again.", _locale(request)))


def _locale(request: Request[Any, Any, Any]) -> str:
    from core.api.deps import request_locale

    actor = request.scope.get("jiefen_actor") or None  # type: ignore[call-overload]
    return request_locale(request, actor)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    Unauthorized: unauthorized,
    JiefenError: jiefen_error,
    HTTPException: http_error,
    500: internal_error,
    Exception: internal_error,
}
