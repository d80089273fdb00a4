"""The authorisation matrix: every route of the real app (core API, admin, the four bundled
plugins), every method, filled with town A's real ids, asked by every role of every organisation
type of town B, by API keys and a party of town B, and by nobody. Nothing of town A may come back,
nothing of town A may change, and nothing may crash; town A's own people reach what they need."""

from __future__ import annotations

import asyncio
import re
from collections import Counter, defaultdict
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx
import pytest

from tests.security.routes import (
    CAPABILITY,
    PARTY_SESSION,
    Route,
    Synth,
    all_routes,
    classify,
    url_for,
)
from tests.security.world import PLUGINS, World, login, snapshot

pytestmark = [pytest.mark.db, pytest.mark.slow]

# Staff routes without a path id (lists, dashboards, creation in one's own organisation): for these
# a success is allowed, as long as nothing of town A is in it and nothing of town A changes. Every
# such route is listed on purpose: a looser rule is opted into, never inherited by a new route.
COLLECTIONS: dict[str, str] = {
    "GET /admin": "the signed-in user's home", "GET /admin/cases": "own subtree's cases",
    "GET /admin/dashboard": "own subtree's dashboard", "GET /admin/intake": "the intake form",
    "POST /admin/intake": "intake into own organisation", "GET /admin/intake/duplicates": "duplicates within own subtree",
    "POST /admin/locale": "own language", "POST /admin/logout": "own session",
    "GET /admin/manage": "management index", "GET /admin/manage/deadlines": "own rules", "GET /admin/manage/orgs": "own subtree",
    "POST /admin/manage/orgs": "an organisation under one's own", "GET /admin/manage/plugins": "own switches",
    "POST /admin/manage/plugins": "a switch in own subtree", "GET /admin/manage/roster": "own roster",
    "POST /admin/manage/roster": "a mediator in own subtree", "GET /admin/manage/types": "dispute types",
    "POST /admin/manage/types": "a dispute type", "GET /admin/manage/users": "own subtree's users",
    "POST /admin/manage/users": "a user in own subtree",
    "GET /admin/plugins/industry_assoc/inbox": "own association's transfers", "GET /admin/plugins/industry_assoc/stats": "own figures",
    "GET /admin/plugins/judicial_confirm/court": "own court's applications", "GET /admin/plugins/legal_aid/centre": "own centre's hand-offs",
    "GET /admin/plugins/psych/queue": "own referrals",
    "GET /admin/manage/keys": "own keys", "POST /admin/manage/keys": "a key in own subtree",
    "GET /admin/manage/webhooks": "own integrations", "POST /admin/manage/deadlines": "a rule in own subtree",
    "GET /admin/dashboard/reports/{slug:str}": "a report kind of one's own organisation",
    "GET /admin/dashboard/reports/{slug:str}/export/{fmt:str}": "the same, exported",
    "POST /admin/dashboard/reports/{slug:str}/keep": "keep one's own organisation's report",
    "GET /api/v1/auth/me": "oneself", "POST /api/v1/auth/logout": "own session",
    "GET /api/v1/cases": "own subtree's cases", "POST /api/v1/cases": "intake into own organisation",
    "GET /api/v1/deadline-policies": "rules of an organisation (query)", "PUT /api/v1/deadline-policies": "a rule (body names the organisation)",
    "GET /api/v1/deadline-policies/effective": "policies of an organisation (query)",
    "GET /api/v1/integrations": "own integrations", "POST /api/v1/integrations": "an integration (body names the organisation)",
    "GET /api/v1/integrations/keys": "own keys", "POST /api/v1/integrations/keys": "a key (body names the organisation)",
    "GET /api/v1/notifications": "own inbox", "POST /api/v1/notifications/read": "own inbox", "PUT /api/v1/notifications/contact": "own contact",
    "GET /api/v1/plugins/deliveries": "own subtree's deliveries", "POST /api/v1/plugins/deliveries/retry": "own subtree's deliveries",
    "GET /api/v1/plugins/switches": "own switches", "PUT /api/v1/plugins/switches": "a switch (body names the organisation)",
    "GET /api/v1/plugins/widgets": "widgets of an organisation (query)",
    "GET /api/v1/plugins/industry_assoc/associations": "associations covering own area", "POST /api/v1/plugins/industry_assoc/associations": "register (body names the organisation)",
    "GET /api/v1/plugins/industry_assoc/stats": "own figures", "GET /api/v1/plugins/industry_assoc/transfers": "own transfers",
    "GET /api/v1/plugins/judicial_confirm/applications": "own court's applications",
    "GET /api/v1/plugins/judicial_confirm/courts": "own area's courts", "PUT /api/v1/plugins/judicial_confirm/courts": "a court for an area (body)",
    "GET /api/v1/plugins/legal_aid/centre/handoffs": "own centre's hand-offs",
    "GET /api/v1/plugins/psych/counsellors": "own pool", "POST /api/v1/plugins/psych/counsellors": "a counsellor (body names the station)",
    "GET /api/v1/plugins/psych/queue": "own referrals",
    "GET /api/v1/reports": "reports of an organisation (query)", "POST /api/v1/reports/compute": "a report (body names the organisation)",
    "GET /api/v1/reports/deadlines": "deadlines of an organisation (query)", "GET /api/v1/reports/live": "figures of an organisation (query)",
    "GET /open311/v2/requests.json": "own key's requests", "POST /open311/v2/requests.json": "intake by key into its organisation",
}
# Object routes that no town-A role reaches with a plain GET of the world as built, and why.
NOT_REACHED: dict[str, str] = {
    "GET /api/v1/party/case/sessions/{session_id:int}/ics": "party route (session of town B's party)",
    "GET /api/v1/plugins/judicial_confirm/applications/{application_id:int}/ruling.pdf": "exists once the court has ruled",
}
# Object routes where an outsider's success is harmless, with the one answer allowed and why.
# First met when the matrix stopped signing its outsiders out halfway (see SIGN_OUT). Switching a
# dispute type was listed here until only the owning organisation's admins (or the root's) could.
HARMLESS: dict[str, tuple[str, str]] = {
    "POST /api/v1/notifications/{notification_id:int}/read": ('{"marked":0}', "marks only the caller's own inbox"),
}
DENIED = {401, 403, 404}
# A request the body check turns away before anyone looks at the object: it says nothing of town A
# (the answer is checked for town A's words) and changes nothing (the snapshot is compared).
INVALID = {400, 422}


