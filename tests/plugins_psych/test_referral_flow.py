"""The whole referral through the API and the admin fragments: consent, grading, the crisis
alert and banner, sessions whose notes only the counselling side reads, the close veto and a
supervisor's override, the return to mediation."""

from __future__ import annotations

from typing import Any

import pytest

from core.notifications.tables import Notification
from tests.plugins_psych.conftest import applicant_id, case_in_mediation, events, make_station

pytestmark = [pytest.mark.db, pytest.mark.plugin_psych]

SECRET = "当事人透露曾有轻生念头-机密笔记7731"
RESULT_SECRET = "结案说明-机密9902"
FOLLOW_SECRET = "回访情况-机密4410"


async def test_referral_end_to_end(town: Any, api: Any) -> None:
    station = await make_station(town)
    case, mediator = await case_in_mediation(api, town, dispute_type="marriage_family")
    cid = case["id"]
    party = await applicant_id(cid)

    # The case page: the button and an empty panel.
    shown = (await mediator.get(f"/api/v1/plugins/cases/{cid}")).json()
    assert [a["label"] for a in shown["actions"] if a["plugin"] == "psych"] == ["心理咨询转介"]
    [panel] = [p for p in shown["panels"] if p["plugin"] == "psych"]
    assert "尚无心理咨询转介" in panel["html"]

    # Consent is required and recorded.
    body = {"party_id": party, "consent": False, "grade": "yellow", "reason": "双方争吵激烈,申请人情绪低落"}
    refused = await mediator.post(f"/api/v1/plugins/psych/cases/{cid}/referrals", json=body)
    assert refused.status_code == 400 and "同意" in refused.json()["detail"]
    made = await mediator.post(f"/api/v1/plugins/psych/cases/{cid}/referrals", json={**body, "consent": True, "consent_method": "written"})
    assert made.status_code == 201, made.text
    ref = made.json()
    # A marriage-and-family dispute goes to the marriage-and-family counsellor.
    assert ref["counsellor"]["id"] == station.counsellors[0]["pool_id"]
    assert ref["status"] == "open" and ref["grade"] == "yellow" and ref["consent_method"] == "written"
    assert ref["next_follow_up_at"] is not None  # yellow: a follow-up schedule
    # The case waits in "referred", handed over by the plugin.
    timeline = await events(cid)
    assert [e["name"] for e in timeline[-2:]] == ["psych.referred", "refer"]
    assert timeline[-1]["payload"]["plugin"] == "psych" and timeline[-1]["actor_label"] == "plugin:psych"
    assert timeline[-2]["payload"] == {"referral_id": ref["id"], "grade": "yellow", "paused": True}
    # The counsellor was told.
    counsellor_user = station.counsellors[0]
    told = await Notification.select(Notification.kind).where(Notification.recipient == counsellor_user["id"])
    assert [n["kind"] for n in told] == ["psych_referral"]

    # The counsellor's queue and a session with private notes.
    counsellor = await api.login(counsellor_user)
    queue = (await counsellor.get("/api/v1/plugins/psych/queue")).json()
    assert [(q["id"], q["case_number"]) for q in queue] == [(ref["id"], case["number"])]
    assert queue[0]["party_name"] == "张三" and queue[0]["party_phone"] == "13800138000"  # they must reach the party
    session = await counsellor.post(
        f"/api/v1/plugins/psych/referrals/{ref['id']}/sessions",
        json={"held_at": "2026-11-24T10:00:00+08:00", "mode": "in_person", "minutes": 50, "notes": SECRET},
    )
    assert session.status_code == 201, session.text

    # Red: a crisis alert at once to the town's supervisor and the counsellor, and a banner.
    graded = await counsellor.post(f"/api/v1/plugins/psych/referrals/{ref['id']}/grade", json={"grade": "red", "reason": "评估有自伤风险"})
    assert graded.status_code == 200, graded.text
    alerts = await Notification.select(Notification.recipient, Notification.body).where(
        (Notification.case_id == cid) & (Notification.kind == "psych_crisis")
    )
    assert {a["recipient"] for a in alerts} == {town.users["supervisor"]["id"], counsellor_user["id"]}
    assert all(case["number"] in a["body"] and "红色" in a["body"] and SECRET not in a["body"] for a in alerts)
    assert [e["name"] for e in await events(cid)][-2:] == ["psych.graded", "psych.crisis_alert"]
    panel_html = (await mediator.get(f"/admin/plugins/psych/cases/{cid}/panel")).text
    assert "psych-banner crisis" in panel_html and "红色预警" in panel_html
    page = await mediator.get(f"/admin/cases/{cid}")  # the admin's case page gathers the panel
    assert page.status_code == 200 and 'id="psych-panel"' in page.text and "红色预警" in page.text

    # The counselling side reads the notes …
    mine = (await counsellor.get(f"/api/v1/plugins/psych/referrals/{ref['id']}")).json()
    assert mine["sessions"][0]["notes"] == SECRET and mine["gradings"][-1]["reason"] == "评估有自伤风险"
    station_head = await api.login(station.supervisor)
    assert SECRET in (await station_head.get(f"/admin/plugins/psych/referrals/{ref['id']}")).text

    # … everyone else sees that a session happened and the grade, never the notes.
    supervisor = await api.login(town.users["supervisor"])
    for who in (mediator, supervisor):
        seen = (await who.get(f"/api/v1/plugins/psych/referrals/{ref['id']}")).json()
        assert len(seen["sessions"]) == 1 and seen["grade"] == "red"
        assert "notes" not in seen["sessions"][0] and seen["gradings"][-1]["reason"] is None
        for url in (
            f"/api/v1/plugins/psych/referrals/{ref['id']}", f"/api/v1/plugins/psych/cases/{cid}",
            f"/api/v1/plugins/cases/{cid}", f"/admin/plugins/psych/cases/{cid}/panel",
            f"/api/v1/cases/{cid}", f"/api/v1/cases/{cid}/timeline",
        ):
            resp = await who.get(url)
            assert resp.status_code == 200, (url, resp.status_code)
            assert SECRET not in resp.text and "自伤风险" not in resp.text, url
        assert (await who.get(f"/admin/plugins/psych/referrals/{ref['id']}")).status_code == 404

    # The town's dashboard counts it, without names.
    widgets = (await supervisor.get("/api/v1/plugins/widgets", params={"organisation_id": town.town["id"]})).json()
    [widget] = [w for w in widgets if w["plugin"] == "psych"]
    assert "红 1" in widget["html"] and "张" not in widget["html"]

    # The close veto: not while a red referral is open …
    counsellor_back = await counsellor.post(f"/api/v1/plugins/psych/referrals/{ref['id']}/end", json={"keep_open": True})
    assert counsellor_back.status_code == 200 and counsellor_back.json()["status"] == "beside"
    assert (await events(cid))[-2]["name"] == "resume"  # the party is back in mediation
    await mediator.act(cid, "fail", advice="litigation")
    vetoed = await mediator.act(cid, "close", expect=409)
    assert "psych" in vetoed["detail"] and "红色" in vetoed["detail"]
    # … a mediator may not override; a supervisor may, with a reason that is recorded.
    assert (await mediator.post(f"/api/v1/plugins/psych/referrals/{ref['id']}/override", json={"reason": "x"})).status_code == 403
    overridden = await supervisor.post(f"/api/v1/plugins/psych/referrals/{ref['id']}/override", json={"reason": "已移交属地派出所和村委会监护小组"})
    assert overridden.status_code == 200 and overridden.json()["override"]["reason"] == "已移交属地派出所和村委会监护小组"
    assert (await events(cid))[-1]["name"] == "psych.close_override"
    await mediator.act(cid, "close")

    # The referral stays open beside the closed case until the counsellor ends it.
    ended = await counsellor.post(f"/api/v1/plugins/psych/referrals/{ref['id']}/end", json={"result": "medical", "note": RESULT_SECRET})
    assert ended.status_code == 200 and ended.json()["status"] == "ended" and ended.json()["result"] == "medical"
    assert RESULT_SECRET not in (await mediator.get(f"/api/v1/plugins/psych/cases/{cid}")).text

    # No personal data in the plugin's timeline payloads.
    for event in await events(cid):
        if event["name"].startswith("psych."):
            assert set(event["payload"]) <= {"referral_id", "grade", "paused", "recipients", "session_id", "follow_up_id", "result", "resumed", "remarks"}


