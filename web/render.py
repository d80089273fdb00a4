"""Rendering pages and fragments: one template per page, named blocks for the regions that
swap. An HTMX request names its target; we render just that block."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request, Response
from litestar.response import Redirect

from core.actors import Actor
from core.api.deps import request_locale
from core.i18n import gettext, label
from core.plugins.web import read_flash
from web.nav import nav_for

VARY = {"Vary": "HX-Request"}


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def hx_target(request: Request[Any, Any, Any]) -> str:
    return request.headers.get("hx-target", "") if is_htmx(request) else ""


def translator(locale: str) -> Any:
    def _(message: str, **params: Any) -> str:
        return gettext(message, locale, **params)

    return _


def base_context(request: Request[Any, Any, Any], actor: Actor | None) -> dict[str, Any]:
    locale = actor.locale if actor else request_locale(request)

    def lab(kind: str, code: str | None) -> str:
        return label(kind, code, locale)

    return {
        "actor": actor, "locale": locale, "_": translator(locale), "label": lab,
        "csrf": request.scope.get("jiefen_csrf", ""),  # type: ignore[call-overload]
        "nav": nav_for(actor, request.scope.get("jiefen_plugin_nav")) if actor else [],  # type: ignore[call-overload]
        "path": request.url.path, "flash": read_flash(request.query_params),
        "has_role": lambda *roles: bool(actor and actor.has_any(frozenset(roles))),
        "now": datetime.now(UTC), "time_left": lambda due: time_left(due, locale),
    }


def page(
    request: Request[Any, Any, Any], actor: Actor | None, template: str, context: dict[str, Any], *,
    block: str | None = None, blocks: list[str] | None = None, status: int = 200,
    headers: dict[str, str] | None = None, cookies: list[Any] | None = None,
) -> HTMXBlockTemplate:
    """The whole page, or only ``block`` (or ``blocks``) when an HTMX request asks for it."""
    ctx = {**base_context(request, actor), **context}
    return HTMXBlockTemplate(
        template_name=template, context=ctx, block_name=block, block_names=blocks, status_code=status,
        headers={**VARY, **(headers or {})}, media_type="text/html", cookies=cookies or [],
    )


def redirect(request: Request[Any, Any, Any], url: str) -> Response[Any]:
    """After a POST: 303 for a plain form, ``HX-Location`` (a client-side navigation) for HTMX."""
    if is_htmx(request):
        return Response(b"", status_code=200, headers={"HX-Location": url, **VARY})
    return Redirect(url, status_code=303)


def time_left(due: datetime | None, locale: str) -> dict[str, Any]:
    """``{"text": "还剩 2 天 3 小时", "overdue": False, "soon": True}`` for a due moment."""
    _ = translator(locale)
    if not due:
        return {"text": "", "overdue": False, "soon": False}
    due = due if due.tzinfo else due.replace(tzinfo=UTC)
    seconds = int((due - datetime.now(UTC)).total_seconds())
    overdue = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        span = _("{days} d {hours} h", days=days, hours=hours)
    elif hours:
        span = _("{hours} h {minutes} min", hours=hours, minutes=minutes)
    else:
        span = _("{minutes} min", minutes=max(minutes, 1))
    text = _("{span} overdue", span=span) if overdue else _("{span} left", span=span)
    return {"text": text, "overdue": overdue, "soon": not overdue and seconds < 86400}
