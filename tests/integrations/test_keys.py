"""API keys per integration: shown once, scoped, listed without secrets, revocable, and
rate-limited with their own limit."""

from __future__ import annotations

import pytest

from core.auth.tables import ApiKey
from tests.factories import application, make_town, make_user
from tests.integrations.conftest import make_key

pytestmark = pytest.mark.db

REPORT = {"service_code": "neighbour", "description": "楼上漏水", "address_string": "东村3组", "first_name": "小明", "last_name": "王", "phone": "13800001111"}


async def test_create_shows_the_key_once(admin, town, client):
    made = await make_key(admin, town, ["open311:create", "open311:read", "cases:read"], rate_limit_per_minute=50)
    assert made["key"].startswith("jf_") and made["prefix"] in made["key"]
    row = await ApiKey.select().where(ApiKey.id == made["id"]).first()
    assert made["key"] not in str(row)
    listed = (await admin.get("/api/v1/integrations/keys")).json()["items"]
    mine = next(k for k in listed if k["id"] == made["id"])
    assert "key" not in mine and "key_hash" not in mine and mine["rate_limit_per_minute"] == 50
    # The key works on the core's API too, inside its organisation's subtree.
    resp = await client.get("/api/v1/cases", headers={"Authorization": f"Bearer {made['key']}"})
    assert resp.status_code == 200


async def test_only_an_admin_of_the_subtree(admin, town, login):
    desk = await login(town.users["window"])
    body = {"name": "x", "organisation_id": town.town["id"], "scopes": ["cases:read"]}
    assert (await desk.post("/api/v1/integrations/keys", json=body)).status_code == 403
    other = await make_town()
    stranger = await login(await make_user(other.town, ["admin"]))
    assert (await stranger.post("/api/v1/integrations/keys", json=body)).status_code == 404
    made = await make_key(admin, town, ["cases:read"])
    assert (await stranger.post(f"/api/v1/integrations/keys/{made['id']}/revoke")).status_code == 404
    assert made["id"] not in [k["id"] for k in (await stranger.get("/api/v1/integrations/keys")).json()["items"]]


async def test_scopes_and_roles_are_checked(admin, town):
    bad = await admin.post("/api/v1/integrations/keys", json={"name": "x", "organisation_id": town.town["id"], "scopes": ["cases:everything"]})
    assert bad.status_code == 422
    bad = await admin.post("/api/v1/integrations/keys", json={"name": "x", "organisation_id": town.town["id"], "scopes": ["cases:read"], "roles": ["admin"]})
    assert bad.status_code == 422


async def test_a_scope_not_granted_is_403(admin, town, client):
    made = await make_key(admin, town, ["open311:read"])
    resp = await client.post("/open311/v2/requests.json", data={**REPORT, "api_key": made["key"]})
    assert resp.status_code == 403 and resp.json()[0]["code"] == 403


async def test_revoked_key_gets_401(admin, town, client):
    made = await make_key(admin, town, ["open311:create", "cases:create"])
    ok = await client.post("/open311/v2/requests.json", data={**REPORT, "api_key": made["key"]})
    assert ok.status_code == 201, ok.text
    revoked = await admin.post(f"/api/v1/integrations/keys/{made['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["active"] is False and revoked.json()["revoked_at"]
    refused = await client.post("/open311/v2/requests.json", data={**REPORT, "api_key": made["key"]})
    assert refused.status_code == 401 and refused.json() == [{"code": 401, "description": "The API key is not valid."}]
    core_api = await client.post("/api/v1/cases", json=application(town), headers={"Authorization": f"Bearer {made['key']}"})
    assert core_api.status_code == 401


async def test_rate_limit_is_the_keys_own(admin, town, client):
    made = await make_key(admin, town, ["open311:read"], rate_limit_per_minute=3)
    url = f"/open311/v2/services.json?api_key={made['key']}"
    assert [(await client.get(url)).status_code for _ in range(3)] == [200, 200, 200]
    limited = await client.get(url)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "60"
    roomy = await make_key(admin, town, ["open311:read"], rate_limit_per_minute=100)
    assert (await client.get(f"/open311/v2/services.json?api_key={roomy['key']}")).status_code == 200
    row = await ApiKey.select(ApiKey.last_used_at).where(ApiKey.id == made["id"]).first()
    assert row["last_used_at"] is not None


async def test_creating_and_revoking_a_key_is_in_the_access_log(admin, town):
    from core.audit.tables import AccessLog
    from core.auth.service import token_digest

    made = await make_key(admin, town, ["open311:create", "cases:read"], roles=["grid_worker", "mediator"], rate_limit_per_minute=40)

    async def logged(action: str) -> list[dict]:
        return await AccessLog.select().where(AccessLog.what == f"api_key.{action}:{made['id']}").output(load_json=True)

    created = await logged("create")
    assert len(created) == 1 and created[0]["user"] == admin.user["id"] and created[0]["actor_label"] == f"staff:{admin.user['id']}"
    assert created[0]["detail"] == {
        "key_id": made["id"], "name": "12345热线", "prefix": made["prefix"], "organisation_id": town.town["id"],
        "scopes": ["open311:create", "cases:read"], "roles": ["grid_worker", "mediator"], "rate_limit_per_minute": 40,
    }
    assert created[0]["ip"]
    assert await logged("revoke") == []
    assert (await admin.post(f"/api/v1/integrations/keys/{made['id']}/revoke")).status_code == 200
    # A second revocation changes nothing and logs nothing.
    assert (await admin.post(f"/api/v1/integrations/keys/{made['id']}/revoke")).status_code == 200
    revoked = await logged("revoke")
    assert len(revoked) == 1 and revoked[0]["user"] == admin.user["id"] and revoked[0]["detail"]["scopes"] == ["open311:create", "cases:read"]
    for row in created + revoked:
        assert made["key"] not in str(row) and token_digest(made["key"]) not in str(row), "never the secret"


async def test_the_admin_form_logs_the_key_too(town, login):
    from core.audit.tables import AccessLog

    user = await make_user(town.town, ["admin"], "表单管理员")
    admin = await login(user)
    resp = await admin.post("/admin/manage/keys", data={
        "name": "表单密钥", "organisation_id": str(town.town["id"]), "scopes": ["cases:create"], "roles": ["grid_worker"]})
    assert resp.status_code == 200, resp.text
    key = await ApiKey.select(ApiKey.id).where((ApiKey.organisation == town.town["id"]) & (ApiKey.name == "表单密钥")).first()
    entry = await AccessLog.select().where(AccessLog.what == f"api_key.create:{key['id']}").output(load_json=True).first()
    assert entry["user"] == user["id"] and entry["detail"]["scopes"] == ["cases:create"]
    resp = await admin.post(f"/admin/manage/keys/{key['id']}/revoke", follow_redirects=False)
    assert resp.status_code in (200, 303), resp.text
    assert await AccessLog.exists().where((AccessLog.what == f"api_key.revoke:{key['id']}") & (AccessLog.user == user["id"]))
