"""Who sees what: party reveal and its access log, list filters and cursors, public intake
(idempotency, rate limit), API keys and scopes, problem responses, the OpenAPI document."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.audit.tables import AccessLog
from core.auth.service import new_api_key
from core.auth.tables import ApiKey
from core.cases.lifecycle import TABLE
from core.cases.tables import Case, Party
from core.ratelimit import reset_memory
from core.settings import get_settings
from tests.factories import application, make_user

pytestmark = pytest.mark.db


async def make_key(org: dict[str, Any], scopes: list[str], roles: list[str] | None = None, active: bool = True) -> str:
    key, prefix, digest = new_api_key()
    await ApiKey.insert(
        ApiKey(name="12345 热线", prefix=prefix, key_hash=digest, organisation=org["id"], scopes=scopes,
               roles=roles or ["grid_worker"], active=active)
    )
    return key


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# -- personal data --------------------------------------------------------------------------


async def test_reveal_is_logged_and_limited_to_roles_that_need_it(town, login, client):
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town))).json()["id"]
    detail = (await desk.get(f"/api/v1/cases/{cid}")).json()
    applicant = next(p for p in detail["parties"] if p["role"] == "applicant")
    assert applicant["phone"] == "138****8000" and applicant["name"] == "张*"
    assert "1990" not in applicant["id_number"]

    resp = await desk.post(f"/api/v1/cases/{cid}/parties/{applicant['id']}/reveal")
    assert resp.status_code == 200
    assert resp.json()["phone"] == "13800138000" and resp.json()["id_number"] == "44190019900101123X"
    log = await AccessLog.select().where((AccessLog.case_id == cid) & (AccessLog.what == "party.contact"))
    assert len(log) == 1 and log[0]["user"] == town.users["window"]["id"] and log[0]["party_id"] == applicant["id"]

    for user in (await make_user(town.town, ["admin"]), await make_user(town.town, ["grid_worker"])):
        other = await login(user)
        refused = await other.post(f"/api/v1/cases/{cid}/parties/{applicant['id']}/reveal")
        assert refused.status_code == 403
    key = await make_key(town.town, ["cases:read"])
    assert (await client.post(f"/api/v1/cases/{cid}/parties/{applicant['id']}/reveal", headers=bearer(key))).status_code == 403
    assert await AccessLog.count().where((AccessLog.case_id == cid) & (AccessLog.what == "party.contact")) == 1

    # Sensitive types (family, medical, minors): only the assignee and supervisors.
    family = (await desk.post("/api/v1/cases", json=application(town, dispute_type="marriage_family"))).json()["id"]
    party = (await Party.select(Party.id).where(Party.case == family).first())["id"]
    assert (await desk.post(f"/api/v1/cases/{family}/parties/{party}/reveal")).status_code == 403
    supervisor = await login(town.users["supervisor"])
    assert (await supervisor.post(f"/api/v1/cases/{family}/parties/{party}/reveal")).status_code == 200
    # A type corrected at acceptance to a sensitive one narrows access from then on.
    retyped = (await desk.post("/api/v1/cases", json=application(town))).json()["id"]
    await desk.act(retyped, "accept", rights_notified=True, consent=True, dispute_type="medical")
    assert (await desk.get(f"/api/v1/cases/{retyped}")).json()["sensitive"] is True
    party = (await Party.select(Party.id).where(Party.case == retyped).first())["id"]
    assert (await desk.post(f"/api/v1/cases/{retyped}/parties/{party}/reveal")).status_code == 403


# -- lists ----------------------------------------------------------------------------------


async def test_list_filters(town, login):
    desk = await login(town.users["window"])
    mediator = await login(town.users["mediator0"])

    async def make(**over: Any) -> dict[str, Any]:
        resp = await desk.post("/api/v1/cases", json=application(town, **over))
        assert resp.status_code == 201, resp.text
        return resp.json()

    plain = await make()
    east = await make(dispute_type="neighbour", risk_level="high", channel="phone", place_id=town.villages[1]["id"],
                      parties=[{"name": "王小明", "phone": "13911112222"}])
    online = await make(channel="online", risk_level="low", accept_now=True, rights_notified=True, consent=True,
                        parties=[{"name": "赵六", "phone": "13712345678"}])
    await desk.act(online["id"], "dispatch", mediator_id=town.users["mediator0"]["mediator_id"])
    late = await make()
    await Case.update({Case.next_due_at: datetime.now(UTC) - timedelta(hours=1)}).where(Case.id == late["id"])

    async def ids(api: Any = desk, **params: Any) -> set[int]:
        resp = await api.get("/api/v1/cases", params={"limit": 200, **params})
        assert resp.status_code == 200, resp.text
        return {c["id"] for c in resp.json()["items"]}

    everything = await ids()
    assert {plain["id"], east["id"], online["id"], late["id"]} <= everything
    assert await ids(state="assigned") == {online["id"]}
    assert await ids(state="assigned,registered") == {online["id"]}
    assert await ids(dispute_type="neighbour") == {east["id"]}
    assert await ids(risk_level="high") == {east["id"]}
    assert await ids(channel="online") == {online["id"]}
    assert await ids(organisation_id=town.villages[1]["id"]) == {east["id"]}
    assert await ids(organisation_id=town.committee["id"]) == {online["id"]}
    assert late["id"] in await ids(overdue="true") and plain["id"] not in await ids(overdue="true")
    assert await ids(mediator, mine="true") == {online["id"]}
    assert await ids(assignee_id=town.users["mediator0"]["id"]) == {online["id"]}
    assert await ids(q=plain["number"]) == {plain["id"]}
    assert await ids(q="13911112222") == {east["id"]}
    assert await ids(q="赵六") == {online["id"]}
    assert await ids(q="无此人") == set()
    # A county supervisor sees the town's cases; the town filter narrows to its subtree.
    county = await login(town.users["county_supervisor"])
    assert everything <= await ids(county, organisation_id=town.town["id"])
    assert (await desk.get("/api/v1/cases", params={"organisation_id": 10**9})).status_code == 404


async def test_cursor_pagination_has_no_duplicates_or_gaps(town, login):
    desk = await login(town.users["window"])
    made = set()
    for i in range(7):
        made.add((await desk.post("/api/v1/cases", json=application(town, description=f"分页 {i}"))).json()["id"])
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = (await desk.get("/api/v1/cases", params=params)).json()
        seen.extend(c["id"] for c in body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        # A case created mid-way appears on no later page (it is newer than the cursor).
        if pages == 1:
            await desk.post("/api/v1/cases", json=application(town, description="中途新增"))
    assert len(seen) == len(set(seen)), "a case appeared twice"
    assert made <= set(seen) and pages == 3
    assert seen == sorted(seen, reverse=True)
    bad = await desk.get("/api/v1/cases", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400


# -- public intake --------------------------------------------------------------------------


async def test_public_intake_is_idempotent(town, client):
    body = {**application(town, channel="online", description=f"网上申请 {uuid.uuid4().hex[:6]}"), "centre_id": town.town["id"]}
    key = str(uuid.uuid4())
    first = await client.post("/api/v1/public/applications", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    again = await client.post("/api/v1/public/applications", json=body, headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"] and again.json()["replayed"] is True
    changed = await client.post("/api/v1/public/applications", json={**body, "description": "另一件事"}, headers={"Idempotency-Key": key})
    assert changed.status_code == 409 and "Idempotency-Key" in changed.json()["detail"]
    elsewhere = await client.post(
        "/api/v1/public/applications", json={**body, "centre_id": town.villages[0]["id"]}, headers={"Idempotency-Key": key}
    )
    assert elsewhere.status_code == 409, "the same key and body sent to another centre is not a replay"
    fresh = await client.post("/api/v1/public/applications", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert fresh.json()["id"] != first.json()["id"]
    assert (await client.post("/api/v1/public/applications", json={**body, "accept_now": True})).status_code == 400
    case = await Case.select().where(Case.id == first.json()["id"]).first()
    assert case["state"] == "submitted" and case["channel"] == "online" and case["source_key"] == "party"


async def test_public_intake_is_rate_limited(town, client, monkeypatch):
    monkeypatch.setattr(get_settings(), "intake_rate_limit_per_minute", 3)
    reset_memory()
    try:
        body = {**application(town, channel="online"), "centre_id": town.town["id"]}
        codes = [(await client.post("/api/v1/public/applications", json=body)).status_code for _ in range(3)]
        assert codes == [201, 201, 201]
        limited = await client.post("/api/v1/public/applications", json=body)
        assert limited.status_code == 429
        assert limited.json()["detail"] == "请求过于频繁,请稍候一分钟再试。"
        assert limited.headers["retry-after"] == "60"
        english = await client.post("/api/v1/public/applications", json=body, headers={"Accept-Language": "en"})
        assert english.status_code == 429 and english.json()["detail"].startswith("Too many requests")
    finally:
        reset_memory()


# -- API keys -------------------------------------------------------------------------------


async def test_api_key_scopes(town, client):
    read_only = await make_key(town.town, ["cases:read"])
    writer = await make_key(town.villages[0], ["cases:create", "cases:read"])
    body = application(town, channel="hotline_12345")

    refused = await client.post("/api/v1/cases", json=body, headers=bearer(read_only))
    assert refused.status_code == 403 and "cases:create" in refused.json()["detail"]
    created = await client.post("/api/v1/cases", json=body, headers=bearer(writer))
    assert created.status_code == 201, created.text
    case = await Case.select().where(Case.id == created.json()["id"]).first()
    assert case["org"] == town.villages[0]["id"] and case["source_key"].startswith("api_key:")
    # Keys send no CSRF token and need none; X-API-Key works as well as Bearer.
    listed = await client.get("/api/v1/cases", headers={"X-API-Key": read_only})
    assert created.json()["id"] in [c["id"] for c in listed.json()["items"]]

    create_only = await make_key(town.town, ["cases:create"])
    cid = created.json()["id"]
    for path in (f"/api/v1/cases/{cid}", f"/api/v1/cases/{cid}/timeline", f"/api/v1/cases/{cid}/audit",
                 f"/api/v1/cases/{cid}/evidence", f"/api/v1/cases/{cid}/duplicates", f"/api/v1/cases/{cid}/suggestions"):
        assert (await client.get(path, headers=bearer(create_only))).status_code == 403, path
    action = await client.post(f"/api/v1/cases/{cid}/actions/note", json={"text": "热线回访"}, headers=bearer(read_only))
    assert action.status_code == 403
    upload = await client.post(f"/api/v1/cases/{cid}/evidence", files={"file": ("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)}, headers=bearer(read_only))
    assert upload.status_code == 403

    assert (await client.get("/api/v1/cases", headers=bearer("jf_nope_nope"))).status_code == 401
    revoked = await make_key(town.town, ["cases:read"], active=False)
    assert (await client.get("/api/v1/cases", headers=bearer(revoked))).status_code == 401
    assert (await client.get("/api/v1/cases")).status_code == 401


async def test_session_writes_need_the_csrf_token(town, login, client):
    desk = await login(town.users["window"])
    resp = await client.post("/api/v1/cases", json=application(town), headers={"Cookie": desk.headers["Cookie"]})
    assert resp.status_code == 403 and resp.json()["detail"] == "页面已过期,请刷新后重试。"
    wrong = await client.post("/api/v1/cases", json=application(town), headers={"Cookie": desk.headers["Cookie"], "X-CSRF-Token": "x"})
    assert wrong.status_code == 403


# -- problems and the schema ---------------------------------------------------------------


async def test_problem_responses_in_chinese_and_english(town, login):
    desk = await login(town.users["window"])
    missing = await desk.get("/api/v1/cases/999999999")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["detail"] == "未找到。" and missing.json()["status"] == 404
    assert (await desk.get("/api/v1/cases/999999999", headers={"Accept-Language": "en-GB,en;q=0.9"})).json()["detail"] == "Not found."
    invalid = await desk.post("/api/v1/cases", json={**application(town), "channel": "carrier_pigeon"})
    assert invalid.status_code == 422 and invalid.json()["code"] == "validation_failed"
    assert invalid.json()["detail"] == "部分字段缺失或有误。"
    cid = (await desk.post("/api/v1/cases", json=application(town))).json()["id"]
    state = await desk.post(f"/api/v1/cases/{cid}/actions/take", json={})
    assert state.status_code == 409 and state.json()["detail"] == "案件当前状态为“待受理”,不能执行“接单”。"
    en = await desk.post(f"/api/v1/cases/{cid}/actions/urge", json={}, headers={"Accept-Language": "en"})
    assert en.status_code == 409 and "Submitted" in en.json()["detail"]
    role = await desk.post(f"/api/v1/cases/{cid}/actions/own", json={})
    assert role.status_code == 403 and role.json()["detail"] == "您的角色不能执行“包案”。"


async def test_openapi_lists_every_action(client):
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    for t in TABLE:
        path = f"/api/v1/cases/{{case_id}}/actions/{t.event}"
        assert path in paths and "post" in paths[path], t.event
        assert paths[path]["post"]["summary"] == t.summary
    for path in ("/api/v1/cases", "/api/v1/public/applications", "/api/v1/cases/{case_id}/evidence", "/api/v1/evidence/{evidence_id}"):
        assert path in paths, path


async def test_own_needs_a_leader_of_the_cases_level(town, login):
    from tests.factories import make_town

    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town))).json()["id"]
    supervisor = await login(town.users["supervisor"])
    assert (await supervisor.act(cid, "own"))["event"]["payload"]["leader_id"] == town.users["supervisor"]["id"]
    await supervisor.act(cid, "own", leader_id=town.users["county_supervisor"]["id"])  # a leader above
    for leader in (town.users["window"]["id"], town.users["mediator0"]["id"], (await make_town()).users["supervisor"]["id"]):
        refused = await supervisor.post(f"/api/v1/cases/{cid}/actions/own", json={"leader_id": leader})
        assert refused.status_code == 422 and "包案领导" in refused.json()["detail"]