def allowed_denial(resp: httpx.Response) -> bool:
    if resp.status_code in DENIED or resp.status_code in INVALID:
        return True
    return resp.status_code in (302, 303) and resp.headers.get("location", "").startswith("/admin/login")


# Outsider requests in flight at once. The app is in-process, so this overlaps one request's
# database waits with another's Python; on SQLite writes still queue on core.db's writer lock
# (BEGIN IMMEDIATE), and 8 requests hold at most 16 of the PostgreSQL pool's 20 connections.
CONCURRENCY = 8
# Routes that end the caller's own sign-in. They run after every other route, each with a fresh
# session, so that no outsider is signed out while the rest of the matrix is still being sent.
SIGN_OUT = ("POST /admin/logout", "POST /api/v1/auth/logout", "DELETE /api/v1/party/session")
# Public routes whose answer is the same bytes whoever asks: Litestar renders the OpenAPI document
# and its viewers from the route table, never from the caller (the YAML takes seconds each time).
# They get one caller of each kind (nobody, a staff session, a key, a party) instead of one per
# role, and the answers must be identical: should one ever depend on the caller, this fails and
# the route goes back to the full set of outsiders.
CALLER_BLIND = re.compile(r"^GET /schema(/.*)?$")
ONE_OF_EACH_KIND = ("anonymous", "b:window_staff", "key:b_all", "party:b")


async def send(client: httpx.AsyncClient, world: World, who: str, route: Route, url: str, kw: dict[str, Any],
               sessions: dict[str, Any] | None = None) -> httpx.Response:
    headers: dict[str, str] = {}
    sessions = world.sessions if sessions is None else sessions
    if who in sessions:
        headers = dict(sessions[who].headers)
    elif who.startswith("key:"):
        headers = {"Authorization": f"Bearer {world.keys[who[4:]]}"}
    elif who == "party:b":
        headers = {"Authorization": f"Bearer {world.party_b['session_token']}"}
    client.cookies.clear()
    return await client.request(route.method, url, headers=headers, follow_redirects=False, **kw)


def leaked(world: World, resp: httpx.Response) -> list[str]:
    text = resp.text if "pdf" not in resp.headers.get("content-type", "") else resp.content.decode("latin-1")
    return [m for m in world.markers if m in text]


@pytest.fixture(scope="module")
def routes(app: Any) -> list[Route]:
    return all_routes(app)


@pytest.fixture(scope="module")
def synth(app: Any, world: World) -> Synth:
    return Synth(app.openapi_schema.to_schema(), world.ids)


def outsiders(world: World) -> list[str]:
    """Every town-B person, one per (organisation type, role set): no two of the 14 share both
    (village staff vs grid worker differ in roles, committee vs association mediator in the
    organisation type, county admin vs county supervisor in roles), and access is decided by
    exactly those two and the subtree, so none can be dropped as a duplicate of another. Plus
    the other kinds of caller: a key with every scope, a key with one scope, a party, nobody."""
    return [k for k in world.sessions if k.startswith("b:")] + ["anonymous", "key:b_all", "key:b_open311", "party:b"]


