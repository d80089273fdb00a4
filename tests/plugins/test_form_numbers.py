"""A plugin's admin form with a number that is none ("abc", a superscript "²" that ``isdigit()``
takes and ``int()`` refuses, one past the database's integers) is refused with 422 in the user's
language and nothing written, where ``int()`` raised a ValueError (a 500) or the input was
quietly dropped. Sums of money must be sums: no NaN, no Infinity, none below zero."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth.tables import StaffUser
from plugins.industry_assoc.tables import Transfer
from plugins.judicial_confirm.tables import Consent, Material
from plugins.legal_aid.tables import Handoff, Screening
from plugins.psych.tables import CounsellingSession, Referral
from tests.plugins.conftest import Client, case_in_mediation, switch
from tests.plugins_industry_assoc.conftest import API as ASSOC_API
from tests.plugins_industry_assoc.conftest import add_association
from tests.plugins_industry_assoc.conftest import case_in_mediation as assoc_case
from tests.plugins_judicial_confirm.conftest import API as COURT_API
from tests.plugins_judicial_confirm.conftest import add_court, agreed_case
from tests.plugins_legal_aid.conftest import MIGRANT_WAGES, make_centre
from tests.plugins_legal_aid.conftest import party_id as legal_aid_party
from tests.plugins_psych.conftest import applicant_id, make_station
from tests.web.conftest import BROWSER, HTMX

pytestmark = [pytest.mark.db, pytest.mark.plugin_psych, pytest.mark.plugin_industry_assoc, pytest.mark.plugin_legal_aid,
              pytest.mark.plugin_judicial_confirm]
NOT_NUMBERS = ("abc", "²", "12x", "99999999999")
WHOLE_NUMBER = "请填写整数。"


async def test_legal_aid_screening_with_a_bad_party_id(town: Any, client: Any) -> None:
    await make_centre(town)
    api = Client(client)
    case, mediator = await case_in_mediation(api, town)
    url = f"/admin/plugins/legal_aid/cases/{case['id']}/screen"
    for bad in NOT_NUMBERS:
        hx = await mediator.post(url, data={"party_id": bad, **MIGRANT_WAGES}, headers=HTMX)
        assert hx.status_code == 422 and WHOLE_NUMBER in hx.text and 'id="legal-aid-screen"' in hx.text, (bad, hx.text[:300])
    # A plain form (JavaScript off): the form again on a page of its own, the error in it.
    plain = await client.post(url, data={"party_id": "abc", "_csrf": mediator.headers["X-CSRF-Token"], **MIGRANT_WAGES},
                              headers={"Cookie": mediator.headers["Cookie"], **BROWSER})
    assert plain.status_code == 422 and "<html" in plain.text and WHOLE_NUMBER in plain.text
    assert not await Screening.exists().where(Screening.case_id == case["id"])

    await StaffUser.update({StaffUser.locale: "en"}).where(StaffUser.id == town.mediators[0]["user"]["id"])
    api.sessions.clear()
    english = await (await api.login(town.mediators[0]["user"])).post(url, data={"party_id": "abc", **MIGRANT_WAGES}, headers=HTMX)
    assert english.status_code == 422 and "Please enter a whole number." in english.text and WHOLE_NUMBER not in english.text

    good = await mediator.post(url, data={"party_id": str(await legal_aid_party(case["id"])), **MIGRANT_WAGES}, headers=HTMX)
    assert good.status_code == 200 and await Screening.exists().where(Screening.case_id == case["id"])


async def test_legal_aid_handoff_and_amounts(town: Any, client: Any) -> None:
    centre = await make_centre(town)
    api = Client(client)
    case, mediator = await case_in_mediation(api, town)
    cid = case["id"]
    rows = (await mediator.post(f"/api/v1/plugins/legal_aid/cases/{cid}/screenings",
                                json={"applicants": [{"party_id": await legal_aid_party(cid)}], "answers": MIGRANT_WAGES})).json()
    url = f"/admin/plugins/legal_aid/cases/{cid}/handoff"
    for fields in ({"centre_id": "²", "screening_id": str(rows[0]["id"])}, {"centre_id": str(centre.org["id"]), "screening_id": "x"}):
        bad = await mediator.post(url, data=fields, headers=HTMX)
        assert bad.status_code == 422 and WHOLE_NUMBER in bad.text, (fields, bad.text[:300])
    assert not await Handoff.exists().where(Handoff.case_id == cid)

    # A claimed amount Decimal() takes but no sum is: refused with the worker's name.
    for amount in ("NaN", "Infinity", "-5", "1e20"):
        screen = await mediator.post(f"/admin/plugins/legal_aid/cases/{cid}/screen",
                                     data={"workers": f"王五,441900199001011234,13900000001,{amount}", **MIGRANT_WAGES}, headers=HTMX)
        assert screen.status_code == 400 and "王五 的请求金额不是数字" in screen.text, (amount, screen.text[:300])
    # The JSON API too: a 422, not NaN's InvalidOperation as a 500.
    for amount in ("NaN", "sNaN", "-Infinity", "-5", "1e20"):
        bad = await mediator.post(f"/api/v1/plugins/legal_aid/cases/{cid}/screenings",
                                  json={"applicants": [{"party_id": await legal_aid_party(cid), "claim_amount": amount}], "answers": MIGRANT_WAGES})
        assert bad.status_code == 422, (amount, bad.status_code, bad.text[:300])
    assert await Screening.count().where(Screening.case_id == cid) == 1

    sent = await mediator.post(url, data={"centre_id": str(centre.org["id"]), "screening_id": str(rows[0]["id"])}, headers=HTMX)
    assert sent.status_code == 200, sent.text
    staff = await api.login(centre.staff[0])
    hid = (await staff.get("/api/v1/plugins/legal_aid/centre/handoffs")).json()[0]["id"]
    step = f"/admin/plugins/legal_aid/centre/handoffs/{hid}"
    for name, data in (("accept", {}), ("lawyer", {"name": "陈律师"}), ("route", {"route": "arbitration"})):
        assert (await staff.post(f"{step}/{name}", data=data, headers=HTMX)).status_code == 200
    for amount in ("NaN", "-Infinity", "-1", "abc"):
        outcome = await staff.post(f"{step}/outcome", data={"outcome": "settled", "amount": amount}, headers=HTMX)
        assert "金额须为数字。" in outcome.text, (amount, outcome.text[:300])
        as_json = await staff.post(f"/api/v1/plugins/legal_aid/centre/handoffs/{hid}/outcome", json={"outcome": "settled", "amount": amount})
        assert as_json.status_code == 422, (amount, as_json.status_code, as_json.text[:300])
    assert (await Handoff.select(Handoff.status).where(Handoff.id == hid).first())["status"] == "accepted"


async def test_psych_referral_and_session_numbers(town: Any, client: Any) -> None:
    station = await make_station(town)
    api = Client(client)
    case, mediator = await case_in_mediation(api, town)
    cid = case["id"]
    url = f"/admin/plugins/psych/cases/{cid}/refer"
    party = str(await applicant_id(cid))
    fields = {"consent": "1", "consent_method": "written", "grade": "yellow", "reason": "情绪低落"}
    for bad in ({"party_id": "abc"}, {"party_id": "²"}, {"party_id": party, "counsellor_id": "²"}):
        refused = await mediator.post(url, data={**fields, **bad}, headers=HTMX)
        assert refused.status_code == 422 and WHOLE_NUMBER in refused.text, (bad, refused.text[:300])
    assert not await Referral.exists().where(Referral.case_id == cid)

    made = await mediator.post(f"/api/v1/plugins/psych/cases/{cid}/referrals", json={
        "party_id": int(party), "consent": True, "grade": "yellow", "reason": "情绪低落", "pause": False,
    })
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    counsellor = next(u for u in station.counsellors if u["pool_id"] == made.json()["counsellor"]["id"])
    session = await (await api.login(counsellor)).post(
        f"/admin/plugins/psych/referrals/{rid}/sessions", data={"held_at": "2026-11-20T10:00", "minutes": "²"}, headers=HTMX,
    )
    # The error names what is wrong (it said "give the date and time" for any ValueError).
    assert WHOLE_NUMBER in session.text and "请填写咨询的日期和时间" not in session.text, session.text[:300]
    assert not await CounsellingSession.exists().where(CounsellingSession.referral == rid)


async def test_industry_assoc_transfer_and_accept_numbers(town: Any, login: Any) -> None:
    await switch("industry_assoc", town.county, True)
    assoc = await add_association(town, login)
    cid, mediator = await assoc_case(town, login)
    bad = await mediator.post(f"/admin/plugins/industry_assoc/cases/{cid}/transfer", data={"association_id": "²", "reason": "租金纠纷"}, headers=HTMX)
    assert bad.status_code == 422 and WHOLE_NUMBER in bad.text
    assert not await Transfer.exists().where(Transfer.case_id == cid)

    made = await mediator.post(f"{ASSOC_API}/cases/{cid}/transfers", json={"association_id": assoc.registered["id"], "reason": "租金纠纷"})
    assert made.status_code == 201, made.text
    staff = await login(assoc.staff)
    url = f"/admin/plugins/industry_assoc/transfers/{made.json()['id']}/accept"
    # "abc" was read as no mediator chosen, and the case went to the association's pool.
    for value in ("abc", "²"):
        refused = await staff.post(url, data={"mediator_id": value}, headers=HTMX)
        assert refused.status_code == 422 and WHOLE_NUMBER in refused.text, (value, refused.text[:300])
    assert (await Transfer.select(Transfer.status).where(Transfer.id == made.json()["id"]).first())["status"] == "pending"


async def test_judicial_confirm_consent_and_material_numbers(town: Any, login: Any) -> None:
    await switch("judicial_confirm", town.county, True)
    await add_court(town, login)
    cid, mediator = await agreed_case(town, login)
    app = (await mediator.get(f"{COURT_API}/cases/{cid}")).json()["application"]
    base = f"/admin/plugins/judicial_confirm/applications/{app['id']}"
    consent = await mediator.post(f"{base}/consents", data={"party_id": "²", "method": "written"}, headers=HTMX)
    assert consent.status_code == 422 and WHOLE_NUMBER in consent.text, consent.text[:300]
    assert not await Consent.exists().where(Consent.application == app["id"])
    # "abc" copies were quietly one copy.
    material = await mediator.post(f"{base}/materials", data={"kind": "property", "title": "房产证", "copies": "abc"}, headers=HTMX)
    assert material.status_code == 422 and WHOLE_NUMBER in material.text, material.text[:300]
    assert not await Material.exists().where(Material.application == app["id"])
    # A plain form: the panel again on a page of its own, not the error page.
    plain = await mediator.client.post(f"{base}/materials", data={"title": "房产证", "copies": "²", "_csrf": mediator.headers["X-CSRF-Token"]},
                                       headers={"Cookie": mediator.headers["Cookie"], **BROWSER})
    assert plain.status_code == 422 and WHOLE_NUMBER in plain.text and f"/admin/cases/{cid}" in plain.text
