"""Who may sign what, with which image; drafts after finalising; the oral path; two last
signers at once."""

from __future__ import annotations

import asyncio

import pytest

from core.cases.tables import Agreement, CaseEvent
from tests.agreements.helpers import (
    AGREEMENT,
    TERMS,
    case_in_mediation,
    data_url,
    final_agreement,
    pad,
    prepare_town,
    scanned_page_jpeg,
    sign_party_by_link,
)
from tests.factories import make_user

pytestmark = pytest.mark.db


async def _status(api, aid):
    return (await api.get(f"/api/v1/agreements/{aid}/signatures")).json()


async def test_oral_agreement_still_works(town, login):
    cid, _desk, mediator = await case_in_mediation(town, login)
    missing = await mediator.post(f"/api/v1/cases/{cid}/actions/agree", json={"facts": "欠薪"})
    assert missing.status_code == 422
    done = await mediator.act(cid, "agree", facts="欠薪", matters="数额", terms=TERMS)
    assert done["case"]["state"] == "agreed" and done["event"]["payload"]["form"] == "oral"
    row = await Agreement.select().where(Agreement.case == cid).first()
    assert row["status"] == "effective" and row["effective_at"] is not None


async def test_written_and_oral_are_exclusive_and_drafts_need_text(town, login):
    await prepare_town(town, login)
    cid, _desk, mediator = await case_in_mediation(town, login)
    aid = await final_agreement(mediator, cid)
    both = await mediator.post(f"/api/v1/cases/{cid}/actions/agree", json={"agreement_id": aid, "facts": "x", "matters": "y", "terms": TERMS})
    assert both.status_code == 422
    empty = await mediator.post(f"/api/v1/cases/{cid}/actions/draft_agreement", json={"facts": "只有事实"})
    assert empty.status_code == 422
    other = await login(town.users["mediator1"])
    assert (await other.post(f"/api/v1/cases/{cid}/actions/draft_agreement", json=AGREEMENT)).status_code == 403


async def test_new_draft_supersedes_a_final_only_before_signatures(town, login):
    await prepare_town(town, login)
    cid, _desk, mediator = await case_in_mediation(town, login)
    first = await final_agreement(mediator, cid)
    second = await final_agreement(mediator, cid, facts="改正了事实")
    assert (await Agreement.select(Agreement.status).where(Agreement.id == first).first())["status"] == "superseded"
    assert (await mediator.post(f"/api/v1/cases/{cid}/actions/finalise_agreement", json={"agreement_id": first})).status_code == 409
    party = next(r for r in (await _status(mediator, second))["required"] if r["kind"] == "party")
    await sign_party_by_link(mediator, second, party["party_id"])
    blocked = await mediator.post(f"/api/v1/cases/{cid}/actions/draft_agreement", json=AGREEMENT)
    assert blocked.status_code == 409 and "签署" in blocked.json()["detail"]
    # A superseded final cannot be signed either.
    link = await mediator.post(f"/api/v1/agreements/{first}/sign-links", json={"party_id": party["party_id"]})
    assert link.status_code == 404


async def test_signature_images_are_checked(town, login):
    await prepare_town(town, login)
    cid, _desk, mediator = await case_in_mediation(town, login)
    aid = await final_agreement(mediator, cid)
    party = next(r for r in (await _status(mediator, aid))["required"] if r["kind"] == "party")
    url = f"/api/v1/agreements/{aid}/signatures"

    async def attempt(image, method="pad"):
        return await mediator.post(url, json={"signer": "party", "party_id": party["party_id"], "method": method, "image": image})

    gif = b"GIF89a" + b"\x00" * 64
    assert (await attempt(data_url(gif, "image/png"))).status_code == 415, "checked by content, not by the declared type"
    assert (await attempt(data_url(scanned_page_jpeg(), "image/jpeg"))).status_code == 415, "a pad gives PNG only"
    assert (await attempt("data:image/png;base64,!!!notbase64!!!")).status_code == 415
    import io

    from PIL import Image

    blank = io.BytesIO()
    Image.new("RGBA", (400, 150), (0, 0, 0, 0)).save(blank, "PNG")
    empty = await attempt(data_url(blank.getvalue()))
    assert empty.status_code == 422 and "签名为空" in empty.json()["detail"]
    huge = io.BytesIO()
    Image.effect_noise((900, 900), 120).convert("RGB").save(huge, "PNG")
    assert len(huge.getvalue()) > 512 * 1024
    assert (await attempt(data_url(huge.getvalue()))).status_code == 413
    scan = await attempt(data_url(scanned_page_jpeg(), "image/jpeg"), method="scanned_paper")
    assert scan.status_code == 201, scan.text
    assert (await _status(mediator, aid))["required"][0]["method"] == "scanned_paper"


async def test_only_the_mediator_signs_as_mediator_and_seal_needs_leader(town, login):
    await prepare_town(town, login)
    cid, desk, mediator = await case_in_mediation(town, login)
    aid = await final_agreement(mediator, cid)
    # The window staff may hold the pad for a party, but not sign as the mediator or seal.
    as_mediator = await desk.post(f"/api/v1/agreements/{aid}/signatures", json={"signer": "mediator", "image": pad()})
    assert as_mediator.status_code == 404, "the window clerk is not asked to sign as mediator"
    assert (await desk.post(f"/api/v1/agreements/{aid}/seal")).status_code == 403
    outsider = await login(await make_user(town.labour_dept, ["mediator"], "别处的人"))
    assert (await outsider.get(f"/api/v1/agreements/{aid}/signatures")).status_code == 404


