"""Who is asking (staff only), CSRF from a plain form, and errors as pages."""

from __future__ import annotations

import logging
from collections.abc import Callable
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


def error_page(request: Request[Any, Any, Any], status: int, message: str) -> Response[Any]:
    """The admin's error page; plugins' admin pages answer with it too (core.plugins.web)."""
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

    locale = page_locale(request)
    return error_page(request, exc.status_code, translator(locale)(exc.message, **exc.params))


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    locale = page_locale(request)
    if exc.status_code == 404:
        return error_page(request, 404, gettext("Not found.", locale))
    if isinstance(exc, ValidationException):
        return error_page(request, 400, gettext("Some fields are missing or wrong.", locale))
    if exc.status_code == 405:
        # A bookmarked form address, an old link: say what happened and where to go instead.
        message = "This page does not accept a {method} request. Go back and use the page's own buttons."
        return error_page(request, 405, gettext(message, locale, method=request.method))
    return error_page(request, exc.status_code, gettext("The request could not be processed.", locale))


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return error_page(request, 500, gettext("Something went wrong on our side. Please try again.", page_locale(request)))


def page_locale(request: Request[Any, Any, Any]) -> str:
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


def _pick(handlers: dict[Any, Any], exc: Exception) -> Any:
    # As Litestar resolves a map (status code of an HTTPException, then the class's MRO, then 500).
    if isinstance(exc, HTTPException) and exc.status_code in handlers:
        return handlers[exc.status_code]
    return next((handlers[c] for c in type(exc).__mro__ if c in handlers), handlers.get(500))


def pages_or_problems(pages: dict[Any, Any], wants_page: Callable[[Request[Any, Any, Any]], bool]) -> dict[Any, Any]:
    """Exception handlers that pick, per request, the admin's error pages (``pages``) or the
    API's RFC 9457 problems. Every key either map knows is registered, so that a handler of the
    app's never shadows one of a router's. The headers the middlewares would add are set here
    too: a request that no route took passed none of them."""
    from core.api.headers import secure, under
    from core.api.problems import EXCEPTION_HANDLERS as PROBLEMS

    words = {422: "Some fields are missing or wrong.", 503: "The service is briefly unavailable. Please try again in a moment."}

    def answer(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        if not wants_page(request):
            return _pick(PROBLEMS, exc)(request, exc)  # type: ignore[no-any-return]
        if isinstance(exc, (JiefenError, HTTPException)):
            return _pick(pages, exc)(request, exc)  # type: ignore[no-any-return]
        # Anything else: the API's handlers know which are bad input (an id past 64 bits) or a
        # database away for a moment, and log the rest; the page keeps their status.
        status = _pick(PROBLEMS, exc)(request, exc).status_code
        message = words.get(status, "Something went wrong on our side. Please try again.")
        return error_page(request, status, gettext(message, page_locale(request)))

    def dispatch(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        response = answer(request, exc)
        if isinstance(exc, HTTPException) and exc.headers:  # a 405's Allow
            response.headers = {**exc.headers, **response.headers}
        media = str(getattr(response.media_type, "value", response.media_type) or "")
        secure(response.headers, media, admin=under(request.url.path, "/admin"))
        return response

    return {key: dispatch for key in {*pages, *PROBLEMS}}


def app_handlers() -> dict[Any, Any]:
    """The app's own exception handlers: they answer where no route did (an unknown path, a
    method the path does not serve) and for routes without handlers of their own. Under
    ``/admin/`` (the plugins' admin pages too) the admin's error page, elsewhere problems."""
    from core.api.headers import under
    from core.api.problems import EXCEPTION_HANDLERS as PROBLEMS

    handlers = pages_or_problems(EXCEPTION_HANDLERS, lambda request: under(request.url.path, "/admin"))
    # Only the problems' keys, as before: a key of the pages' (``Unauthorized``) would shadow a
    # router's handler of a wider class (Open311's ``JiefenError``).
    return {key: handler for key, handler in handlers.items() if key in PROBLEMS}