async def test_ending_returns_the_party_to_mediation(town: Any, api: Any) -> None:
    station = await make_station(town)
    case, mediator = await case_in_mediation(api, town)
    cid = case["id"]
    ref = (await mediator.post(
        f"/api/v1/plugins/psych/cases/{cid}/referrals",
        json={"party_id": await applicant_id(cid), "consent": True, "consent_method": "oral", "grade": "green", "reason": "情绪焦虑"},
    )).json()
    assert ref["next_follow_up_at"] is None  # green: no follow-ups
    assert (await mediator.get(f"/api/v1/cases/{cid}")).json()["state"] == "referred"
    # The mediator cannot end it; the counsellor ends it with a result and the case resumes.
    assert (await mediator.post(f"/api/v1/plugins/psych/referrals/{ref['id']}/end", json={"result": "improved"})).status_code == 404
    counsellor = await api.login(next(c for c in station.counsellors if c["pool_id"] == ref["counsellor"]["id"]))
    missing = await counsellor.post(f"/api/v1/plugins/psych/referrals/{ref['id']}/end", json={})
    assert missing.status_code == 400 and "结果" in missing.json()["detail"]
    ended = await counsellor.post(f"/api/v1/plugins/psych/referrals/{ref['id']}/end", json={"result": "improved"})
    assert ended.json()["status"] == "ended"
    assert (await mediator.get(f"/api/v1/cases/{cid}")).json()["state"] == "in_mediation"
    timeline = await events(cid)
    assert [e["name"] for e in timeline[-2:]] == ["resume", "psych.ended"]
    assert timeline[-2]["actor_label"] == "plugin:psych"
    # A closed referral cannot be graded or counselled again.
    assert (await counsellor.post(f"/api/v1/plugins/psych/referrals/{ref['id']}/grade", json={"grade": "red", "reason": "x"})).status_code == 409


