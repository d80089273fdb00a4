"""The counsellor pool, the follow-up schedule (a cron job that skips towns where the plugin is
off), the plugin switched off and on for a town, and who may see what across stations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.auth.service import actor_for_user
from core.notifications.tables import Notification
from plugins.psych import jobs, services
from plugins.psych.tables import FollowUp, Referral
from tests.factories import make_town, make_user
from tests.plugins.conftest import switch
from tests.plugins_psych.conftest import applicant_id, case_in_mediation, make_station, patch

pytestmark = [pytest.mark.db, pytest.mark.plugin_psych]


async def test_pool_keepers_availability_and_load(town: Any, api: Any) -> None:
    station = await make_station(town, specialties=[["youth"], ["crisis"]])
    keeper = await api.login(town.users["supervisor"])
    # A keeper over the station adds to the pool; the account must be a counsellor there.
    stranger = await make_user(town.town, ["mediator"], "非咨询师")
    bad = await keeper.post("/api/v1/plugins/psych/counsellors", json={"station_id": station.org["id"], "name": "x", "user_id": stranger["id"]})
    assert bad.status_code == 400
    unknown = await keeper.post("/api/v1/plugins/psych/counsellors", json={"station_id": station.org["id"], "name": "x", "specialties": ["astrology"]})
    assert unknown.status_code == 400
    external = await keeper.post("/api/v1/plugins/psych/counsellors", json={"station_id": station.org["id"], "name": "外聘咨询师", "specialties": ["marriage_family"], "max_load": 1})
    assert external.status_code == 201 and external.json()["load"] == 0
    listed = (await keeper.get("/api/v1/plugins/psych/counsellors")).json()
    assert len(listed) == 3
    # Another county's supervisor does not see this station.
    other = await make_town()
    await switch("psych", other.town, True)
    outsider = await api.login(other.users["supervisor"])
    assert (await outsider.post("/api/v1/plugins/psych/counsellors", json={"station_id": station.org["id"], "name": "x"})).status_code == 404
    assert (await outsider.get("/api/v1/plugins/psych/counsellors")).json() == []

    # A counsellor may switch their own availability, nothing else.
    me = await api.login(station.counsellors[0])
    mine = station.counsellors[0]["pool_id"]
    assert (await patch(me, f"/api/v1/plugins/psych/counsellors/{mine}", {"available": False})).json()["available"] is False
    assert (await patch(me, f"/api/v1/plugins/psych/counsellors/{mine}", {"max_load": 50})).status_code == 403
    assert (await patch(me, f"/api/v1/plugins/psych/counsellors/{station.counsellors[1]['pool_id']}", {"available": False})).status_code == 404

    # Ranking: red goes to the crisis specialist; the unavailable one is never offered.
    case, mediator = await case_in_mediation(api, town, dispute_type="marriage_family")
    actor = await actor_for_user(town.mediators[0]["user"]["id"])
    from core.plugins import get_case

    row = await get_case(case["id"], actor)
    assert [c["name"] for c in await services.candidates(row, "red")] == ["心理咨询师1", "外聘咨询师"]
    assert [c["name"] for c in await services.candidates(row, "green")] == ["外聘咨询师", "心理咨询师1"]
    # Load: the external counsellor takes one referral, then is full.
    body = {"party_id": await applicant_id(case["id"]), "consent": True, "grade": "green", "reason": "焦虑", "counsellor_id": external.json()["id"]}
    assert (await mediator.post(f"/api/v1/plugins/psych/cases/{case['id']}/referrals", json=body)).status_code == 201
    assert [c["name"] for c in await services.candidates(row, "green")] == ["心理咨询师1"]
    shown = (await mediator.get(f"/api/v1/plugins/psych/cases/{case['id']}")).json()
    assert [c["name"] for c in shown["candidates"]] == ["心理咨询师1"]


async def test_red_at_referral_alerts_and_follow_ups_fall_due(town: Any, api: Any) -> None:
    station = await make_station(town)
    case, mediator = await case_in_mediation(api, town)
    cid = case["id"]
    ref = (await mediator.post(
        f"/api/v1/plugins/psych/cases/{cid}/referrals",
        json={"party_id": await applicant_id(cid), "consent": True, "grade": "red", "reason": "扬言同归于尽"},
    )).json()
    crisis_counsellor = station.counsellors[1]  # the crisis specialist
    assert ref["counsellor"]["id"] == crisis_counsellor["pool_id"]
    alerted = {n["recipient"] for n in await Notification.select(Notification.recipient).where(
        (Notification.case_id == cid) & (Notification.kind == "psych_crisis")
    )}
    assert alerted == {town.users["supervisor"]["id"], crisis_counsellor["id"]}
    # The county's supervisor and the mediator are not in the town's crisis circle.
    assert town.users["county_supervisor"]["id"] not in alerted

    # Red: daily follow-ups. Nothing is due yet; tomorrow one is, once, and the counsellor is told.
    # (The job covers every town's referrals; count this one's follow-ups.)
    await services.make_follow_ups_due(datetime.now(UTC))
    assert not await FollowUp.exists().where(FollowUp.referral == ref["id"])
    tomorrow = datetime.now(UTC) + timedelta(days=1, minutes=5)
    assert await services.make_follow_ups_due(tomorrow) >= 1
    await services.make_follow_ups_due(tomorrow)
    [due] = await FollowUp.select().where(FollowUp.referral == ref["id"])
    assert due["status"] == "due"
    told = await Notification.select(Notification.kind).where((Notification.recipient == crisis_counsellor["id"]) & (Notification.kind == "psych_follow_up_due"))
    assert len(told) == 1
    row = await Referral.select(Referral.next_follow_up_at).where(Referral.id == ref["id"]).first()
    assert row["next_follow_up_at"] > tomorrow

    counsellor = await api.login(crisis_counsellor)
    assert (await mediator.post(f"/api/v1/plugins/psych/follow_ups/{due['id']}/done", json={"notes": "x"})).status_code == 404
    done = await counsellor.post(f"/api/v1/plugins/psych/follow_ups/{due['id']}/done", json={"notes": "回访-机密"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    seen = (await mediator.get(f"/api/v1/plugins/psych/referrals/{ref['id']}")).json()
    assert seen["follow_ups"][0]["status"] == "done" and "回访-机密" not in str(seen)
    assert (await counsellor.get(f"/api/v1/plugins/psych/referrals/{ref['id']}")).json()["follow_ups"][0]["notes"] == "回访-机密"

    # Green stops the schedule.
    await counsellor.post(f"/api/v1/plugins/psych/referrals/{ref['id']}/grade", json={"grade": "green", "reason": "情绪平稳"})
    row = await Referral.select(Referral.next_follow_up_at).where(Referral.id == ref["id"]).first()
    assert row["next_follow_up_at"] is None


async def test_cron_skips_towns_where_off_and_switching_loses_nothing(town: Any, api: Any) -> None:
    await make_station(town)
    case, mediator = await case_in_mediation(api, town)
    cid = case["id"]
    ref = (await mediator.post(
        f"/api/v1/plugins/psych/cases/{cid}/referrals",
        json={"party_id": await applicant_id(cid), "consent": True, "grade": "yellow", "reason": "焦虑"},
    )).json()

    # The town turns the plugin off: routes 404, nothing on the case page, no veto, no follow-ups.
    await switch("psych", town.town, False)
    assert (await mediator.get(f"/api/v1/plugins/psych/cases/{cid}")).status_code == 404
    assert (await mediator.get(f"/admin/plugins/psych/cases/{cid}/panel")).status_code == 404
    shown = (await mediator.get(f"/api/v1/plugins/cases/{cid}")).json()
    assert not [x for x in shown["actions"] + shown["panels"] if x["plugin"] == "psych"]
    await Referral.update({Referral.next_follow_up_at: datetime.now(UTC) - timedelta(hours=1)}).where(Referral.id == ref["id"])
    assert await jobs.follow_ups({"cron": "psych_follow_ups"}) == 0
    assert not await FollowUp.exists().where(FollowUp.referral == ref["id"])

    # On again: the referral is still there and its follow-up falls due at the next run.
    await switch("psych", town.town, True)
    assert [r["id"] for r in (await mediator.get(f"/api/v1/plugins/psych/cases/{cid}")).json()["referrals"]] == [ref["id"]]
    assert await services.make_follow_ups_due() >= 1
    assert await FollowUp.exists().where(FollowUp.referral == ref["id"])


async def test_bundled_plugin_is_off_by_default(town: Any, api: Any) -> None:
    case, mediator = await case_in_mediation(api, town)
    assert (await mediator.get(f"/api/v1/plugins/psych/cases/{case['id']}")).status_code == 404
    shown = (await mediator.get(f"/api/v1/plugins/cases/{case['id']}")).json()
    assert not [x for x in shown["panels"] if x["plugin"] == "psych"]


async def test_other_stations_and_roles_never_read_notes(town: Any, api: Any) -> None:
    station = await make_station(town)
    other_station = await make_station(town, specialties=[["marriage_family"], ["crisis"]])
    case, mediator = await case_in_mediation(api, town)
    cid = case["id"]
    ref = (await mediator.post(
        f"/api/v1/plugins/psych/cases/{cid}/referrals",
        json={"party_id": await applicant_id(cid), "consent": True, "grade": "yellow", "reason": "焦虑", "counsellor_id": station.counsellors[0]["pool_id"]},
    )).json()
    counsellor = await api.login(station.counsellors[0])
    await counsellor.post(
        f"/api/v1/plugins/psych/referrals/{ref['id']}/sessions",
        json={"held_at": "2026-11-24T10:00:00+08:00", "notes": "只给咨询师看-5521"},
    )
    # A colleague at the same station reads it (hand-over); one at another station does not exist for it.
    colleague = await api.login(station.counsellors[1])
    assert "只给咨询师看-5521" in (await colleague.get(f"/api/v1/plugins/psych/referrals/{ref['id']}")).text
    stranger = await api.login(other_station.counsellors[0])
    assert (await stranger.get(f"/api/v1/plugins/psych/referrals/{ref['id']}")).status_code == 404
    assert (await stranger.get("/api/v1/plugins/psych/queue")).json() == []
    # Nor may the other station's counsellor record a session or end it; the mediator may not record one.
    assert (await stranger.post(f"/api/v1/plugins/psych/referrals/{ref['id']}/sessions", json={"held_at": "2026-11-24T10:00:00+08:00"})).status_code == 404
    assert (await mediator.post(f"/api/v1/plugins/psych/referrals/{ref['id']}/sessions", json={"held_at": "2026-11-24T10:00:00+08:00"})).status_code == 404
    # The town's administrator sees the case and that sessions happened, not the notes. (The
    # county's would get 404: the plugin is on for the town only.)
    admin_user = await make_user(town.town, ["admin"], "镇管理员")
    admin = await api.login(admin_user)
    seen = await admin.get(f"/api/v1/plugins/psych/referrals/{ref['id']}")
    assert seen.status_code == 200 and len(seen.json()["sessions"]) == 1 and "只给咨询师看-5521" not in seen.text
    # The counsellor's pages.
    page = await counsellor.get(f"/admin/plugins/psych/referrals/{ref['id']}")
    assert page.status_code == 200 and "只给咨询师看-5521" in page.text and "<!doctype html>" in page.text
    assert case["number"] in (await counsellor.get("/admin/plugins/psych/queue")).text
    fragment = await counsellor.post(
        f"/admin/plugins/psych/referrals/{ref['id']}/sessions",
        data={"held_at": "2026-11-25T09:30", "mode": "phone", "minutes": "30", "notes": "第二次-电话"}, headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200 and "第二次-电话" in fragment.text and "<!doctype" not in fragment.text
    assert "2026-11-25 09:30" in fragment.text  # shown in local time, as entered