def no_cookie_client(app: Any) -> httpx.AsyncClient:
    """A client whose jar keeps nothing: with requests side by side, one answer's Set-Cookie must
    not ride along on another outsider's request (each carries its credentials in its headers)."""
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", cookies=jar)


async def still_signed_in(client: httpx.AsyncClient, world: World, who: str) -> bool:
    """The outsider's credentials still work (so its refusals were not just those of nobody)."""
    if who == "anonymous":
        return True
    url = "/api/v1/party/case" if who == "party:b" else "/api/v1/auth/me"
    resp = await send(client, world, who, Route("GET", url, "", None, True), url, {})
    return resp.status_code == 200


async def test_every_route_is_classified(routes: list[Route], synth: Synth) -> None:
    """A staff route without a path id must be listed in COLLECTIONS; a path parameter the
    suite cannot fill fails here, naming the route."""
    problems = []
    for r in routes:
        if classify(r.method, r.path) is None and not r.object_params and r.key not in COLLECTIONS:
            problems.append(f"{r.key}: classify it — add it to routes.PUBLIC (with the reason it is public) or to COLLECTIONS in {__name__}")
        try:
            url_for(r, synth.ids)
        except KeyError as exc:
            problems.append(f"{r.key}: the suite has no town-A value for path parameter {exc}; add one in routes.path_values")
    for stale in sorted(set(COLLECTIONS) - {r.key for r in routes}):
        problems.append(f"{stale}: listed in COLLECTIONS but the app has no such route")
    assert not problems, "\n".join(problems)
    assert len(routes) > 250 and {r.plugin for r in routes} >= set(PLUGINS)


async def test_town_b_and_strangers_get_nothing_of_town_a(app: Any, client: httpx.AsyncClient, world: World, routes: list[Route], synth: Synth) -> None:
    before = await snapshot(world)
    problems: list[str] = []
    tally: Counter[str] = Counter()
    everyone = outsiders(world)
    assert set(ONE_OF_EACH_KIND) <= set(everyone)

    def plan(rs: list[Route]) -> list[tuple[Route, str, str, dict[str, Any]]]:
        out = []
        for r in rs:
            url, kw = url_for(r, world.ids), synth.request(r)
            for who in everyone:
                if classify(r.method, r.path) and CAPABILITY.match(r.key) and who != "anonymous":
                    continue  # the token is the authority; one stranger is enough to check for crashes
                if CALLER_BLIND.match(r.key) and who not in ONE_OF_EACH_KIND:
                    continue
                out.append((r, who, url, kw))
        return out

    blind: dict[str, set[tuple[int, bytes]]] = defaultdict(set)

    def judge(r: Route, who: str, resp: httpx.Response) -> None:
        public = classify(r.method, r.path)
        tally[f"{resp.status_code}"] += 1
        if CALLER_BLIND.match(r.key):
            blind[r.key].add((resp.status_code, resp.content))
        where = f"{r.key} as {who}: {resp.status_code}"
        if resp.status_code >= 500:
            problems.append(f"{where} (server error) {resp.text[:200]}")
            return
        if public and not (PARTY_SESSION.match(r.key) and who == "party:b"):
            return
        found = leaked(world, resp)
        if found:
            problems.append(f"{where} carries town A's {found}")
        elif r.key in HARMLESS and HARMLESS[r.key][0] in (resp.text, resp.headers.get("location")) and resp.status_code < 400:
            return
        elif r.object_params and not public and not allowed_denial(resp):
            problems.append(f"{where} (expected 401/403/404 or the sign-in page) {resp.text[:160]}")

    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(bare: httpx.AsyncClient, r: Route, who: str, url: str, kw: dict[str, Any]) -> None:
        async with gate:
            judge(r, who, await send(bare, world, who, r, url, kw))

    async with no_cookie_client(app) as bare:
        await asyncio.gather(*(one(bare, *job) for job in plan([r for r in routes if r.key not in SIGN_OUT])))
        signed_out = [who for who in everyone if not await still_signed_in(bare, world, who)]
        assert not signed_out, f"outsiders signed out before the matrix ended (their later answers prove nothing): {signed_out}"
        # Signing out last, one at a time, each staff outsider with a fresh session of its own.
        for r, who, url, kw in plan([r for r in routes if r.key in SIGN_OUT]):
            fresh = {who: await login(client, world.sessions[who].user)} if who in world.sessions else {}
            judge(r, who, await send(bare, world, who, r, url, kw, fresh or None))
    after = await snapshot(world)
    changed = [k for k in before if before[k] != after[k]]
    print(f"\nmatrix: {len(routes)} routes x {len(everyone)} outsiders, answers {dict(tally)}")
    assert sum(tally.values()) == len(plan(routes))
    assert blind and all(len(answers) == 1 for answers in blind.values()), {k: len(v) for k, v in blind.items()}
    assert not changed, f"town A changed under outsiders' requests: {changed}"
    assert not problems, f"{len(problems)} holes:\n" + "\n".join(problems)


