"""CSRF: every unsafe admin route (core and plugins) and every unsafe staff API route refuses a
signed-in cookie without the session's token, or with a wrong one, and changes nothing; with
the right token the refusal is never the CSRF one. API keys carry no cookie and need no token."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core.auth.service import start_session
from tests.security.routes import UNSAFE, Route, Synth, all_routes, classify, url_for
from tests.security.world import World, snapshot

pytestmark = [pytest.mark.db, pytest.mark.slow]

EXPIRED = ("页面已过期", "The form has expired")
# Sign-in itself has no session yet (login CSRF is blunted by SameSite=Lax and the fresh session).
# Open311 takes only an API key (a cookie alone is 401 there), so there is no cookie to forge with.
EXEMPT = {"POST /admin/login", "POST /api/v1/auth/login", "POST /open311/v2/requests.json"}


async def totals() -> dict[str, int]:
    from core.agreements.tables import AgreementSignature
    from core.auth.tables import ApiKey, StaffSession, StaffUser
    from core.cases.tables import Case, CaseEvent, Evidence, Party
    from core.integrations.tables import Integration
    from core.orgs.tables import Organisation, PluginSwitch
    from core.roster.tables import Mediator

    tables = (Case, CaseEvent, Party, Evidence, AgreementSignature, StaffUser, ApiKey, Integration, Organisation, PluginSwitch, Mediator)
    out = {t._meta.tablename: await t.count() for t in tables}
    out["ended_sessions"] = await StaffSession.count().where(StaffSession.ended_at.is_not_null())
    return out


def unsafe_staff_routes(app: Any) -> list[Route]:
    return [r for r in all_routes(app) if r.method in UNSAFE and not classify(r.method, r.path) and r.key not in EXEMPT]


async def test_unsafe_routes_refuse_a_cookie_without_the_token(client: httpx.AsyncClient, app: Any, world: World) -> None:
    routes = unsafe_staff_routes(app)
    synth = Synth(app.openapi_schema.to_schema(), world.ids)
    user = world.a.admin
    token, csrf = await start_session(user["id"], "127.0.0.1", "csrf-test")
    cookie = {"Cookie": f"jiefen_session={token}"}
    before, counted = await snapshot(world), await totals()
    problems = []
    for r in routes:
        url, kw = url_for(r, world.ids), synth.request(r)
        for label, extra in (("no token", {}), ("wrong token", {"X-CSRF-Token": csrf[::-1]})):
            client.cookies.clear()
            resp = await client.request(r.method, url, headers={**cookie, **extra}, **kw)
            if resp.status_code != 403:
                problems.append(f"{r.key} ({label}): {resp.status_code} {resp.text[:120]}")
        if r.is_admin and "data" in kw:
            # A plain form (JavaScript off) carries the token in _csrf: a wrong one is refused too.
            client.cookies.clear()
            resp = await client.request(r.method, url, headers=cookie, **{**kw, "data": {**kw["data"], "_csrf": "forged"}})
            if resp.status_code != 403:
                problems.append(f"{r.key} (forged _csrf field): {resp.status_code}")
    assert not problems, f"{len(problems)} unsafe routes without CSRF protection:\n" + "\n".join(problems)
    assert await snapshot(world) == before
    assert await totals() == counted
    print(f"\ncsrf: {len(routes)} unsafe routes x 2 (+ admin forms with a forged _csrf), all refused, nothing changed")


async def test_api_keys_need_no_csrf_token_and_cookies_do(client: httpx.AsyncClient, world: World) -> None:
    from tests.factories import application

    body = application(world.a.town)
    client.cookies.clear()
    by_key = await client.post("/api/v1/cases", json=body, headers={"Authorization": f"Bearer {world.keys['a_all']}"})
    assert by_key.status_code == 201, by_key.text
    from tests.factories import make_user

    desk = await make_user(world.a.town.town, ["window_staff"], "CSRF 窗口")
    token, _csrf = await start_session(desk["id"])
    client.cookies.clear()
    by_cookie = await client.post("/api/v1/cases", json=body, headers={"Cookie": f"jiefen_session={token}"})
    assert by_cookie.status_code == 403 and by_cookie.json()["code"] == "forbidden"
    # A key and a cookie together: the key decides, the cookie's session is not used.
    client.cookies.clear()
    both = await client.get("/api/v1/auth/me", headers={"Cookie": f"jiefen_session={token}", "Authorization": f"Bearer {world.keys['a_all']}"})
    assert both.json()["kind"] == "api_key"


async def test_the_right_token_is_not_refused_as_csrf(client: httpx.AsyncClient, app: Any, world: World) -> None:
    routes = unsafe_staff_routes(app)
    synth = Synth(app.openapi_schema.to_schema(), world.ids)
    refused = []
    for r in routes:
        # A fresh session each time: some of these routes sign out or change the user.
        token, csrf = await start_session(world.a.admin["id"], "127.0.0.1", "csrf-test")
        client.cookies.clear()
        resp = await client.request(r.method, url_for(r, world.ids), headers={"Cookie": f"jiefen_session={token}", "X-CSRF-Token": csrf}, **synth.request(r))
        if resp.status_code == 403 and any(m in resp.text for m in EXPIRED):
            refused.append(f"{r.key}: refused as CSRF with the right token")
    assert not refused, "\n".join(refused)
