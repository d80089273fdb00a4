"""The industry-association plugin through the API: the registry and suggestions, a transfer
accepted and mediated by the association under its own seal with the outcome coming back, a
decline, a timeout that returns the case urged, a hand-back, the veto, statistics, the case
page and the per-town switch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.agreements.tables import AgreementSnapshot
from core.cases.tables import Case, CaseEvent
from core.deadlines.calendar import add_working_days
from core.jobs.outbox import enqueue
from core.plugins import write_transaction
from plugins.industry_assoc.tables import Transfer
from tests.factories import make_org, make_town, make_user
from tests.plugins.conftest import switch
from tests.plugins_industry_assoc.conftest import (
    API,
    AssocTown,
    add_association,
    case_in_mediation,
    run_jobs,
)

pytestmark = [pytest.mark.db, pytest.mark.plugin_industry_assoc]


async def _events(cid: int) -> list[dict[str, Any]]:
    from core.cases.timeline import join_remarks  # typed text lives beside the hashed payload

    rows = await CaseEvent.select(CaseEvent.id, CaseEvent.name, CaseEvent.actor_label, CaseEvent.payload).where(CaseEvent.case == cid).order_by(CaseEvent.seq).output(load_json=True)
    return await join_remarks(rows)


async def _case(cid: int) -> dict[str, Any]:
    return await Case.select().where(Case.id == cid).first()


async def _transfer(api: Any, cid: int, association_id: int, expect: int = 201) -> dict[str, Any]:
    resp = await api.post(f"{API}/cases/{cid}/transfers", json={"association_id": association_id, "reason": "涉毛织行业租金纠纷"})
    assert resp.status_code == expect, resp.text
    return resp.json()


async def test_registry_and_suggestions(assoc: AssocTown, login: Any) -> None:
    town = assoc.town
    admin = await login(assoc.admin)
    # Only organisations of type association, and only known types.
    dept = await admin.post(f"{API}/associations", json={"organisation_id": town.labour_dept["id"], "coverage": [{"dispute_type": "labour", "area_org_id": town.town["id"]}]})
    assert dept.status_code == 400 and "行业协会" in dept.json()["detail"]
    other = await make_org("测试镇物业管理行业协会", "association", "town", town.town)
    bad = await admin.post(f"{API}/associations", json={"organisation_id": other["id"], "coverage": [{"dispute_type": "no_such", "area_org_id": town.town["id"]}]})
    assert bad.status_code == 422 or bad.status_code == 400
    # A second association taking any type in one village only.
    wide = await admin.post(f"{API}/associations", json={"organisation_id": other["id"], "coverage": [{"dispute_type": "*", "area_org_id": town.villages[0]["id"]}]})
    assert wide.status_code == 201, wide.text
    again = await admin.post(f"{API}/associations", json={"organisation_id": other["id"], "coverage": [{"dispute_type": "*", "area_org_id": town.town["id"]}]})
    assert again.status_code == 409

    listed = (await admin.get(f"{API}/associations")).json()
    mine = next(a for a in listed if a["id"] == assoc.registered["id"])
    assert mine["mediators"][0]["id"] == assoc.mediator["mediator_id"] and mine["coverage"][0]["dispute_type_label"]

    cid, mediator = await case_in_mediation(town, login)  # labour, in village 0
    suggested = (await mediator.get(f"{API}/cases/{cid}/suggestions")).json()
    assert [s["association_id"] for s in suggested] == [assoc.registered["id"], wide.json()["id"]]
    assert any("承接" in r for r in suggested[0]["reasons"])
    # A case elsewhere (village 1, neighbours) only matches … nobody: the wide one covers village 0 only.
    cid2, mediator2 = await case_in_mediation(town, login, dispute_type="neighbour", place_id=town.villages[1]["id"])
    assert (await mediator2.get(f"{API}/cases/{cid2}/suggestions")).json() == []
    refused = await _transfer(mediator2, cid2, assoc.registered["id"], expect=400)
    assert "不承接" in refused["detail"]


async def test_transfer_accept_mediate_under_own_seal_and_outcome_back(assoc: AssocTown, login: Any) -> None:
    town = assoc.town
    cid, mediator = await case_in_mediation(town, login)
    # The case page: the action and the panel.
    page = (await mediator.get(f"/api/v1/plugins/cases/{cid}")).json()
    assert [a["label"] for a in page["actions"] if a["plugin"] == "industry_assoc"] == ["转行业协会调解"]
    assert any(p["plugin"] == "industry_assoc" for p in page["panels"])

    before = datetime.now(UTC)
    transfer = await _transfer(mediator, cid, assoc.registered["id"])
    assert transfer["status"] == "pending" and transfer["association_name"] == assoc.association["name"]
    # Three working days by the official calendar (the default setting).
    due = datetime.fromisoformat(transfer["due_at"])
    assert add_working_days(before, 3) <= due <= add_working_days(datetime.now(UTC), 3)
    assert (await _case(cid))["state"] == "referred"
    names = [(e["name"], e["actor_label"]) for e in await _events(cid)]
    assert names[-2:] == [("industry_assoc.transferred", f"staff:{town.users['mediator0']['id']}"), ("refer", "plugin:industry_assoc")]
    for e in await _events(cid):
        if e["name"].startswith("industry_assoc."):
            assert "张三" not in str(e["payload"]) and "制衣厂" not in str(e["payload"])
    again = await _transfer(mediator, cid, assoc.registered["id"], expect=403)  # no longer in mediation
    assert again["status"] == 403

    # The association's staff see only their transfers, parties masked; they cannot open the case yet.
    staff = await login(assoc.staff)
    inbox = (await staff.get(f"{API}/transfers")).json()
    assert [t["id"] for t in inbox] == [transfer["id"]]
    detail = (await staff.get(f"{API}/transfers/{transfer['id']}")).json()
    assert detail["case"]["number"] and {p["name"] for p in detail["parties"]} == {"张*", "某某制衣厂"}
    assert (await staff.get(f"/api/v1/cases/{cid}")).status_code == 404
    # Another town's association sees nothing of it; the centre's mediator cannot answer for it.
    other_town = await make_town()
    await switch("industry_assoc", other_town.county, True)
    stranger = await add_association(other_town, login)
    stranger_api = await login(stranger.staff)
    assert (await stranger_api.get(f"{API}/transfers")).json() == []
    assert (await stranger_api.post(f"{API}/transfers/{transfer['id']}/accept", json={})).status_code == 404
    assert (await mediator.post(f"{API}/transfers/{transfer['id']}/accept", json={})).status_code == 404
    # The town's leader sees the association (it sits in the town) but does not answer for it.
    leader = await login(town.users["supervisor"])
    assert (await leader.post(f"{API}/transfers/{transfer['id']}/accept", json={})).status_code == 403
    html = (await staff.get("/admin/plugins/industry_assoc/inbox")).text
    assert "接收并调解" in html and "协会调解员" in html

    # Accepted: back in mediation, dispatched to the association's mediator.
    wrong = await staff.post(f"{API}/transfers/{transfer['id']}/accept", json={"mediator_id": town.mediators[1]["id"]})
    assert wrong.status_code == 400
    accepted = await staff.post(f"{API}/transfers/{transfer['id']}/accept", json={"mediator_id": assoc.mediator["mediator_id"]})
    assert accepted.status_code == 200, accepted.text
    case = await _case(cid)
    assert case["state"] == "assigned" and case["assignee"] == assoc.mediator["id"] and case["assigned_org"] == assoc.association["id"]
    assert [e["name"] for e in await _events(cid)][-3:] == ["industry_assoc.accepted", "resume", "redispatch"]
    assert (await staff.post(f"{API}/transfers/{transfer['id']}/decline", json={"reason": "晚了"})).status_code == 409

    # The association's mediator uses the core's tools; the agreement carries the association's seal.
    worker = await login(assoc.mediator)
    await worker.act(cid, "take")
    drafted = await worker.act(cid, "draft_agreement", facts="因疫情停业期间租金发生争议。", matters="租金减免。", responsibilities="双方协商。",
                               terms=[{"obligor": "业主", "obligee": "张三", "what": "减免两个月租金"}])
    aid = drafted["event"]["payload"]["agreement_id"]
    await worker.act(cid, "finalise_agreement", agreement_id=aid)
    snapshot = await AgreementSnapshot.select().where(AgreementSnapshot.agreement == aid).first()
    assert snapshot["organisation"] == assoc.association["id"]
    await worker.act(cid, "agree", facts="双方协商一致。", matters="租金减免。", terms=[{"obligor": "业主", "obligee": "张三", "what": "减免两个月租金"}])

    # After commit the outcome comes back to the transfer and the centre's timeline.
    await run_jobs()
    row = await Transfer.select().where(Transfer.id == transfer["id"]).first()
    assert row["status"] == "concluded" and row["outcome"] == "agreed"
    assert "industry_assoc.concluded" in [e["name"] for e in await _events(cid)]
    reported = await staff.post(f"{API}/transfers/{transfer['id']}/report", json={"report": "经协会调解,双方达成减租协议。"})
    assert reported.status_code == 200 and reported.json()["report"]
    # The centre (its desk; the committee's mediator no longer holds the case) reads the outcome.
    desk = await login(town.users["window"])
    panel = (await desk.get(f"/admin/plugins/industry_assoc/cases/{cid}/panel")).text
    assert "协会调解已结束" in panel and "调解成功" in panel and "双方达成减租协议" in panel

    stats = (await login(town.users["supervisor"])).get(f"{API}/stats")
    per = {a["association_id"]: a for a in (await stats).json()["associations"]}
    assert per[assoc.registered["id"]] | {} == per[assoc.registered["id"]]
    mine = per[assoc.registered["id"]]
    assert (mine["transfers"], mine["accepted"], mine["agreed"], mine["declined"], mine["timed_out"]) == (1, 1, 1, 0, 0)
    own = (await staff.get(f"{API}/stats")).json()["total"]
    assert own["transfers"] == 1 and own["success_rate"] == 1.0


async def test_decline_returns_the_case_to_the_centre(assoc: AssocTown, login: Any) -> None:
    town = assoc.town
    cid, mediator = await case_in_mediation(town, login)
    transfer = await _transfer(mediator, cid, assoc.registered["id"])
    staff = await login(assoc.staff)
    assert (await staff.post(f"{API}/transfers/{transfer['id']}/decline", json={"reason": ""})).status_code == 422
    declined = await staff.post(f"{API}/transfers/{transfer['id']}/decline", json={"reason": "不属于本会会员之间的纠纷"})
    assert declined.status_code == 200, declined.text
    case = await _case(cid)
    assert case["state"] == "in_mediation" and case["assignee"] == town.users["mediator0"]["id"]
    # Declined: the centre may transfer again (the action is back on the page).
    page = (await mediator.get(f"/api/v1/plugins/cases/{cid}")).json()
    assert [a["label"] for a in page["actions"] if a["plugin"] == "industry_assoc"] == ["转行业协会调解"]
    stats = (await staff.get(f"{API}/stats")).json()["total"]
    assert (stats["declined"], stats["acceptance_rate"]) == (1, 0.0)


async def test_no_answer_in_time_returns_the_case_urged(assoc: AssocTown, login: Any) -> None:
    town = assoc.town
    cid, mediator = await case_in_mediation(town, login)
    transfer = await _transfer(mediator, cid, assoc.registered["id"])
    await Transfer.update({Transfer.due_at: datetime.now(UTC) - timedelta(minutes=1)}).where(Transfer.id == transfer["id"])
    staff = await login(assoc.staff)
    late = await staff.post(f"{API}/transfers/{transfer['id']}/accept", json={})
    assert late.status_code == 409
    # The cron entry's job, through the outbox like any run.
    async with write_transaction():
        await enqueue("industry_assoc_expire", {"cron": "test"})
    await run_jobs()
    row = await Transfer.select().where(Transfer.id == transfer["id"]).first()
    assert row["status"] == "timed_out"
    case = await _case(cid)
    assert case["state"] == "in_mediation" and case["assignee"] == town.users["mediator0"]["id"]
    events = await _events(cid)
    tail = [(e["name"], e["actor_label"]) for e in events if e["name"] in ("industry_assoc.timed_out", "resume", "urge")]
    assert tail == [("industry_assoc.timed_out", "plugin:industry_assoc"), ("resume", "plugin:industry_assoc"), ("urge", "plugin:industry_assoc")]
    assert next(e for e in events if e["name"] == "urge")["payload"]["message"]
    # Idempotent: another run changes nothing.
    async with write_transaction():
        await enqueue("industry_assoc_expire", {"cron": "again"})
    await run_jobs()
    assert len(await _events(cid)) == len(events)
    stats = (await staff.get(f"{API}/stats")).json()["total"]
    assert stats["timed_out"] == 1


async def test_association_days_and_hand_back(assoc: AssocTown, login: Any) -> None:
    town = assoc.town
    admin = await login(assoc.admin)
    changed = await admin.client.patch(f"{API}/associations/{assoc.registered['id']}", json={"answer_working_days": 5}, headers=admin.headers)
    assert changed.status_code == 200 and changed.json()["answer_working_days"] == 5
    cid, mediator = await case_in_mediation(town, login)
    transfer = await _transfer(mediator, cid, assoc.registered["id"])
    row = await Transfer.select().where(Transfer.id == transfer["id"]).first()
    assert row["due_at"] == add_working_days(row["transferred_at"], 5)

    staff = await login(assoc.staff)
    # Accepted into the association's pool: any of its mediators takes it.
    await staff.post(f"{API}/transfers/{transfer['id']}/accept", json={})
    case = await _case(cid)
    assert case["in_pool"] and case["assigned_org"] == assoc.association["id"] and case["assignee"] is None
    worker = await login(assoc.mediator)
    await worker.act(cid, "take")
    back = await staff.post(f"{API}/transfers/{transfer['id']}/return", json={"reason": "一方拒绝协会调解"})
    assert back.status_code == 200, back.text
    case = await _case(cid)
    assert case["state"] == "assigned" and case["assignee"] == town.users["mediator0"]["id"]
    await mediator.act(cid, "take")
    # The centre's own agreement later is not counted as the association's.
    await mediator.act(cid, "fail", advice="litigation")
    await run_jobs()
    row = await Transfer.select().where(Transfer.id == transfer["id"]).first()
    assert row["status"] == "returned" and row["outcome"] == ""


async def test_veto_cancel_and_switch(assoc: AssocTown, login: Any) -> None:
    town = assoc.town
    cid, mediator = await case_in_mediation(town, login)
    # Referring to the plugin by hand skips the choice of association and the deadline: vetoed.
    vetoed = await mediator.act(cid, "refer", expect=409, plugin="industry_assoc", reason="转协会")
    assert "industry_assoc" in vetoed["detail"] and "转行业协会调解" in vetoed["detail"]
    transfer = await _transfer(mediator, cid, assoc.registered["id"])
    desk = await login(town.users["window"])
    closing = await desk.act(cid, "close", expect=409)
    assert "尚未答复" in closing["detail"]
    page = (await mediator.get(f"/api/v1/plugins/cases/{cid}")).json()
    [cancel] = [a for a in page["actions"] if a["plugin"] == "industry_assoc"]
    html = await mediator.post(cancel["url"], headers={"HX-Request": "true"})  # the button is an HTMX post
    assert html.status_code == 200 and "已撤回" in html.text
    assert (await _case(cid))["state"] == "in_mediation"

    # A resume by hand while a transfer waits cancels it too (the observer).
    await _transfer(mediator, cid, assoc.registered["id"])
    supervisor = await login(town.users["supervisor"])
    await supervisor.act(cid, "resume", result="中心收回自办")
    await run_jobs()
    statuses = [r["status"] for r in await Transfer.select(Transfer.status).where(Transfer.case_id == cid).order_by(Transfer.id)]
    assert statuses == ["cancelled", "cancelled"] and transfer["id"]

    # The town turns the plugin off: its pages and API are gone, nothing on the case page.
    await switch("industry_assoc", town.town, False)
    assert (await mediator.get(f"{API}/cases/{cid}")).status_code == 404
    page = (await mediator.get(f"/api/v1/plugins/cases/{cid}")).json()
    assert not [x for x in page["actions"] + page["panels"] if x["plugin"] == "industry_assoc"]
    await switch("industry_assoc", town.town, True)
    assert len((await mediator.get(f"{API}/cases/{cid}")).json()["transfers"]) == 2


async def test_admin_fragments_and_widget(assoc: AssocTown, login: Any) -> None:
    town = assoc.town
    cid, mediator = await case_in_mediation(town, login)
    form = await mediator.get(f"/admin/plugins/industry_assoc/cases/{cid}/transfer-form")
    assert form.status_code == 200 and assoc.association["name"] in form.text and 'name="association_id"' in form.text
    posted = await mediator.client.post(
        f"/admin/plugins/industry_assoc/cases/{cid}/transfer", data={"association_id": str(assoc.registered["id"]), "reason": "<b>急</b>"},
        headers={**mediator.headers, "HX-Request": "true"},
    )
    assert posted.status_code == 200 and "待协会答复" in posted.text
    row = await Transfer.select().where(Transfer.case_id == cid).first()
    assert row["reason"] == "<b>急</b>"
    staff = await login(assoc.staff)
    inbox = (await staff.get("/admin/plugins/industry_assoc/inbox")).text
    assert "&lt;b&gt;急&lt;/b&gt;" in inbox and "<b>急</b>" not in inbox
    declined = await staff.client.post(
        f"/admin/plugins/industry_assoc/transfers/{row['id']}/decline", data={"reason": "非会员纠纷"}, headers={**staff.headers, "HX-Request": "true"},
    )
    assert declined.status_code == 200 and "不予接收" in declined.text

    supervisor_user = town.users["supervisor"]
    widgets = (await (await login(supervisor_user)).get("/api/v1/plugins/widgets")).json()
    [widget] = [w for w in widgets if w["plugin"] == "industry_assoc"]
    assert "不予接收 1" in widget["html"]
    staff_widget = [w for w in (await staff.get("/api/v1/plugins/widgets")).json() if w["plugin"] == "industry_assoc"]
    assert "待答复转办" in staff_widget[0]["html"]
    stats = (await (await login(supervisor_user)).get("/admin/plugins/industry_assoc/stats")).text
    assert assoc.association["name"] in stats


async def test_adding_an_association_mediator(assoc: AssocTown, login: Any) -> None:
    org = assoc.association
    newcomer = await make_user(org, ["mediator"], "新调解员")
    outsider = await make_user(assoc.town.committee, ["mediator"], "外人")
    staff = await login(assoc.staff)
    added = await staff.post(f"{API}/associations/{assoc.registered['id']}/mediators", json={"user_id": newcomer["id"], "specialties": ["labour"]})
    assert added.status_code == 201, added.text
    assert (await staff.post(f"{API}/associations/{assoc.registered['id']}/mediators", json={"user_id": newcomer["id"]})).status_code == 409
    assert (await staff.post(f"{API}/associations/{assoc.registered['id']}/mediators", json={"user_id": outsider["id"]})).status_code == 400
    listed = (await staff.get(f"{API}/associations/{assoc.registered['id']}")).json()
    assert {m["name"] for m in listed["mediators"]} == {"协会调解员", "新调解员"}
