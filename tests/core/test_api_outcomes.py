"""Duplicates, merge and link; escalation ("三二一"); refer / resume, fail, withdraw, reopen."""

from __future__ import annotations

from typing import Any

import pytest

from core.cases.tables import CaseLink, Party
from tests.factories import application

pytestmark = pytest.mark.db

TERMS = [{"obligor": "某某制衣厂", "obligee": "张三", "what": "支付工资", "amount": "36000.00", "due_date": "2026-12-31"}]


async def new_case(api: Any, town: Any, **over: Any) -> dict[str, Any]:
    resp = await api.post("/api/v1/cases", json=application(town, **over))
    assert resp.status_code == 201, resp.text
    return resp.json()


async def in_mediation(town: Any, login: Any, **over: Any) -> tuple[int, Any, Any]:
    desk = await login(town.users["window"])
    cid = (await new_case(desk, town, accept_now=True, rights_notified=True, consent=True, **over))["id"]
    await desk.act(cid, "dispatch", mediator_id=town.users["mediator0"]["mediator_id"])
    mediator = await login(town.users["mediator0"])
    await mediator.act(cid, "take")
    return cid, desk, mediator


async def hold_sessions(api: Any, cid: int, n: int) -> None:
    for _ in range(n):
        sid = (await api.act(cid, "schedule_session", scheduled_at="2026-12-01T02:00:00Z"))["event"]["payload"]["session_id"]
        await api.act(cid, "record_session", session_id=sid, record="双方到场陈述")


async def test_duplicates_at_intake_then_merge_and_link(town, login):
    desk = await login(town.users["window"])
    first = await new_case(desk, town)
    assert first["possible_duplicates"] == [] or first["id"] not in [d["id"] for d in first["possible_duplicates"]]
    second = await new_case(desk, town, description="同一工人再次反映欠薪")
    dupes = second["possible_duplicates"]
    assert first["id"] in [d["id"] for d in dupes]
    assert next(d for d in dupes if d["id"] == first["id"])["same_type"] is True
    other_type = await new_case(desk, town, dispute_type="neighbour", parties=[{"name": "王五", "phone": "13800138000"}])
    assert next(d for d in other_type["possible_duplicates"] if d["id"] == first["id"])["same_type"] is False
    # The resident's earlier cases are visible from the new one.
    earlier = (await desk.get(f"/api/v1/cases/{second['id']}/duplicates")).json()["items"]
    assert first["id"] in [d["id"] for d in earlier]

    parties_before = await Party.count().where(Party.case == first["id"])
    merged = await desk.act(second["id"], "merge", into_case_id=first["id"])
    assert merged["case"]["state"] == "closed"
    gone = (await desk.get(f"/api/v1/cases/{second['id']}")).json()
    assert gone["merged_into_id"] == first["id"] and gone["outcome"] == "merged"
    assert [e["name"] for e in (await desk.get(f"/api/v1/cases/{second['id']}/timeline")).json()["items"]] == ["submit", "merge"]
    survivor = (await desk.get(f"/api/v1/cases/{first['id']}/timeline")).json()["items"]
    assert survivor[-1]["name"] == "merged_from" and survivor[-1]["payload"]["case_id"] == second["id"]
    assert await Party.count().where(Party.case == first["id"]) == parties_before + 2
    for cid in (first["id"], second["id"]):
        assert (await desk.get(f"/api/v1/cases/{cid}/audit")).json()["intact"] is True
    # Merging into itself, or into a closed case, is refused.
    assert (await desk.post(f"/api/v1/cases/{first['id']}/actions/merge", json={"into_case_id": first["id"]})).status_code == 422
    assert (await desk.post(f"/api/v1/cases/{other_type['id']}/actions/merge", json={"into_case_id": second["id"]})).status_code == 409

    linked = await desk.act(other_type["id"], "link", other_case_id=first["id"])
    assert linked["event"]["payload"]["other_case_id"] == first["id"]
    assert await CaseLink.count().where((CaseLink.case == other_type["id"]) & (CaseLink.other == first["id"])) == 1


