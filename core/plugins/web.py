"""What plugins add to the web app: routes behind a per-town guard, static files, templates,
and what a plugin's admin page needs to look and behave like the admin's own (the layout with
its navigation, the user's language, the CSRF field, a flash after a plain form post)."""

from __future__ import annotations

import hashlib
import hmac
import re
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from litestar import Request, Response, Router
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.static_files import create_static_files_router
from markupsafe import Markup

from core.api.headers import admin_headers
from core.plugins.manager import PluginLoadError, collect, enabled_for_path

_env: jinja2.Environment | None = None
# The request being served (set by :func:`remember_request`), so that a plugin template rendered
# from a hook (a panel gets only ``case`` and ``actor``) still gets the user's CSRF token and
# language. A contextvar set by a middleware reaches the dependencies' tasks too.
_request_scope: ContextVar[dict[str, Any] | None] = ContextVar("jiefen_request_scope", default=None)
HOST_TEMPLATES = Path(__file__).parent / "templates"
FORM_CSRF_FIELD = "_csrf"


def route_prefixes(plugin: str) -> tuple[str, str]:
    return (f"/api/v1/plugins/{plugin}", f"/admin/plugins/{plugin}")


async def _actor_path(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The organisation path that decides for this requester; None for an anonymous one."""
    from core.api.deps import optional_actor

    actor = await optional_actor(connection)  # type: ignore[arg-type]
    if actor is None or actor.is_system:
        return None
    if actor.kind == "party":
        from core.cases.tables import Case

        case = await Case.select(Case.org_path).where(Case.id == (actor.case_id or -1)).first()
        return case["org_path"] if case else ""
    return actor.org_path


def remember_request(app: Any) -> Any:
    """ASGI middleware (the admin's router and every plugin router): remember the scope."""

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        token = _request_scope.set(scope)
        try:
            await app(scope, receive, send)
        finally:
            _request_scope.reset(token)

    return middleware


async def read_form_csrf(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """A form posted with JavaScript off carries the token in its hidden ``_csrf`` field; the
    core's check reads it from ``scope["jiefen_form_csrf"]``. Litestar caches the parsed form in
    the scope, so the handler reads it again for free."""
    scope = connection.scope
    if scope.get("type") != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS") or connection.headers.get("x-csrf-token"):
        return
    content_type = connection.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return
    token = (await Request(scope, connection.receive).form()).get(FORM_CSRF_FIELD)
    if isinstance(token, str) and token:
        scope["jiefen_form_csrf"] = token  # type: ignore[typeddict-unknown-key]


def guard_for(plugin: str) -> Any:
    async def plugin_enabled(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        # 404, not 403: where the plugin is off its pages do not exist. Anonymous requests pass;
        # the plugin's own handlers ask for a signed-in actor where they need one.
        await read_form_csrf(connection)  # before the actor is resolved (and the CSRF checked)
        path = await _actor_path(connection)
        if path is not None and not await enabled_for_path(plugin, path):
            raise NotFoundException()
        actor = connection.scope.get("jiefen_actor")  # type: ignore[call-overload]
        if actor is not None and actor.kind == "api_key":
            # A key reaches a plugin only when given it ("plugins:<name>" or "*"): a hotline's
            # intake key must not act as a mediator in the plugins' flows.
            from core.auth.service import require_scope

            require_scope(actor, f"plugins:{plugin}")

    plugin_enabled.__name__ = f"plugin_enabled_{plugin}"
    return plugin_enabled


def plugin_routers() -> list[Router]:
    """One router per plugin with routes, carrying its guard; paths must sit under its prefixes."""
    routers = []
    for plugin, handlers in collect("register_routes"):
        if not handlers:
            continue
        router = Router(
            path="/", route_handlers=list(handlers), guards=[guard_for(plugin)], tags=[f"plugin:{plugin}"],
            middleware=[remember_request, admin_headers(route_prefixes(plugin)[1])], exception_handlers=error_handlers(plugin),
        )
        prefixes = route_prefixes(plugin)
        for route in router.routes:
            if not any(route.path == p or route.path.startswith(p + "/") for p in prefixes):
                raise PluginLoadError(
                    f"Jiefen cannot start: plugin {plugin} serves {route.path}; "
                    f"its routes must sit under {prefixes[0]}/ or {prefixes[1]}/"
                )
        routers.append(router)
    return routers


def wants_page(request: Request[Any, Any, Any], plugin: str) -> bool:
    """Whether an error on this request is answered as the admin's own pages answer it (an
    HTML page, or for HTMX the notice fragment) rather than as an RFC 9457 problem: only under
    the plugin's admin prefix, and there when the route serves HTML or the client asks for it
    (a browser's Accept, an HTMX request). The plugin's API keeps its JSON problems."""
    admin = route_prefixes(plugin)[1]
    path = request.url.path
    if not (path == admin or path.startswith(admin + "/")):
        return False
    if is_htmx(request) or "text/html" in request.headers.get("accept", ""):
        return True
    media = getattr(request.scope.get("route_handler"), "media_type", None) or ""
    return str(getattr(media, "value", media)).startswith("text/html")  # MediaType.HTML or a str


def error_handlers(plugin: str) -> dict[Any, Any]:
    """The plugin router's exception handlers: each picks, per request (:func:`wants_page`),
    the admin's error pages (``web.deps``, a plugin's message through its own catalogue) or the
    API's problems."""
    from core.errors import JiefenError
    from web import deps

    def plugin_error(request: Request[Any, Any, Any], exc: JiefenError) -> Response[Any]:
        from core.plugins.host import translator

        message = translator(plugin, deps.page_locale(request))(exc.message, **exc.params)
        return deps.error_page(request, exc.status_code, message)

    return deps.pages_or_problems({**deps.EXCEPTION_HANDLERS, JiefenError: plugin_error}, lambda request: wants_page(request, plugin))


def static_routers() -> list[Router]:
    """``/static/plugins/<name>/<sub-prefix>/`` for each directory a plugin declares."""
    # Not behind the per-town guard, on purpose: these are stylesheets, scripts and icons the
    # same for every town, never a town's data, and browsers fetch them without the session
    # the guard would need. A town that has the plugin off can fetch a stylesheet; nothing more.
    routers = []
    for plugin, dirs in collect("static_dirs"):
        for prefix, directory in (dirs or {}).items():
            sub = str(prefix).strip("/")
            path = f"/static/plugins/{plugin}" + (f"/{sub}" if sub else "")
            routers.append(
                create_static_files_router(path=path, directories=[Path(directory)], name=f"static:{plugin}:{sub}")
            )
    return routers


def template_dirs() -> list[Path]:
    """Every plugin's template directories, latest-registered plugin first."""
    found: list[Path] = []
    for _plugin, dirs in reversed(collect("template_dirs")):
        found.extend(Path(d) for d in dirs or [])
    return found


def environment() -> jinja2.Environment:
    """An autoescaping Jinja environment over the plugins' template directories, then the
    host's (``plugin/page.html``, the shared page shell) and the admin's (``base.html``)."""
    global _env
    if _env is None:
        from web import TEMPLATE_DIR

        dirs = [*template_dirs(), HOST_TEMPLATES, TEMPLATE_DIR]
        _env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
            autoescape=True, undefined=jinja2.StrictUndefined,
        )
    return _env


def request_defaults(plugin: str) -> dict[str, Any]:
    """What every plugin template gets unless the caller passes it: the user's ``locale``,
    ``_()`` through the plugin's own catalogue, ``csrf`` and ``csrf_field()`` (the hidden
    ``_csrf`` input a plain form needs)."""
    from core.plugins.host import translator

    scope = _request_scope.get() or {}
    actor = scope.get("jiefen_actor")
    locale = getattr(actor, "locale", None) or "zh_CN"
    csrf = str(scope.get("jiefen_csrf", "") or "")

    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="{}" value="{}">').format(FORM_CSRF_FIELD, csrf)

    return {"locale": locale, "_": translator(plugin, locale), "csrf": csrf, "csrf_field": csrf_field}


def render_template(name: str, /, **context: Any) -> str:
    """Render a plugin template (``<plugin>/panel.html``) to a string, autoescaped, with
    :func:`request_defaults` for the plugin the template's folder names."""
    plugin = name.split("/", 1)[0]
    return environment().get_template(name).render(**{**request_defaults(plugin), **context})


# ---------------------------------------------------------------- pages and plain forms


async def page(request: Request[Any, Any, Any], actor: Any, template: str, /, *, status: int = 200, **context: Any) -> Response[str]:
    """A whole admin page from a plugin template that extends ``plugin/page.html``: the admin's
    layout, its navigation (with the plugins' entries), language switch and flash."""
    from core.plugins.ui import admin_nav
    from web.render import VARY, base_context

    request.scope["jiefen_plugin_nav"] = await admin_nav(actor)  # type: ignore[typeddict-unknown-key]
    plugin = template.split("/", 1)[0]
    ctx = {**base_context(request, actor), **request_defaults(plugin), "plugin": plugin, **context}
    html = environment().get_template(template).render(**ctx)
    return Response(html, status_code=status, media_type="text/html", headers=dict(VARY))


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


async def form_values(request: Request[Any, Any, Any]) -> dict[str, str]:
    """A posted form's text fields, stripped (last value wins; files and ``_csrf`` left out)."""
    form = await request.form()
    return {k: str(v).strip() for k, v in form.items() if isinstance(v, str) and k != FORM_CSRF_FIELD}


# Ids, counts and minutes sit in 32-bit columns on PostgreSQL; a number past them is bad input.
_WHOLE = re.compile(r"-?[0-9]{1,10}")
_INT_MAX = 2**31 - 1


def form_int(value: Any) -> int | None:
    """A whole number typed or chosen in a form, None when blank. Anything else (letters, a
    superscript "²" that ``isdigit()`` takes and ``int()`` refuses, a number past what the
    database holds) is the user's to fix: ``ValidationFailed`` (422, in their language), never
    a bare ``int()``'s ValueError (a 500)."""
    from core.errors import ValidationFailed

    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if not _WHOLE.fullmatch(text) or abs(int(text)) > _INT_MAX:
        raise ValidationFailed("Please enter a whole number.")
    return int(text)


def _flash_sig(text: str, kind: str) -> str:
    from core.settings import get_settings

    key = get_settings().secret_key.encode()
    return hmac.new(key, f"flash:{kind}:{text}".encode(), hashlib.sha256).hexdigest()[:32]


def flash_url(url: str, text: str, kind: str = "ok", anchor: str = "") -> str:
    """``url`` carrying a signed flash message (the admin shows it once, and only if the
    signature holds: a link cannot make the page say something we did not)."""
    query = urlencode({"flash": text, "flash_kind": kind, "flash_sig": _flash_sig(text, kind)})
    return f"{url}{'&' if '?' in url else '?'}{query}" + (f"#{anchor}" if anchor else "")


def read_flash(query: Any) -> dict[str, str] | None:
    text, kind, sig = query.get("flash") or "", query.get("flash_kind") or "ok", query.get("flash_sig") or ""
    if not text or kind not in ("ok", "error") or not hmac.compare_digest(sig, _flash_sig(text, kind)):
        return None
    return {"text": text, "kind": kind}


async def form_result(
    request: Request[Any, Any, Any], actor: Any, html: str, *, case_id: int | None = None, back: str = "",
    done: str = "", error: str = "", status: int = 200, anchor: str = "",
) -> Response[str]:
    """The answer to a form a plugin puts on a page. HTMX swaps ``html`` (the fresh fragment)
    in. A plain post (JavaScript off) goes back to the page it came from (``back``, or the case
    page) with ``done`` as a flash; on ``error`` the fragment is shown on a page of its own, the
    error inline and the user's input kept, with a link back."""
    if is_htmx(request):
        return Response(html, status_code=status, media_type="text/html")
    back = back or (f"/admin/cases/{case_id}" if case_id is not None else "/admin/cases")
    if error:
        return await page(request, actor, "plugin/form.html", status=status if status >= 400 else 400,
                          fragment_html=Markup(html), back=back, error=error)
    from litestar.response import Redirect

    return Redirect(flash_url(back, done, "ok", anchor) if done else back, status_code=303)  # type: ignore[return-value]


def forget() -> None:
    global _env
    _env = None
