"""Dispatch through the API: rules, the pool (抢单), return / uphold / redispatch, recusal (回避),
lead and assisting units."""

from __future__ import annotations

from typing import Any

import pytest

from core.cases.tables import CaseEvent, CaseUnit, DispatchRule
from core.roster.tables import Mediator, MediatorRelation
from tests.factories import application, make_org, make_user

pytestmark = pytest.mark.db


async def registered(desk: Any, town: Any, **over: Any) -> int:
    body = application(town, accept_now=True, rights_notified=True, consent=True, **over)
    resp = await desk.post("/api/v1/cases", json=body)
    assert resp.status_code == 201, resp.text
    assert resp.json()["state"] == "registered"
    return resp.json()["id"]


async def test_dispatch_by_type_and_place_rules_then_grab_from_the_pool(town, login):
    village_committee = await make_org("东村人民调解委员会", "committee", "village", town.villages[1])
    await DispatchRule.insert(
        DispatchRule(owner=town.town["id"], dispute_type="labour", target=town.labour_dept["id"], to_pool=True, priority=10),
        DispatchRule(owner=town.town["id"], place=town.villages[1]["id"], target=village_committee["id"], to_pool=True, priority=20),
    )
    desk = await login(town.users["window"])

    labour = await registered(desk, town)
    done = await desk.act(labour, "dispatch", by_rules=True)
    assert done["case"]["state"] == "assigned" and done["case"]["in_pool"] is True
    assert done["case"]["assigned_org_id"] == town.labour_dept["id"] and done["case"]["assignee_id"] is None
    assert done["event"]["payload"]["how"] == "rules" and done["event"]["payload"]["rule"].startswith("类型规则")

    neighbours = await registered(desk, town, dispute_type="neighbour", place_id=town.villages[1]["id"])
    done = await desk.act(neighbours, "dispatch", by_rules=True)
    assert done["case"]["assigned_org_id"] == village_committee["id"]
    assert done["event"]["payload"]["rule"].startswith("属地规则")

    no_rule = await registered(desk, town, dispute_type="traffic")
    refused = await desk.post(f"/api/v1/cases/{no_rule}/actions/dispatch", json={"by_rules": True})
    assert refused.status_code == 422

    # 抢单: any handler of the department may take it, once.
    first = await login(town.users["handler"])
    second = await login(await make_user(town.labour_dept, ["handler"], "人社小李"))
    listed = (await second.get("/api/v1/cases", params={"state": "assigned"})).json()["items"]
    assert labour in [c["id"] for c in listed]
    taken = await first.act(labour, "take")
    assert taken["case"]["assignee_id"] == town.users["handler"]["id"] and taken["case"]["in_pool"] is False
    assert taken["event"]["payload"]["grabbed_from_pool"] is True
    late = await second.post(f"/api/v1/cases/{labour}/actions/take", json={})
    assert late.status_code == 409 and late.json()["code"] == "invalid_transition"
    # The colleague still sees the case but no longer handles it.
    assert (await second.post(f"/api/v1/cases/{labour}/actions/fail", json={"advice": "litigation"})).status_code == 403
    assert (await second.post(f"/api/v1/cases/{labour}/actions/note", json={"text": "协助核实"})).status_code == 200
    mine = (await first.get("/api/v1/cases", params={"mine": "true"})).json()["items"]
    assert [c["id"] for c in mine] == [labour]


async def test_return_uphold_and_redispatch(town, login):
    desk = await login(town.users["window"])
    m0, m1 = await login(town.users["mediator0"]), await login(town.users["mediator1"])
    cid = await registered(desk, town)
    # Nothing to uphold before anything was returned.
    assert (await desk.post(f"/api/v1/cases/{cid}/actions/uphold", json={"reason": "维持"})).status_code == 409

    await desk.act(cid, "dispatch", mediator_id=town.users["mediator0"]["mediator_id"])
    assert (await m0.post(f"/api/v1/cases/{cid}/actions/return", json={})).status_code == 422  # a reason is required
    back = await m0.act(cid, "return", reason="不属于本人专长")
    assert back["case"]["state"] == "registered" and back["case"]["assignee_id"] is None
    assert back["event"]["payload"]["reason"] == "不属于本人专长"

    upheld = await desk.act(cid, "uphold", reason="本案仍由原调解员办理")
    assert upheld["case"]["state"] == "assigned" and upheld["case"]["assignee_id"] == town.users["mediator0"]["id"]
    await m0.act(cid, "take")

    moved = await desk.act(cid, "redispatch", mediator_id=town.users["mediator1"]["mediator_id"])
    assert moved["case"]["state"] == "assigned" and moved["case"]["assignee_id"] == town.users["mediator1"]["id"]
    # The first mediator is no longer the worker: they may look, not act.
    assert (await m0.post(f"/api/v1/cases/{cid}/actions/first_contact", json={})).status_code == 403
    await m1.act(cid, "take")
    names = [e["name"] for e in (await desk.get(f"/api/v1/cases/{cid}/timeline")).json()["items"]]
    assert names == ["submit", "accept", "dispatch", "return", "uphold", "take", "redispatch", "take"]


