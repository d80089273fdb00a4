"""Sign in, sign out and the language switch."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.response import Redirect

from core.actors import Actor
from core.api.auth import session_cookie
from core.api.deps import SESSION_COOKIE
from core.auth.service import authenticate, end_session, start_session
from core.auth.tables import StaffUser
from core.errors import JiefenError
from core.i18n import LOCALES, normalise
from core.ratelimit import hit
from web.deps import maybe_actor, web_actor
from web.render import page, redirect, translator

LOCALE_COOKIE = "jiefen_locale"
# Sign-in attempts per client address per minute (the lockout per user is in core.auth).
LOGIN_LIMIT_PER_MINUTE = 30


def safe_next(value: str | None) -> str:
    """Only a path inside the admin: never an open redirect, never a line break into a header."""
    if value and value.startswith("/admin") and not value.startswith("//") and "\\" not in value and value.isprintable():
        return value
    return "/admin/"


def locale_cookie(locale: str) -> Cookie:
    return Cookie(key=LOCALE_COOKIE, value=normalise(locale), path="/", samesite="lax", max_age=365 * 86400)


class AuthPages(Controller):
    path = "/"

    @get("/login", name="login")
    async def login_form(self, request: Request[Any, Any, Any]) -> Any:
        next_url = request.query_params.get("next")
        if await maybe_actor(request):
            return Redirect(safe_next(next_url))
        lang = request.query_params.get("lang")
        cookies = [locale_cookie(lang)] if lang else None  # the language chosen here stays for the sign-in
        return page(request, None, "login.html", {"next": safe_next(next_url), "username": "", "error": ""}, cookies=cookies)

    @post("/login", name="login_submit")
    async def login(self, request: Request[Any, Any, Any]) -> Any:
        form = await request.form()
        username = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        target = safe_next(str(form.get("next", "")))
        ip = request.client.host if request.client else "unknown"
        try:
            await hit("admin_login", ip, LOGIN_LIMIT_PER_MINUTE)
            user = await authenticate(username, password)
        except JiefenError as exc:
            from core.api.deps import request_locale

            _ = translator(request_locale(request))
            return page(request, None, "login.html", {"next": target, "username": username, "error": _(exc.message, **exc.params)}, status=exc.status_code)
        token, _csrf = await start_session(user["id"], ip, request.headers.get("user-agent", ""))
        secure = request.url.scheme == "https"
        response = Redirect(target, status_code=303)
        response.cookies.extend([session_cookie(token, secure), locale_cookie(user["locale"] or "zh_CN")])
        if request.headers.get("hx-request") == "true":
            return Response(b"", headers={"HX-Redirect": target}, cookies=response.cookies)
        return response

    @post("/logout", name="logout", dependencies={"actor": Provide(web_actor)})
    async def logout(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await end_session(token)
        response = Redirect("/admin/login", status_code=303)
        response.cookies.append(Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/", httponly=True, samesite="lax"))
        return response

    @post("/locale", name="set_locale", dependencies={"actor": Provide(web_actor)})
    async def set_locale(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        form = await request.form()
        locale = normalise(str(form.get("locale", "")))
        if locale not in LOCALES:
            locale = "zh_CN"
        await StaffUser.update({StaffUser.locale: locale}).where(StaffUser.id == actor.user_id)
        back = safe_next(str(form.get("next", "")) or None)
        response = redirect(request, back)
        response.cookies.append(locale_cookie(locale))
        return response
