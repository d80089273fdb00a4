"""Deadline policies, notifications, plugin switches and deliveries check an API key's scope per
route, like the rest of the API: a key without the route's scope is refused naming it, before
anything is looked up; with it, the area's own checks still decide."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import make_user

pytestmark = pytest.mark.db


def routes(town: Any) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, url, scope, json) for every route of the four areas that takes a caller."""
    org = town.town["id"]
    return [
        ("GET", f"/api/v1/deadline-policies?organisation_id={org}", "deadlines:read", {}),
        ("GET", f"/api/v1/deadline-policies/effective?organisation_id={org}", "deadlines:read", {}),
        ("PUT", "/api/v1/deadline-policies", "deadlines:write", {"organisation_id": org, "kind": "mediation", "duration": 20}),
        ("DELETE", "/api/v1/deadline-policies/1", "deadlines:write", {}),
        ("GET", "/api/v1/notifications", "notifications:read", {}),
        ("POST", "/api/v1/notifications/read", "notifications:write", {"ids": None}),
        ("POST", "/api/v1/notifications/1/read", "notifications:write", {}),
        ("PUT", "/api/v1/notifications/contact", "notifications:write", {"channel": "email", "address": "a@example.org"}),
        ("GET", f"/api/v1/notifications/settings/{org}", "notifications:read", {}),
        ("PUT", f"/api/v1/notifications/settings/{org}", "notifications:write", {"quiet_start": "22:00", "quiet_end": "07:00"}),
        ("GET", "/api/v1/plugins/switches", "switches:read", {}),
        ("PUT", "/api/v1/plugins/switches", "switches:write", {"plugin": "psych", "organisation_id": org, "enabled": False}),
        ("GET", "/api/v1/plugins/deliveries", "deliveries:read", {}),
        ("POST", "/api/v1/plugins/deliveries/retry", "deliveries:retry", {}),
    ]


async def _key(admin: Any, town: Any, scopes: list[str]) -> dict[str, str]:
    resp = await admin.post("/api/v1/integrations/keys", json={
        "name": "scope probe", "organisation_id": town.town["id"], "scopes": scopes, "roles": ["window_staff", "mediator"],
        "rate_limit_per_minute": 100000})
    assert resp.status_code == 201, resp.text
    return {"Authorization": f"Bearer {resp.json()['key']}"}


async def _call(client: Any, method: str, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return await client.request(method, url, headers=headers, **({"json": body} if method in ("POST", "PUT") else {}))


async def test_a_key_without_the_scope_is_refused_naming_it(client, town, login) -> None:
    admin = await login(await make_user(town.town, ["admin"], "镇管理员"))
    narrow = await _key(admin, town, ["cases:read"])
    for method, url, scope, body in routes(town):
        for language, words in (("zh-CN", f"该 API 密钥无权执行 {scope}。"), ("en", f"The API key may not {scope}.")):
            resp = await _call(client, method, url, body, {**narrow, "Accept-Language": language})
            assert resp.status_code == 403 and resp.json()["detail"] == words, (method, url, resp.text)


async def test_with_the_scope_the_areas_own_checks_decide(client, town, login) -> None:
    admin = await login(await make_user(town.town, ["admin"], "镇管理员"))
    scoped = await _key(admin, town, ["deadlines:read", "deadlines:write", "notifications:read", "notifications:write",
                                      "switches:read", "switches:write", "deliveries:read", "deliveries:retry"])
    for method, url, scope, body in routes(town):
        resp = await _call(client, method, url, body, {**scoped, "Accept-Language": "en"})
        # Past the scope check: a key holds no admin role and has no inbox, so the area refuses.
        assert resp.status_code in (403, 404), (method, url, resp.text)
        assert scope not in resp.text, (method, url, resp.text)
    # The staff the areas are for still get in.
    assert (await admin.get(f"/api/v1/deadline-policies?organisation_id={town.town['id']}")).status_code == 200
    assert (await admin.get("/api/v1/notifications")).status_code == 200
    assert (await admin.get("/api/v1/plugins/switches")).status_code == 200


async def test_the_new_scopes_are_known_and_not_offered_on_the_form() -> None:
    from core.integrations import keys

    assert set(keys.STAFF_AREA_SCOPES) <= keys.known_scopes()
    assert not set(keys.STAFF_AREA_SCOPES) & set(keys.OWN_SCOPES)