async def test_escalation_needs_the_levels_minimum_and_leaves_the_lower_level(town, login):
    village = await login(town.users["village_staff"])  # window staff and mediator of the east village
    cid = (await new_case(village, town, place_id=town.villages[0]["id"], accept_now=True, rights_notified=True, consent=True))["id"]
    case = (await village.get(f"/api/v1/cases/{cid}")).json()
    assert case["org_id"] == town.villages[0]["id"]
    await village.act(cid, "dispatch", assignee_id=town.users["village_staff"]["id"])
    await village.act(cid, "take")
    await hold_sessions(village, cid, 2)
    early = await village.post(f"/api/v1/cases/{cid}/actions/escalate", json={"reason": "调解不成"})
    assert early.status_code == 409
    assert "村(社区)级须至少调解 3 次" in early.json()["detail"] and "已调解 2 次" in early.json()["detail"]
    await hold_sessions(village, cid, 1)
    up = await village.act(cid, "escalate", reason="村级调解三次未果")
    # The village mediator acted, then lost the case: the answer still says what happened.
    assert up["case"]["state"] == "registered" and up["case"]["org_id"] == town.town["id"]
    assert up["case"]["assignee_id"] is None and up["case"]["assigned_org_id"] is None
    assert up["event"]["payload"]["from_org_id"] == town.villages[0]["id"] and up["event"]["payload"]["to_org_id"] == town.town["id"]
    detail = (await village.get(f"/api/v1/cases/{cid}")).json()  # the village still sees a case from its place
    assert detail["attempts_at_level"] == 0
    assert "dispatch" not in detail["allowed_actions"] and "note" in detail["allowed_actions"]
    refused = await village.post(f"/api/v1/cases/{cid}/actions/dispatch", json={"assignee_id": town.users["village_staff"]["id"]})
    assert refused.status_code == 403 and "其他层级" in refused.json()["detail"]

    # The town takes over; it needs two sessions, unless the risk is high.
    desk = await login(town.users["window"])
    await desk.act(cid, "dispatch", mediator_id=town.users["mediator0"]["mediator_id"])
    mediator = await login(town.users["mediator0"])
    await mediator.act(cid, "take")
    assert (await mediator.post(f"/api/v1/cases/{cid}/actions/escalate", json={"reason": "上报"})).status_code == 409
    await mediator.act(cid, "set_risk", risk_level="high", reason="可能引发群体性事件")
    skipped = await mediator.act(cid, "escalate", reason="高风险,提级处置")
    assert skipped["event"]["payload"]["skipped_minimum"] is True and skipped["case"]["org_id"] == town.county["id"]
    assert (await mediator.get(f"/api/v1/cases/{cid}")).status_code == 404  # out of the committee's hands
    county = await login(town.users["county_supervisor"])
    top = await county.post(f"/api/v1/cases/{cid}/actions/escalate", json={"reason": "再上报"})
    assert top.status_code == 409 and "没有上级" in top.json()["detail"]


async def test_refer_resume_fail_close(town, login):
    cid, desk, mediator = await in_mediation(town, login)
    # A session time needs its UTC offset: a bare local time would be read in the server's zone.
    naive = await mediator.post(f"/api/v1/cases/{cid}/actions/schedule_session", json={"scheduled_at": "2026-12-01T10:00:00"})
    assert naive.status_code == 422
    local = await mediator.act(cid, "schedule_session", scheduled_at="2026-12-01T10:00:00+08:00")
    assert local["event"]["payload"]["scheduled_at"] == "2026-12-01T02:00:00+00:00"
    referred = await mediator.act(cid, "refer", plugin="psych", reason="申请人情绪激动")
    assert referred["case"]["state"] == "referred"
    assert (await mediator.post(f"/api/v1/cases/{cid}/actions/agree", json={"facts": "x", "matters": "y", "terms": TERMS})).status_code == 409
    resumed = await mediator.act(cid, "resume", result="疏导完成")
    assert resumed["case"]["state"] == "in_mediation"
    assert (await mediator.post(f"/api/v1/cases/{cid}/actions/fail", json={"advice": "heaven"})).status_code == 422
    failed = await mediator.act(cid, "fail", advice="litigation", detail="告知可向人民法院起诉")
    assert failed["case"]["state"] == "failed"
    detail = (await desk.get(f"/api/v1/cases/{cid}")).json()
    assert detail["outcome"] == "failed" and detail["failure_advice"].startswith("litigation")
    assert (await desk.act(cid, "close"))["case"]["state"] == "closed"


async def test_withdraw_ends_the_case(town, login):
    desk = await login(town.users["window"])
    cid = (await new_case(desk, town, accept_now=True, rights_notified=True, consent=True))["id"]
    await desk.act(cid, "dispatch", mediator_id=town.users["mediator0"]["mediator_id"])
    out = await desk.act(cid, "withdraw", reason="申请人撤回申请")
    assert out["case"]["state"] == "withdrawn"
    mediator = await login(town.users["mediator0"])
    assert (await mediator.post(f"/api/v1/cases/{cid}/actions/take", json={})).status_code == 409
    assert (await desk.get(f"/api/v1/cases/{cid}")).json()["outcome"] == "withdrawn"


async def test_reopen_after_the_agreement_was_not_performed(town, login):
    cid, desk, mediator = await in_mediation(town, login)
    await mediator.act(cid, "agree", facts="欠薪三个月", matters="工资数额", terms=TERMS)
    # No reopen while nobody found the agreement unperformed.
    assert (await mediator.post(f"/api/v1/cases/{cid}/actions/reopen", json={"reason": "?"})).status_code == 409
    await desk.act(cid, "follow_up", method="visit", performed=False, result="厂方未按期支付")
    refused = await desk.post(f"/api/v1/cases/{cid}/actions/close", json={})
    assert refused.status_code == 409 and "回访确认" in refused.json()["detail"]
    reopened = await desk.act(cid, "reopen", reason="协议未履行,重新调解")
    assert reopened["case"]["state"] == "in_mediation"
    await mediator.act(cid, "agree", facts="欠薪三个月", matters="工资数额", terms=TERMS)
    await mediator.act(cid, "follow_up", performed=True, rating=4)
    assert (await mediator.act(cid, "close"))["case"]["state"] == "closed"
    names = [e["name"] for e in (await desk.get(f"/api/v1/cases/{cid}/timeline")).json()["items"]]
    assert names[-6:] == ["agree", "follow_up", "reopen", "agree", "follow_up", "close"]
    assert (await desk.get(f"/api/v1/cases/{cid}/audit")).json()["intact"] is True