async def test_town_a_reaches_its_own_objects(client: httpx.AsyncClient, world: World, routes: list[Route], synth: Synth) -> None:
    """The matrix is not vacuous: every object read is open to some role of town A."""
    insiders = [k for k in world.sessions if k.startswith("a:")] + ["key:a_all"]
    unreached = []
    for r in routes:
        if r.method != "GET" or not r.object_params or classify(r.method, r.path) or r.key in NOT_REACHED:
            continue
        url, kw = url_for(r, world.ids), synth.request(r)
        statuses = []
        for who in insiders:
            resp = await send(client, world, who, r, url, kw)
            statuses.append(resp.status_code)
            if resp.status_code == 200:
                break
        else:
            unreached.append(f"{r.key}: no town-A role gets 200 ({Counter(statuses)})")
    assert not unreached, "\n".join(unreached)


async def test_plugin_switched_off_is_404_for_the_town(app: Any, client: httpx.AsyncClient, world: World, routes: list[Route], synth: Synth) -> None:
    """With a plugin off for county A, each of its routes (API and admin) answers 404 to town A's
    people and for town A's cases."""
    from core.actors import SYSTEM
    from core.orgs.tables import PluginSwitch
    from core.plugins.switches import set_switch

    a = world.a
    nodes = [a.town.county, a.town.town, a.station, a.centre, a.association, a.court]
    insiders = [k for k in world.sessions if k.startswith("a:")]
    problems = []
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(bare: httpx.AsyncClient, r: Route, who: str, plugin: str) -> None:
        async with gate:
            resp = await send(bare, world, who, r, url_for(r, world.ids), synth.request(r))
        if resp.status_code != 404:
            problems.append(f"{r.key} as {who}: {resp.status_code} with {plugin} off")

    for plugin in PLUGINS:
        saved = await PluginSwitch.select(PluginSwitch.organisation, PluginSwitch.enabled).where(
            (PluginSwitch.plugin == plugin) & PluginSwitch.organisation.is_in([n["id"] for n in nodes])
        )
        for node in nodes:
            await set_switch(SYSTEM, plugin, node["id"], False)
        try:
            async with no_cookie_client(app) as bare:
                await asyncio.gather(*(one(bare, r, who, plugin) for r in routes if r.plugin == plugin for who in insiders))
        finally:
            for node in nodes:
                await set_switch(SYSTEM, plugin, node["id"], None)
            for row in saved:
                await set_switch(SYSTEM, plugin, row["organisation"], row["enabled"])
    assert not problems, "\n".join(problems)


async def test_api_keys_keep_to_their_town_and_scopes(client: httpx.AsyncClient, world: World, routes: list[Route], synth: Synth) -> None:
    """Town A's own key with only ``open311:create`` may do nothing else; with ``cases:read`` it
    reads its town's case but not another's."""
    admin = world.sessions["a:town_admin"]
    t = world.a.town
    made = {}
    for name, scopes in (("narrow", ["open311:create"]), ("reader", ["cases:read"])):
        resp = await admin.post("/api/v1/integrations/keys", json={
            "name": name, "organisation_id": t.town["id"], "scopes": scopes, "roles": ["window_staff", "mediator"], "rate_limit_per_minute": 100000})
        assert resp.status_code == 201, resp.text
        made[name] = resp.json()["key"]
    world.keys.update(a_narrow=made["narrow"], a_reader=made["reader"])
    case = world.ids["case_id"]
    reader = {"Authorization": f"Bearer {made['reader']}"}
    assert (await client.get(f"/api/v1/cases/{case}", headers=reader)).status_code == 200
    assert (await client.get(f"/api/v1/cases/{world.ids['b_case']}", headers=reader)).status_code == 404
    assert (await client.post(f"/api/v1/cases/{case}/actions/note", headers=reader, json={"text": "x"})).status_code == 403

    before = await snapshot(world)
    problems = []
    for r in routes:
        if classify(r.method, r.path) or r.key in ("POST /open311/v2/requests.json", "GET /api/v1/auth/me", "POST /api/v1/auth/logout"):
            continue
        resp = await send(client, world, "key:a_narrow", r, url_for(r, world.ids), synth.request(r))
        if resp.status_code >= 500 or (resp.status_code < 300 and not (r.method == "GET" and not r.params and resp.text in ("[]", '{"items":[]}'))):
            problems.append(f"{r.key}: {resp.status_code} for a key scoped to open311:create {resp.text[:120]}")
    after = await snapshot(world)
    assert not problems, "\n".join(problems)
    assert before == after
