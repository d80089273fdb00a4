"""A decline gives the case back to mediation; a centre that does not decide in time is urged
and then the handoff is returned (a cron job that skips towns where the plugin is off); the
plugin off by default, switched off and on again without losing anything; the admin pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.notifications.tables import Notification
from plugins.legal_aid import jobs as legal_aid_jobs
from plugins.legal_aid import services
from plugins.legal_aid.tables import Handoff
from tests.plugins.conftest import switch
from tests.plugins_legal_aid.conftest import (
    MIGRANT_WAGES,
    case_in_mediation,
    events,
    make_centre,
    party_id,
)

pytestmark = [pytest.mark.db, pytest.mark.plugin_legal_aid, pytest.mark.pdf]


async def _handed_off(api: Any, town: Any, centre: Any) -> tuple[dict[str, Any], Any, dict[str, Any]]:
    case, mediator = await case_in_mediation(api, town)
    cid = case["id"]
    rows = (await mediator.post(
        f"/api/v1/plugins/legal_aid/cases/{cid}/screenings", json={"applicants": [{"party_id": await party_id(cid)}], "answers": MIGRANT_WAGES},
    )).json()
    made = await mediator.post(f"/api/v1/plugins/legal_aid/cases/{cid}/handoffs", json={"centre_id": centre.org["id"], "screening_ids": [rows[0]["id"]]})
    assert made.status_code == 201, made.text
    return case, mediator, made.json()


async def test_decline_returns_the_case_to_mediation(town: Any, api: Any) -> None:
    centre = await make_centre(town)
    case, mediator, handoff = await _handed_off(api, town, centre)
    staff = await api.login(centre.staff[0])
    declined = await staff.post(f"/api/v1/plugins/legal_aid/centre/handoffs/{handoff['id']}/decline", json={"reason": "申请人已委托律师"})
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert (await mediator.get(f"/api/v1/cases/{case['id']}")).json()["state"] == "in_mediation"
    timeline = await events(case["id"])
    assert [e["name"] for e in timeline[-2:]] == ["resume", "legal_aid.declined"]
    assert timeline[-2]["actor_label"] == "plugin:legal_aid"
    told = await Notification.select(Notification.kind).where(
        (Notification.recipient == town.mediators[0]["user"]["id"]) & (Notification.kind == "legal_aid_declined")
    )
    assert len(told) == 1
    view = (await mediator.get(f"/api/v1/plugins/legal_aid/cases/{case['id']}")).json()
    assert view["handoffs"][0]["decline_reason"] == "申请人已委托律师"
    # The applicant is free again: a new handoff may carry them.
    again = await mediator.post(
        f"/api/v1/plugins/legal_aid/cases/{case['id']}/handoffs", json={"centre_id": centre.org["id"], "screening_ids": [view["screenings"][0]["id"]], "pause": False},
    )
    assert again.status_code == 201 and again.json()["paused_case"] is False
    assert (await mediator.get(f"/api/v1/cases/{case['id']}")).json()["state"] == "in_mediation"


async def test_no_answer_in_time_is_urged_then_returned(town: Any, api: Any) -> None:
    centre = await make_centre(town)
    case, mediator, handoff = await _handed_off(api, town, centre)
    sent = datetime.now(UTC)
    # (The job covers every town's handoffs; look at this one.)
    async def state() -> dict[str, Any]:
        return await Handoff.select(Handoff.status, Handoff.urged_at).where(Handoff.id == handoff["id"]).first()

    # Before the deadline: nothing.
    await services.check_deadlines(sent + timedelta(days=6))
    assert (await state())["urged_at"] is None
    # Past the seven days: urged once, on the timeline, the centre told.
    after = sent + timedelta(days=7, hours=1)
    assert (await services.check_deadlines(after))["urged"] >= 1
    await services.check_deadlines(after)
    assert (await state())["status"] == "pending"
    assert [e["name"] for e in await events(case["id"])].count("legal_aid.urged") == 1
    assert (await events(case["id"]))[-1]["name"] == "legal_aid.urged"
    urges = await Notification.select(Notification.kind).where((Notification.recipient == centre.staff[0]["id"]) & (Notification.kind == "legal_aid_urge"))
    assert len(urges) == 1
    staff = await api.login(centre.staff[0])
    assert (await staff.get("/api/v1/plugins/legal_aid/centre/handoffs")).json()[0]["urged_at"] is not None
    # Past the grace period: returned, the case resumes, the mediator told; the centre can no longer answer.
    later = sent + timedelta(days=10, hours=2)
    assert (await services.check_deadlines(later))["returned"] >= 1
    row = await Handoff.select(Handoff.status).where(Handoff.id == handoff["id"]).first()
    assert row["status"] == "returned"
    assert (await mediator.get(f"/api/v1/cases/{case['id']}")).json()["state"] == "in_mediation"
    assert [e["name"] for e in await events(case["id"])][-2:] == ["resume", "legal_aid.returned"]
    assert (await staff.post(f"/api/v1/plugins/legal_aid/centre/handoffs/{handoff['id']}/accept")).status_code == 409


async def test_switched_off_town_is_skipped_and_nothing_is_lost(town: Any, api: Any) -> None:
    centre = await make_centre(town)
    case, mediator, handoff = await _handed_off(api, town, centre)
    await Handoff.update({Handoff.due_at: datetime.now(UTC) - timedelta(days=30)}).where(Handoff.id == handoff["id"])
    await switch("legal_aid", town.town, False)
    # The town's pages are gone, the centre no longer sees its case, the cron job passes it by.
    assert (await mediator.get(f"/api/v1/plugins/legal_aid/cases/{case['id']}")).status_code == 404
    shown = (await mediator.get(f"/api/v1/plugins/cases/{case['id']}")).json()
    assert not [x for x in shown["actions"] + shown["panels"] if x["plugin"] == "legal_aid"]
    staff = await api.login(centre.staff[0])
    assert (await staff.get("/api/v1/plugins/legal_aid/centre/handoffs")).json() == []
    assert (await staff.get(f"/api/v1/plugins/legal_aid/centre/handoffs/{handoff['id']}")).status_code == 404
    await legal_aid_jobs.deadlines({"cron": "legal_aid_deadlines"})
    row = await Handoff.select(Handoff.urged_at, Handoff.status).where(Handoff.id == handoff["id"]).first()
    assert row == {"urged_at": None, "status": "pending"}
    # On again: all there, and the overdue handoff is urged and returned in one run.
    await switch("legal_aid", town.town, True)
    assert len((await mediator.get(f"/api/v1/plugins/legal_aid/cases/{case['id']}")).json()["handoffs"]) == 1
    await services.check_deadlines()
    row = await Handoff.select(Handoff.urged_at, Handoff.status).where(Handoff.id == handoff["id"]).first()
    assert row["urged_at"] is not None and row["status"] == "returned"


async def test_off_by_default_and_centre_needs_its_own_switch(town: Any, api: Any) -> None:
    centre = await make_centre(town, on=False)
    case, mediator = await case_in_mediation(api, town)
    assert (await mediator.get(f"/api/v1/plugins/legal_aid/cases/{case['id']}")).status_code == 404
    await switch("legal_aid", town.town, True)
    assert (await mediator.get(f"/api/v1/plugins/legal_aid/cases/{case['id']}")).status_code == 200
    staff = await api.login(centre.staff[0])
    assert (await staff.get("/api/v1/plugins/legal_aid/centre/handoffs")).status_code == 404  # the centre's node is still off
    await switch("legal_aid", centre.org, True)
    assert (await staff.get("/api/v1/plugins/legal_aid/centre/handoffs")).status_code == 200


async def test_admin_fragments_and_centre_pages(town: Any, api: Any) -> None:
    centre = await make_centre(town)
    case, mediator = await case_in_mediation(api, town)
    cid = case["id"]
    shown = (await mediator.get(f"/api/v1/plugins/cases/{cid}")).json()
    assert [a["label"] for a in shown["actions"] if a["plugin"] == "legal_aid"] == ["法律援助资格筛查"]
    assert 'id="legal-aid-panel"' in (await mediator.get(f"/admin/cases/{cid}")).text
    form = await mediator.get(f"/admin/plugins/legal_aid/cases/{cid}/screen", headers={"HX-Request": "true"})
    assert form.headers["hx-reswap"] == "outerHTML"
    assert form.status_code == 200 and 'id="legal-aid-screen"' in form.text and "2000" in form.text
    hx = {"HX-Request": "true"}
    # A collective list typed in, exempt as migrant workers' wages.
    fields = {"workers": "王五,441900199001011234,13900000001,8000\n赵六,441900199202021234,13900000002,abc", "matter": "labour_pay", "exempt_category": "migrant_worker_wages"}
    bad = await mediator.post(f"/admin/plugins/legal_aid/cases/{cid}/screen", data=fields, headers=hx)
    assert "赵六 的请求金额不是数字" in bad.text
    fields["workers"] = fields["workers"].replace("abc", "7600")
    ok = await mediator.post(f"/admin/plugins/legal_aid/cases/{cid}/screen", data=fields, headers=hx)
    assert ok.status_code == 200 and ok.text.count("符合条件") == 2 and "转交法律援助中心" in ok.text
    handoff_form = await mediator.get(f"/admin/plugins/legal_aid/cases/{cid}/handoff")
    assert centre.org["name"] in handoff_form.text
    ids = [s["id"] for s in (await mediator.get(f"/api/v1/plugins/legal_aid/cases/{cid}")).json()["screenings"]]
    sent = await mediator.post(
        f"/admin/plugins/legal_aid/cases/{cid}/handoff",
        data={"centre_id": str(centre.org["id"]), "screening_id": [str(i) for i in ids], "note": "<b>急</b>", "pause": "1"}, headers=hx,
    )
    assert sent.status_code == 200 and "待中心决定" in sent.text and "申请人 2 人" in sent.text
    # The centre's pages: its list, the handoff, its forms.
    staff = await api.login(centre.staff[0])
    page = await staff.get("/admin/plugins/legal_aid/centre")
    assert page.status_code == 200 and case["number"] in page.text
    hid = (await staff.get("/api/v1/plugins/legal_aid/centre/handoffs")).json()[0]["id"]
    detail = await staff.get(f"/admin/plugins/legal_aid/centre/handoffs/{hid}")
    assert "王五" in detail.text and "&lt;b&gt;急&lt;/b&gt;" in detail.text and "<b>急</b>" not in detail.text
    nothing = await staff.post(f"/admin/plugins/legal_aid/centre/handoffs/{hid}/decline", data={"reason": ""}, headers=hx)
    assert "请填写不予法律援助的理由" in nothing.text
    accepted = await staff.post(f"/admin/plugins/legal_aid/centre/handoffs/{hid}/accept", data={}, headers=hx)
    assert "指派律师" in accepted.text
    lawyer = await staff.post(f"/admin/plugins/legal_aid/centre/handoffs/{hid}/lawyer", data={"name": "陈律师", "firm": "清河所"}, headers=hx)
    assert "维权途径" in lawyer.text
    routed = await staff.post(f"/admin/plugins/legal_aid/centre/handoffs/{hid}/route", data={"route": "arbitration"}, headers=hx)
    assert "办理结果" in routed.text
    done = await staff.post(f"/admin/plugins/legal_aid/centre/handoffs/{hid}/outcome", data={"outcome": "settled", "amount": "15600"}, headers=hx)
    assert "已办结" in done.text and "调解或和解" in done.text
    assert [e["name"] for e in await events(cid)][-1] == "legal_aid.outcome"
