"""The tracking page and API: a link plus a fresh code opens one party's own case, and
nothing of the other side's ID number or address ever shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from core.cases.tables import Case, MediationSession, Party
from core.parties.tables import PartySession
from tests.parties.conftest import apply_online, open_session, party_client

pytestmark = pytest.mark.db

SECRET_ID = "44190019800101888X"
SECRET_ADDRESS = "东莞市大朗镇秘密路8号"


async def _fresh(app, codes, town):
    """An application from one client, whose session is dropped: only the link is kept."""
    async with party_client(app) as client:
        return await apply_online(client, codes, town)


async def test_link_needs_a_fresh_code(app, pc, codes, town):
    applied = await _fresh(app, codes, town)
    token = applied["tracking_token"]
    page = await pc.get(f"/track/{token}")
    assert page.status_code == 200 and "验证手机号" in page.text and applied["number"] not in page.text
    assert applied["phone"] not in page.text and applied["phone"][-4:] in page.text  # masked
    assert (await pc.get("/api/v1/party/case")).status_code == 401
    sent = await pc.post(f"/track/{token}/code")
    assert "验证码已发送" in sent.text
    wrong = await pc.post(f"/track/{token}/verify", data={"code": "12345x"})
    assert wrong.status_code == 400 and "验证码错误" in wrong.text
    ok = await pc.post(f"/track/{token}/verify", data={"code": codes.last(applied["phone"])})
    assert ok.status_code == 303 and ok.headers["location"] == f"/track/{token}"
    page = await pc.get(f"/track/{token}")
    assert applied["number"] in page.text and "正在等待调解中心受理" in page.text
    assert "等待调解中心受理" in page.text  # the next step


async def test_unknown_link_is_a_plain_404(pc):
    resp = await pc.get("/track/" + "x" * 43)
    assert resp.status_code == 404 and "链接无效" in resp.text
    assert (await pc.post("/api/v1/party/tracking/code", json={"token": "nope"})).status_code == 404


async def test_another_partys_link_and_code_cannot_open_it(app, codes, town):
    a = await _fresh(app, codes, town)
    b = await _fresh(app, codes, town)
    async with party_client(app) as client:
        # A's code, sent for A's link, does not open B's link.
        await client.post("/api/v1/party/tracking/code", json={"token": a["tracking_token"]})
        code_a = codes.last(a["phone"])
        refused = await client.post("/api/v1/party/tracking/session", json={"token": b["tracking_token"], "code": code_a})
        assert refused.status_code == 400
        session_a = (await client.post("/api/v1/party/tracking/session", json={"token": a["tracking_token"], "code": code_a})).json()
        # A's session sees A's case only, and does not open B's page.
        view = (await client.get("/api/v1/party/case", headers={"Authorization": f"Bearer {session_a['session_token']}"})).json()
        assert view["number"] == a["number"]
        client.cookies.set("jiefen_party", session_a["session_token"])
        page_b = await client.get(f"/track/{b['tracking_token']}")
        assert "验证手机号" in page_b.text and b["number"] not in page_b.text
        # Asking B's link for a code sends it to B's phone, never to A's.
        await client.post(f"/track/{b['tracking_token']}/code")
        assert codes.sent[-1]["phone"] == b["phone"]


async def test_other_sides_id_and_address_never_show(app, pc, codes, town, login):
    applied = await _fresh(app, codes, town)
    cid = applied["case_id"]
    await Party.update({Party.id_number: SECRET_ID, Party.address: SECRET_ADDRESS}).where(
        (Party.case == cid) & (Party.role == "respondent")
    )
    await Party.update({Party.kind: "person", Party.name: "赵大宝"}).where((Party.case == cid) & (Party.role == "respondent"))
    session = await open_session(pc, codes, applied["tracking_token"], applied["phone"])
    api = await pc.get("/api/v1/party/case", headers={"Authorization": f"Bearer {session}"})
    pc.cookies.set("jiefen_party", session)
    page = await pc.get(f"/track/{applied['tracking_token']}")
    assert applied["number"] in page.text
    for text in (api.text, page.text):
        assert SECRET_ID not in text and SECRET_ID[-4:] not in text and SECRET_ADDRESS not in text
        assert "赵大宝" not in text and "赵**" in text  # a person on the other side is masked
    respondent = next(p for p in api.json()["parties"] if p["role"] == "respondent")
    assert set(respondent) == {"role", "role_label", "name", "phone", "own"}


async def test_state_mediator_deadline_and_sessions(app, pc, codes, town, login):
    applied = await _fresh(app, codes, town)
    cid = applied["case_id"]
    desk = await login(town.users["window"])
    await desk.act(cid, "accept", rights_notified=True, consent=True)
    await desk.act(cid, "dispatch", mediator_id=town.mediators[0]["id"])
    worker = await login(town.mediators[0]["user"])
    await worker.act(cid, "take")
    when = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    await worker.act(cid, "schedule_session", scheduled_at=when.isoformat(), place="大朗镇调处中心", mode="video")
    session = await open_session(pc, codes, applied["tracking_token"], applied["phone"])
    view = (await pc.get("/api/v1/party/case", headers={"Authorization": f"Bearer {session}"})).json()
    assert view["state"] == "in_mediation" and "调解员正在处理" in view["plain"]
    assert view["mediator"]["name"] == "调解员0" and view["mediator"]["phone"] == "13900000000"
    assert view["next_step"]["kind"] in ("first_contact", "mediation") and view["next_step"]["due_at"]
    assert len(view["sessions"]) == 1 and view["sessions"][0]["mode_label"] == "线上视频"
    sid = view["sessions"][0]["id"]
    pc.cookies.set("jiefen_party", session)
    page = await pc.get(f"/track/{applied['tracking_token']}")
    assert "调解员0" in page.text and "tel:13900000000" in page.text and "加入日历" in page.text and "期限" in page.text
    ics = await pc.get(f"/track/{applied['tracking_token']}/sessions/{sid}/calendar.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in ics.content and "大朗镇调处中心".encode() in ics.content
    api_ics = await pc.get(f"/api/v1/party/case/sessions/{sid}/ics", headers={"Authorization": f"Bearer {session}"})
    assert api_ics.status_code == 200
    # A session of another case is not found through this one.
    other = await _fresh(app, codes, town)
    foreign = (await MediationSession.insert(
        MediationSession(case=other["case_id"], scheduled_at=when, place="别处")
    ).returning(MediationSession.id))[0]["id"]
    assert (await pc.get(f"/api/v1/party/case/sessions/{foreign}/ics", headers={"Authorization": f"Bearer {session}"})).status_code == 404


async def test_session_expires_and_ends(app, pc, codes, town, monkeypatch):
    from core.parties import otp
    from core.parties.settings import PartySettings

    monkeypatch.setattr(otp, "party_settings", lambda: PartySettings(otp_resend_seconds=0))
    applied = await _fresh(app, codes, town)
    session = await open_session(pc, codes, applied["tracking_token"], applied["phone"])
    auth = {"Authorization": f"Bearer {session}"}
    assert (await pc.get("/api/v1/party/case", headers=auth)).status_code == 200
    await PartySession.update({PartySession.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(PartySession.case == applied["case_id"])
    expired = await pc.get("/api/v1/party/case", headers=auth)
    assert expired.status_code == 401 and expired.json()["code"] == "party_session_required"
    session = await open_session(pc, codes, applied["tracking_token"], applied["phone"])
    assert (await pc.delete("/api/v1/party/session", headers={"Authorization": f"Bearer {session}"})).status_code == 204
    assert (await pc.get("/api/v1/party/case", headers={"Authorization": f"Bearer {session}"})).status_code == 401


async def test_cookie_forms_need_the_csrf_token(app, pc, codes, town):
    applied = await _fresh(app, codes, town)
    token = applied["tracking_token"]
    await pc.post(f"/track/{token}/code")
    await pc.post(f"/track/{token}/verify", data={"code": codes.last(applied["phone"])})
    page = await pc.get(f"/track/{token}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    forged = await pc.post(f"/track/{token}/messages", data={"text": "伪造"})
    assert forged.status_code == 401
    sent = await pc.post(f"/track/{token}/messages", data={"text": "请问什么时候联系我?", "csrf": csrf})
    assert sent.status_code == 303
    page = await pc.get(f"/track/{token}?done=messages")
    assert "请问什么时候联系我?" in page.text and "留言已送达" in page.text


async def test_withdraw_from_the_page(app, pc, codes, town):
    applied = await _fresh(app, codes, town)
    token = applied["tracking_token"]
    await pc.post(f"/track/{token}/code")
    await pc.post(f"/track/{token}/verify", data={"code": codes.last(applied["phone"])})
    csrf = re.search(r'name="csrf" value="([^"]+)"', (await pc.get(f"/track/{token}")).text).group(1)
    done = await pc.post(f"/track/{token}/withdraw", data={"reason": "双方已自行和解", "csrf": csrf})
    assert done.status_code == 303
    assert (await Case.select(Case.state).where(Case.id == applied["case_id"]).first())["state"] == "withdrawn"
    page = await pc.get(f"/track/{token}")
    assert "您已撤回申请" in page.text and "确认撤回" not in page.text
    logout = await pc.post(f"/track/{token}/logout", data={"csrf": csrf})
    assert logout.status_code == 303
    assert "验证手机号" in (await pc.get(f"/track/{token}")).text


async def test_party_adds_photos_by_api(app, pc, codes, town):
    from tests.parties.test_apply import png

    applied = await _fresh(app, codes, town)
    session = await open_session(pc, codes, applied["tracking_token"], applied["phone"])
    resp = await pc.post(
        "/api/v1/party/case/evidence", headers={"Authorization": f"Bearer {session}"},
        files=[("photos", ("补充.png", png(), "image/png"))],
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["items"][0]["content_type"] == "image/png"


async def test_staff_give_the_respondent_a_link(app, pc, codes, town, login):
    from tests.parties.conftest import mobile

    respondent_phone = mobile()
    async with party_client(app) as client:
        applied = await apply_online(
            client, codes, town, respondent={"name": "赵大宝", "phone": respondent_phone, "kind": "person"},
        )
    respondent = await Party.select(Party.id).where((Party.case == applied["case_id"]) & (Party.role == "respondent")).first()
    url = f"/api/v1/cases/{applied['case_id']}/parties/{respondent['id']}/tracking-link"
    desk = await login(town.users["window"])
    made = await desk.post(url)
    assert made.status_code == 201, made.text
    token = made.json()["tracking_token"]
    session = await open_session(pc, codes, token, respondent_phone)
    view = (await pc.get("/api/v1/party/case", headers={"Authorization": f"Bearer {session}"})).json()
    own = next(p for p in view["parties"] if p["own"])
    other = next(p for p in view["parties"] if not p["own"])
    assert own["role"] == "respondent" and own["name"] == "赵大宝"
    assert other["role"] == "applicant" and other["name"] == "王**"
    # A new link replaces the old one; staff of another town cannot make one.
    again = (await desk.post(url)).json()["tracking_token"]
    assert (await pc.get(f"/track/{token}")).status_code == 404 and (await pc.get(f"/track/{again}")).status_code == 200
    from tests.factories import make_town

    stranger = await login((await make_town()).users["window"])
    assert (await stranger.post(url)).status_code == 404