async def test_beside_the_case_and_one_open_referral_per_party(town: Any, api: Any) -> None:
    await make_station(town)
    case, mediator = await case_in_mediation(api, town)
    cid = case["id"]
    body = {"party_id": await applicant_id(cid), "consent": True, "grade": "green", "reason": "情绪焦虑", "pause": False}
    ref = (await mediator.post(f"/api/v1/plugins/psych/cases/{cid}/referrals", json=body)).json()
    assert ref["paused_case"] is False
    assert (await mediator.get(f"/api/v1/cases/{cid}")).json()["state"] == "in_mediation"
    again = await mediator.post(f"/api/v1/plugins/psych/cases/{cid}/referrals", json=body)
    assert again.status_code == 409
    # The party must belong to the case; the window clerk (not the case's worker) may not refer.
    other, _ = await case_in_mediation(api, town)
    assert (await mediator.post(f"/api/v1/plugins/psych/cases/{cid}/referrals", json={**body, "party_id": await applicant_id(other["id"])})).status_code == 404
    desk = await api.login(town.users["window"])
    assert (await desk.post(f"/api/v1/plugins/psych/cases/{cid}/referrals", json=body)).status_code == 403


async def test_admin_fragments(town: Any, api: Any) -> None:
    await make_station(town)
    case, mediator = await case_in_mediation(api, town)
    cid = case["id"]
    page = (await mediator.get(f"/admin/cases/{cid}")).text
    assert f'hx-get="/admin/plugins/psych/cases/{cid}/refer"' in page and 'hx-target="#psych-panel"' in page
    form = await mediator.get(f"/admin/plugins/psych/cases/{cid}/refer", headers={"HX-Request": "true"})
    assert form.status_code == 200 and 'id="psych-refer"' in form.text and "当事人已同意" in form.text
    assert form.headers["hx-reswap"] == "outerHTML"  # the answer replaces #psych-panel whole
    # Posting without consent answers the form again with the reason; with it, the panel.
    fields = {"party_id": str(await applicant_id(cid)), "grade": "yellow", "reason": "<script>alert(1)</script>", "consent_method": "written", "pause": "1"}
    again = await mediator.post(f"/admin/plugins/psych/cases/{cid}/refer", data=fields, headers={"HX-Request": "true"})
    assert again.status_code == 400 and "转介须经当事人同意" in again.text  # the core admin's status for a bad form
    done = await mediator.post(f"/admin/plugins/psych/cases/{cid}/refer", data={**fields, "consent": "1"}, headers={"HX-Request": "true"})
    assert done.status_code == 200 and "咨询中(调解暂停)" in done.text
    assert "&lt;script&gt;" in done.text and "<script>alert" not in done.text
