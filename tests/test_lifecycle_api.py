"""The whole lifecycle through the API, on whichever engine the run uses."""

import pytest

from tests.factories import application

pytestmark = pytest.mark.db


async def test_intake_to_closed(town, login):
    desk = await login(town.users["window"])
    resp = await desk.post("/api/v1/cases", json=application(town))
    assert resp.status_code == 201, resp.text
    case = resp.json()
    assert case["state"] == "submitted"
    # Until registration the case carries its application reference, not an official number.
    reference = case["number"]
    assert reference.startswith("申") and "调〔" not in reference
    cid = case["id"]

    # Accept needs the notice of rights and consent.
    bad = await desk.post(f"/api/v1/cases/{cid}/actions/accept", json={})
    assert bad.status_code == 422
    assert "权利义务" in bad.json()["detail"]
    accepted = await desk.act(cid, "accept", rights_notified=True, consent=True)
    number = accepted["event"]["payload"]["number"]
    assert "调〔" in number
    registered = (await desk.get(f"/api/v1/cases/{cid}")).json()
    assert registered["number"] == number
    # The reference the party was given still finds the case.
    found = (await desk.get("/api/v1/cases", params={"q": reference})).json()["items"]
    assert [c["id"] for c in found] == [cid]

    suggestions = (await desk.get(f"/api/v1/cases/{cid}/suggestions")).json()["items"]
    assert suggestions, "a labour case in a town with labour mediators gets suggestions"
    assert "擅长此类纠纷" in suggestions[0]["reasons"]
    best = suggestions[0]["mediator_id"]
    mediator_user = next(m["user"] for m in town.mediators if m["id"] == best)
    await desk.act(cid, "dispatch", mediator_id=best)

    mediator = await login(mediator_user)
    await mediator.act(cid, "take")
    session = await mediator.act(cid, "schedule_session", scheduled_at="2026-12-01T02:00:00Z", place="镇调解室", attendees=["张三", "厂方代表"])
    sid = session["event"]["payload"]["session_id"]
    await mediator.act(cid, "record_session", session_id=sid, record="双方陈述事实,厂方同意分期支付。")
    await mediator.act(
        cid, "agree", facts="欠薪三个月", matters="工资数额与支付期限",
        terms=[{"obligor": "某某制衣厂", "obligee": "张三", "what": "支付工资", "amount": "36000.00", "due_date": "2026-12-31"}],
    )
    # Closing an agreed case needs a follow-up that found it performed.
    refused = await mediator.post(f"/api/v1/cases/{cid}/actions/close", json={})
    assert refused.status_code == 409
    await mediator.act(cid, "follow_up", method="phone", performed=True, rating=5)
    done = await mediator.act(cid, "close")
    assert done["case"]["state"] == "closed"

    timeline = (await desk.get(f"/api/v1/cases/{cid}/timeline")).json()["items"]
    names = [e["name"] for e in timeline]
    assert names == ["submit", "accept", "dispatch", "take", "schedule_session", "record_session", "agree", "follow_up", "close"]
    assert [e["seq"] for e in timeline] == list(range(1, len(names) + 1))
    audit = (await desk.get(f"/api/v1/cases/{cid}/audit")).json()
    assert audit["intact"] is True and audit["events"] == len(names)


async def test_accept_now_answers_with_the_official_number(town, login):
    """The desk registers at intake: the answer carries the number registration gave, the one
    the case and its accept event hold, not the application reference."""
    desk = await login(town.users["window"])
    resp = await desk.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True))
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["state"] == "registered" and "调〔" in created["number"]
    stored = (await desk.get(f"/api/v1/cases/{created['id']}")).json()
    assert stored["number"] == created["number"] != stored["application_ref"]
    timeline = (await desk.get(f"/api/v1/cases/{created['id']}/timeline")).json()["items"]
    assert [e["payload"].get("number") for e in timeline if e["name"] == "accept"] == [created["number"]]


async def test_illegal_transition_changes_nothing(town, login):
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town))).json()["id"]
    before = (await desk.get(f"/api/v1/cases/{cid}")).json()
    resp = await desk.post(f"/api/v1/cases/{cid}/actions/close", json={})
    assert resp.status_code == 409
    problem = resp.json()
    assert problem["code"] == "invalid_transition"
    assert "待受理" in problem["detail"]
    assert resp.headers["content-type"].startswith("application/problem+json")
    after = (await desk.get(f"/api/v1/cases/{cid}")).json()
    assert after["version"] == before["version"] and after["state"] == "submitted"
    english = await desk.post(f"/api/v1/cases/{cid}/actions/close", json={}, headers={"Accept-Language": "en"})
    assert "Submitted" in english.json()["detail"]


async def test_stale_version_gets_409(town, login):
    desk = await login(town.users["window"])
    created = (await desk.post("/api/v1/cases", json=application(town))).json()
    await desk.act(created["id"], "note", text="第一条", version=created["version"])
    stale = await desk.post(f"/api/v1/cases/{created['id']}/actions/note", json={"text": "第二条", "version": created["version"]})
    assert stale.status_code == 409
    timeline = (await desk.get(f"/api/v1/cases/{created['id']}/timeline")).json()["items"]
    assert [e["name"] for e in timeline] == ["submit", "note"]


async def test_other_town_cannot_see_case(town, login, request):
    from tests.factories import make_town

    other = await make_town()
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town))).json()["id"]
    stranger = await login(other.users["window"])
    assert (await stranger.get(f"/api/v1/cases/{cid}")).status_code == 404
    assert (await stranger.post(f"/api/v1/cases/{cid}/actions/accept", json={"rights_notified": True, "consent": True})).status_code == 404
    listed = (await stranger.get("/api/v1/cases")).json()["items"]
    assert cid not in [c["id"] for c in listed]
    county = await login(town.users["county_supervisor"])
    assert (await county.get(f"/api/v1/cases/{cid}")).status_code == 200


async def test_role_not_allowed(town, login):
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True))).json()["id"]
    handler = await login(town.users["handler"])
    # The handler's department does not cover the town's case until it is dispatched there.
    assert (await handler.post(f"/api/v1/cases/{cid}/actions/dispatch", json={"to_pool": True})).status_code == 404
    supervisor = await login(town.users["supervisor"])
    resp = await supervisor.post(f"/api/v1/cases/{cid}/actions/take", json={})
    assert resp.status_code == 409  # registered cases cannot be taken
