"""Staff sign-in for the API and the admin: a session cookie plus a CSRF token."""

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from core.actors import Actor
from core.api.deps import SESSION_COOKIE, current_actor
from core.api.responses import Me, Ok, SignedIn
from core.auth.service import authenticate, end_session, start_session
from core.ratelimit import hit
from core.settings import get_settings


class Login(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    password: str


def session_cookie(token: str, secure: bool = False) -> Cookie:
    # Behind a TLS-terminating proxy the request looks like http: the public address decides too.
    secure = secure or get_settings().base_url.startswith("https://")
    return Cookie(key=SESSION_COOKIE, value=token, httponly=True, samesite="lax", path="/", secure=secure)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/login", summary="Sign in; sets an HttpOnly session cookie and returns the CSRF token", status_code=200)
    async def login(self, data: JSONBody[Login], request: Request[Any, Any, Any]) -> Response[SignedIn]:
        ident = request.client.host if request.client else "unknown"
        await hit("login", ident, 30)
        user = await authenticate(data.username, data.password)
        token, csrf = await start_session(user["id"], ident, request.headers.get("user-agent", ""))
        body = {"user_id": user["id"], "display_name": user["display_name"], "csrf_token": csrf}
        return Response(body, cookies=[session_cookie(token, request.url.scheme == "https")])

    @post("/logout", summary="Sign out", status_code=200, dependencies={"actor": Provide(current_actor)})
    async def logout(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Response[Ok]:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await end_session(token)
        return Response({"ok": True}, cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")])

    @get("/me", summary="Who am I", dependencies={"actor": Provide(current_actor)})
    async def me(self, actor: NamedDependency[Actor]) -> Me:
        return {"kind": actor.kind, "user_id": actor.user_id, "name": actor.name, "roles": sorted(actor.roles), "organisation_id": actor.org_id, "locale": actor.locale}