async def test_seal_is_set_by_an_administrator(town, login):
    desk = await login(town.users["window"])
    from tests.agreements.helpers import seal_png

    refused = await desk.client.put(f"/api/v1/organisations/{town.committee['id']}/seal", json={"image": data_url(seal_png())}, headers=desk.headers)
    assert refused.status_code == 403
    admin = await prepare_town(town, login)
    info = (await admin.get(f"/api/v1/organisations/{town.committee['id']}/seal")).json()
    assert info["set"] and len(info["sha256"]) == 64
    image = await admin.get(f"/api/v1/organisations/{town.committee['id']}/seal.png")
    assert image.content.startswith(b"\x89PNG")
    not_committee = await admin.client.put(f"/api/v1/organisations/{town.labour_dept['id']}/seal", json={"image": data_url(seal_png())}, headers=admin.headers)
    assert not_committee.status_code == 404


async def test_sign_links_are_signed_and_expire(town, login, client, monkeypatch):
    await prepare_town(town, login)
    cid, _desk, mediator = await case_in_mediation(town, login)
    aid = await final_agreement(mediator, cid)
    party = next(r for r in (await _status(mediator, aid))["required"] if r["kind"] == "party")
    link = (await mediator.post(f"/api/v1/agreements/{aid}/sign-links", json={"party_id": party["party_id"]})).json()
    page = await client.get(link["path"])
    assert page.status_code == 200 and party["name"] in page.text and "13800138000" not in page.text
    assert "<canvas" in page.text and "/sign/pad.js" in page.text
    forged = link["path"].replace(f".{party['party_id']}.", f".{party['party_id'] + 1}.", 1)
    assert (await client.get(forged)).status_code == 404
    assert (await client.post(forged, json={"image": pad(), "consent": True})).status_code == 404
    no_consent = await client.post(link["path"], json={"image": pad()})
    assert no_consent.status_code == 422
    import time

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 31 * 60)
    expired = await client.post(link["path"], json={"image": pad(), "consent": True})
    assert expired.status_code == 404 and "过期" in expired.json()["detail"]
    monkeypatch.setattr(time, "time", real)
    assert (await client.get("/sign/pad.js")).headers["content-type"].startswith("text/javascript")


async def test_two_last_signers_at_once_take_effect_once(town, login):
    await prepare_town(town, login)
    cid, _desk, mediator = await case_in_mediation(town, login)
    aid = await final_agreement(mediator, cid)
    required = (await _status(mediator, aid))["required"]
    applicant, respondent = [r for r in required if r["kind"] == "party"]
    await mediator.post(f"/api/v1/agreements/{aid}/seal")
    await sign_party_by_link(mediator, aid, applicant["party_id"])

    link = (await mediator.post(f"/api/v1/agreements/{aid}/sign-links", json={"party_id": respondent["party_id"]})).json()
    results = await asyncio.gather(
        mediator.client.post(link["path"], json={"image": pad("厂方"), "consent": True}),
        mediator.post(f"/api/v1/agreements/{aid}/signatures", json={"signer": "mediator", "image": pad("调解员")}),
    )
    assert [r.status_code for r in results] == [201, 201], [r.text for r in results]
    assert sorted(r.json()["effective"] for r in results) == [False, True]
    names = [e["name"] for e in await CaseEvent.select(CaseEvent.name).where(CaseEvent.case == cid)]
    assert names.count("agree") == 1 and names.count("sign_agreement") == 4


async def test_an_api_key_never_signs_seals_or_makes_sign_links(town, login, client):
    """A key has no person behind it: even ``*`` with the mediator role is refused, with the
    reason, on every signing route; the scope that would name signing is not grantable."""
    admin = await prepare_town(town, login)
    cid, _desk, mediator = await case_in_mediation(town, login)
    aid = await final_agreement(mediator, cid)
    made = await admin.post("/api/v1/integrations/keys", json={
        "name": "调解App", "organisation_id": town.town["id"], "scopes": ["*"], "roles": ["mediator", "window_staff"]})
    assert made.status_code == 201, made.text
    bearer = {"Authorization": f"Bearer {made.json()['key']}"}
    status = (await client.get(f"/api/v1/agreements/{aid}/signatures", headers=bearer)).json()
    party = next(r["party_id"] for r in status["required"] if r["kind"] == "party")
    attempts = [
        (f"/api/v1/agreements/{aid}/signatures", {"signer": "mediator", "image": pad("调解员")}),
        (f"/api/v1/agreements/{aid}/signatures", {"signer": "party", "party_id": party, "method": "kiosk", "image": pad()}),
        (f"/api/v1/agreements/{aid}/seal", None),
        (f"/api/v1/agreements/{aid}/sign-links", {"party_id": party}),
    ]
    words = {
        "zh-CN": "API 密钥不能签署协议或加盖印章：须由本人用自己的账号登录后办理。",
        "en": "An API key cannot sign an agreement or apply a seal: a person must do it, signed in with their own account.",
    }
    for url, body in attempts:
        for language, detail in words.items():
            resp = await client.post(url, json=body, headers={**bearer, "Accept-Language": language})
            assert resp.status_code == 403 and resp.json()["detail"] == detail, (url, body, resp.text)
    assert (await _status(mediator, aid))["collected"] == 0
    asked = await admin.post("/api/v1/integrations/keys", json={
        "name": "签字App", "organisation_id": town.town["id"], "scopes": ["cases:read", "agreements:sign"]})
    assert asked.status_code == 422 and asked.json()["detail"] == words["zh-CN"], asked.text
    assert asked.json()["errors"] == [{"field": "scopes", "message": "not for a key: agreements:sign"}]