async def test_uphold_cannot_undo_a_later_escalation(town, login):
    desk = await login(town.users["window"])
    m0 = await login(town.users["mediator0"])
    cid = await registered(desk, town, risk_level="high")
    await desk.act(cid, "dispatch", mediator_id=town.users["mediator0"]["mediator_id"])
    await m0.act(cid, "return", reason="需上级处理")
    county = await login(town.users["county_supervisor"])
    await desk.act(cid, "escalate", reason="高风险,提级处置")
    # The return was followed by an escalation: upholding it would hand a county case back to
    # a town mediator who can no longer even see it.
    refused = await county.post(f"/api/v1/cases/{cid}/actions/uphold", json={"reason": "维持"})
    assert refused.status_code == 409


async def test_recusal_by_phone_id_relation_and_declared_conflict(town, login):
    desk = await login(town.users["window"])
    m1, m2 = town.users["mediator1"], town.users["mediator2"]
    await Mediator.update({Mediator.phone: "13800138000"}).where(Mediator.id == m1["mediator_id"])  # the applicant's phone
    await Mediator.update({Mediator.id_number: "44190019900101123x"}).where(Mediator.id == m2["mediator_id"])  # lower-case x
    third = await make_user(town.committee, ["mediator"], "调解员3")
    m3 = (await Mediator.insert(Mediator(user=third["id"], name="调解员3", organisation=town.committee["id"])).returning(Mediator.id))[0]["id"]
    await MediatorRelation.insert(MediatorRelation(mediator=m3, person_phone="076988888888", relation="表兄弟"))
    cid = await registered(desk, town)

    for mediator_id, reason in ((m1["mediator_id"], "与当事人电话号码相同"), (m2["mediator_id"], "与当事人身份证号相同"), (m3, "已申报关联关系:表兄弟")):
        resp = await desk.post(f"/api/v1/cases/{cid}/actions/dispatch", json={"mediator_id": mediator_id})
        assert resp.status_code == 409, resp.text
        assert "调解员须回避" in resp.json()["detail"] and reason in resp.json()["detail"]
    # Dispatch to the person (not the roster entry) is checked too.
    resp = await desk.post(f"/api/v1/cases/{cid}/actions/dispatch", json={"assignee_id": m1["id"]})
    assert resp.status_code == 409
    suggested = [s["mediator_id"] for s in (await desk.get(f"/api/v1/cases/{cid}/suggestions")).json()["items"]]
    assert m1["mediator_id"] not in suggested and m2["mediator_id"] not in suggested and m3 not in suggested
    assert town.users["mediator0"]["mediator_id"] in suggested

    # A mediator may declare a conflict themself: the case goes back to the desk and they are barred.
    await desk.act(cid, "dispatch", mediator_id=town.users["mediator0"]["mediator_id"])
    m0 = await login(town.users["mediator0"])
    declared = await m0.act(cid, "declare_conflict", reason="申请人是我的邻居")
    assert declared["case"]["state"] == "registered" and declared["case"]["assignee_id"] is None
    again = await desk.post(f"/api/v1/cases/{cid}/actions/dispatch", json={"mediator_id": town.users["mediator0"]["mediator_id"]})
    assert again.status_code == 409 and "已申报与本案存在利害关系" in again.json()["detail"]
    assert (await desk.post(f"/api/v1/cases/{cid}/actions/uphold", json={"reason": "维持"})).status_code == 409
    # Nor can they, or another barred mediator, grab it from the committee's pool.
    await desk.act(cid, "dispatch", organisation_id=town.committee["id"])
    grab = await m0.post(f"/api/v1/cases/{cid}/actions/take", json={})
    assert grab.status_code == 409 and "已申报与本案存在利害关系" in grab.json()["detail"]
    grab = await (await login(m1)).post(f"/api/v1/cases/{cid}/actions/take", json={})
    assert grab.status_code == 409 and "与当事人电话号码相同" in grab.json()["detail"]
    free = await login(await make_user(town.committee, ["mediator"], "调解员4"))
    assert (await free.act(cid, "take"))["case"]["assignee_id"] == free.user["id"]


async def test_lead_and_assisting_units(town, login):
    desk = await login(town.users["window"])
    cid = await registered(desk, town)
    await desk.act(cid, "dispatch", organisation_id=town.labour_dept["id"])
    await desk.act(cid, "add_assisting_unit", organisation_id=town.committee["id"])
    await desk.act(cid, "redispatch", mediator_id=town.users["mediator0"]["mediator_id"])
    units = await CaseUnit.select().where(CaseUnit.case == cid).order_by(CaseUnit.id)
    assert [(u["organisation"], u["role"], u["active"]) for u in units] == [
        (town.labour_dept["id"], "lead", False),
        (town.committee["id"], "assisting", True),
        (town.committee["id"], "lead", True),
    ]
    assert await CaseEvent.count().where((CaseEvent.case == cid) & (CaseEvent.name == "add_assisting_unit")) == 1
    missing = await desk.post(f"/api/v1/cases/{cid}/actions/add_assisting_unit", json={"organisation_id": 10**9})
    assert missing.status_code == 404
