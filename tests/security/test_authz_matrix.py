"""The authorisation matrix: every route of the real app (core API, admin, the four bundled
plugins), every method, filled with town A's real ids, asked by every role of every organisation
type of town B, by API keys and a party of town B, and by nobody. Nothing of town A may come back,
nothing of town A may change, and nothing may crash; town A's own people reach what they need."""

from __future__ import annotations

from collections import Counter
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
from tests.security.world import PLUGINS, World, snapshot

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
DENIED = {401, 403, 404}
# A request the body check turns away before anyone looks at the object: it says nothing of town A
# (the answer is checked for town A's words) and changes nothing (the snapshot is compared).
INVALID = {400, 422}


def allowed_denial(resp: httpx.Response) -> bool:
    if resp.status_code in DENIED or resp.status_code in INVALID:
        return True
    return resp.status_code in (302, 303) and resp.headers.get("location", "").startswith("/admin/login")


async def send(client: httpx.AsyncClient, world: World, who: str, route: Route, url: str, kw: dict[str, Any]) -> httpx.Response:
    headers: dict[str, str] = {}
    if who in world.sessions:
        headers = dict(world.sessions[who].headers)
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
    return [k for k in world.sessions if k.startswith("b:")] + ["anonymous", "key:b_all", "key:b_open311", "party:b"]


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


async def test_town_b_and_strangers_get_nothing_of_town_a(client: httpx.AsyncClient, world: World, routes: list[Route], synth: Synth) -> None:
    before = await snapshot(world)
    problems: list[str] = []
    tally: Counter[str] = Counter()
    for r in routes:
        public = classify(r.method, r.path)
        url, kw = url_for(r, world.ids), synth.request(r)
        for who in outsiders(world):
            if public and CAPABILITY.match(r.key) and who != "anonymous":
                continue  # the token is the authority; one stranger is enough to check for crashes
            resp = await send(client, world, who, r, url, kw)
            tally[f"{resp.status_code}"] += 1
            where = f"{r.key} as {who}: {resp.status_code}"
            if resp.status_code >= 500:
                problems.append(f"{where} (server error) {resp.text[:200]}")
                continue
            if public and not (PARTY_SESSION.match(r.key) and who == "party:b"):
                continue
            found = leaked(world, resp)
            if found:
                problems.append(f"{where} carries town A's {found}")
            elif r.object_params and not public and not allowed_denial(resp):
                problems.append(f"{where} (expected 401/403/404 or the sign-in page) {resp.text[:160]}")
    after = await snapshot(world)
    changed = [k for k in before if before[k] != after[k]]
    print(f"\nmatrix: {len(routes)} routes x {len(outsiders(world))} outsiders, answers {dict(tally)}")
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


async def test_plugin_switched_off_is_404_for_the_town(client: httpx.AsyncClient, world: World, routes: list[Route], synth: Synth) -> None:
    """With a plugin off for county A, each of its routes (API and admin) answers 404 to town A's
    people and for town A's cases."""
    from core.actors import SYSTEM
    from core.orgs.tables import PluginSwitch
    from core.plugins.switches import set_switch

    a = world.a
    nodes = [a.town.county, a.town.town, a.station, a.centre, a.association, a.court]
    insiders = [k for k in world.sessions if k.startswith("a:")]
    problems = []
    for plugin in PLUGINS:
        saved = await PluginSwitch.select(PluginSwitch.organisation, PluginSwitch.enabled).where(
            (PluginSwitch.plugin == plugin) & PluginSwitch.organisation.is_in([n["id"] for n in nodes])
        )
        for node in nodes:
            await set_switch(SYSTEM, plugin, node["id"], False)
        try:
            for r in (r for r in routes if r.plugin == plugin):
                url, kw = url_for(r, world.ids), synth.request(r)
                for who in insiders:
                    resp = await send(client, world, who, r, url, kw)
                    if resp.status_code != 404:
                        problems.append(f"{r.key} as {who}: {resp.status_code} with {plugin} off")
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
