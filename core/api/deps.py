"""Request-level plumbing: who is asking, in which language, and CSRF for cookie sessions."""

from __future__ import annotations

from typing import Any

from litestar import Request

from core.actors import Actor
from core.auth.service import actor_for_api_key, actor_for_session
from core.errors import Forbidden, Unauthorized
from core.i18n import negotiate

SESSION_COOKIE = "jiefen_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def request_locale(request: Request[Any, Any, Any], actor: Actor | None = None) -> str:
    return negotiate(
        request.query_params.get("lang"), request.cookies.get("jiefen_locale"),
        actor.locale if actor and actor.kind == "staff" else None, request.headers.get("accept-language"),
    )


async def optional_actor(request: Request[Any, Any, Any]) -> Actor | None:
    cached = request.scope.get("jiefen_actor", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    actor = await _resolve(request)
    request.scope["jiefen_actor"] = actor  # type: ignore[typeddict-unknown-key]
    return actor


async def _resolve(request: Request[Any, Any, Any]) -> Actor | None:
    auth = request.headers.get("authorization", "")
    key = request.headers.get("x-api-key") or (auth[7:].strip() if auth.lower().startswith("bearer ") else "")
    if key:
        from core.integrations.keys import enforce_rate_limit

        actor = await actor_for_api_key(key)
        await enforce_rate_limit(actor)
        return _with_locale(actor, request)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    found = await actor_for_session(token)
    if found is None:
        return None
    actor, csrf = found
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or request.scope.get("jiefen_form_csrf")  # type: ignore[call-overload]
        import hmac

        if not sent or not hmac.compare_digest(str(sent), csrf):
            raise Forbidden("The form has expired. Reload the page and try again.")
    request.scope["jiefen_csrf"] = csrf  # type: ignore[typeddict-unknown-key]
    return actor


def _with_locale(actor: Actor, request: Request[Any, Any, Any]) -> Actor:
    from dataclasses import replace

    return replace(actor, locale=request_locale(request, actor))


async def current_actor(request: Request[Any, Any, Any]) -> Actor:
    actor = await optional_actor(request)
    if actor is None:
        raise Unauthorized()
    if actor.kind == "staff":
        return _with_locale(actor, request)
    return actor
