"""The party's rating (评单) feeds the mediator's rating; the agreement is signed from the
party's page through the signing flow."""

from __future__ import annotations

import pytest

from core.cases.tables import CaseEvent, FollowUp
from core.jobs.runner import drain
from core.roster.tables import Mediator
from tests.parties.conftest import apply_online, drive_to_agreed, open_session, party_client

pytestmark = pytest.mark.db


async def _applied(app, codes, town):
    async with party_client(app) as client:
        return await apply_online(client, codes, town)


async def _mediator(town) -> dict:
    return await Mediator.select(Mediator.rating, Mediator.rating_count).where(Mediator.id == town.mediators[0]["id"]).first()


async def test_rating_feeds_the_mediators_rating(app, pc, codes, town, login):
    applied = await _applied(app, codes, town)
    session = await open_session(pc, codes, applied["tracking_token"], applied["phone"])
    auth = {"Authorization": f"Bearer {session}"}
    early = await pc.post("/api/v1/party/case/rating", json={"rating": 5}, headers=auth)
    assert early.status_code == 409 and "调解结束后" in early.json()["detail"]

    mediator_user = await drive_to_agreed(login, town, applied["case_id"])
    assert (await _mediator(town))["rating_count"] == 0
    view = (await pc.get("/api/v1/party/case", headers=auth)).json()
    assert view["can_rate"] and view["ask_performed"]
    rated = await pc.post("/api/v1/party/case/rating", json={"rating": 5, "comment": "调解员很耐心", "performed": True}, headers=auth)
    assert rated.status_code == 201, rated.text
    while await drain():
        pass
    after = await _mediator(town)
    assert after == {"rating": 5.0, "rating_count": 1}
    follow_up = await FollowUp.select().where(FollowUp.case == applied["case_id"]).first()
    assert follow_up["method"] == "online" and follow_up["rating"] == 5 and follow_up["performed"] is True
    event = await CaseEvent.select(CaseEvent.name, CaseEvent.actor_label, CaseEvent.payload).where(
        (CaseEvent.case == applied["case_id"]) & (CaseEvent.name == "party_rating")
    ).output(load_json=True).first()
    assert event["actor_label"] == "party" and "调解员很耐心" not in str(event["payload"])

    again = await pc.post("/api/v1/party/case/rating", json={"rating": 1}, headers=auth)
    assert again.status_code == 409
    # A staff follow-up's rating counts with the party's.
    worker = await login(mediator_user)
    await worker.act(applied["case_id"], "follow_up", method="phone", performed=True, rating=3)
    while await drain():
        pass
    assert await _mediator(town) == {"rating": 4.0, "rating_count": 2}


async def test_rating_from_the_page(app, pc, codes, town, login):
    import re

    applied = await _applied(app, codes, town)
    await drive_to_agreed(login, town, applied["case_id"])
    token = applied["tracking_token"]
    await pc.post(f"/track/{token}/code")
    await pc.post(f"/track/{token}/verify", data={"code": codes.last(applied["phone"])})
    page = await pc.get(f"/track/{token}")
    assert "回访与评价" in page.text and "对方是否已按协议履行" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    done = await pc.post(f"/track/{token}/rating", data={"csrf": csrf, "rating": "4", "performed": "no", "comment": "还没付钱"})
    assert done.status_code == 303
    page = await pc.get(done.headers["location"])
    assert "感谢您的评价" in page.text and "★★★★☆" in page.text
    follow_up = await FollowUp.select().where(FollowUp.case == applied["case_id"]).first()
    assert follow_up["performed"] is False and follow_up["comment"] == "还没付钱"


async def test_signing_link_on_the_party_page(app, pc, codes, town, login):
    applied = await _applied(app, codes, town)
    cid = applied["case_id"]
    desk = await login(town.users["window"])
    await desk.act(cid, "accept", rights_notified=True, consent=True)
    await desk.act(cid, "dispatch", mediator_id=town.mediators[0]["id"])
    worker = await login(town.mediators[0]["user"])
    await worker.act(cid, "take")
    drafted = await worker.act(
        cid, "draft_agreement", facts="欠薪三个月", matters="工资数额与支付期限",
        terms=[{"obligor": "某某毛织厂", "obligee": "王小明", "what": "支付工资", "amount": "12000.00", "due_date": "2026-12-31"}],
    )
    session = await open_session(pc, codes, applied["tracking_token"], applied["phone"])
    auth = {"Authorization": f"Bearer {session}"}
    view = (await pc.get("/api/v1/party/case", headers=auth)).json()
    assert view["agreement"]["status"] == "draft" and view["agreement"]["sign_url"] is None
    await worker.act(cid, "finalise_agreement", agreement_id=drafted["event"]["payload"]["agreement_id"])
    view = (await pc.get("/api/v1/party/case", headers=auth)).json()
    sign_url = view["agreement"]["sign_url"]
    assert view["agreement"]["status"] == "final" and sign_url.startswith("/sign/")
    pad = await pc.get(sign_url)
    assert pad.status_code == 200 and "签" in pad.text
    pc.cookies.set("jiefen_party", session)
    page = await pc.get(f"/track/{applied['tracking_token']}")
    # A fresh token per render (its expiry is in it), so compare the agreement and party parts.
    stable = sign_url.rsplit(".", 2)[0]
    assert f'href="{stable}.' in page.text and "在手机上签署协议" in page.text
