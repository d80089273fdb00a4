"""The plugins' free text: psych referral reasons, consent notes, session notes and grading
reasons; legal-aid applicants and handoff notes, and the handoff package PDF. Kept literally,
shown escaped on the plugins' pages and panels, printed literally."""

from __future__ import annotations

from typing import Any

import pytest

from tests.documents.pdf_helpers import pdftotext, squash
from tests.plugins_legal_aid.conftest import MIGRANT_WAGES, make_centre
from tests.plugins_psych.conftest import make_station
from tests.security import payloads as p
from tests.security.flows import tagged

pytestmark = [pytest.mark.db, pytest.mark.plugin_psych, pytest.mark.plugin_legal_aid]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    from core.ratelimit import reset_memory

    reset_memory()


@pytest.fixture
def api(client: Any) -> Any:
    from tests.plugins.conftest import Client

    return Client(client)


async def _in_mediation(api: Any, town: Any, **over: Any) -> tuple[int, Any]:
    case = await api.new_case(town, **over)
    desk = await api.login(town.users["window"])
    await desk.act(case["id"], "accept", rights_notified=True, consent=True)
    await desk.act(case["id"], "dispatch", mediator_id=town.mediators[0]["id"])
    mediator = await api.login(town.mediators[0]["user"])
    await mediator.act(case["id"], "take")
    return case["id"], mediator


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def page_ok(resp: Any, payload: str, where: str, must_show: bool = True) -> None:
    assert resp.status_code == 200, (where, resp.status_code, resp.text[:300])
    p.assert_escaped(resp.text, payload, where)
    if must_show:
        assert p.shown(resp.text, payload), f"{where}: not shown"


async def test_psych_referral_text_is_kept_and_escaped(town, api) -> None:
    station = await make_station(town)
    cid, mediator = await _in_mediation(api, town)
    counsellor = await api.login(station.counsellors[0])
    for name, payload in p.groups(3):
        added = await mediator.act(cid, "add_party", party={"name": payload[:120], "role": "applicant"})
        pid = added["event"]["payload"]["party_id"]
        made = await mediator.post(f"/api/v1/plugins/psych/cases/{cid}/referrals", json={
            "party_id": pid, "consent": True, "grade": "yellow", "reason": payload, "consent_note": payload[:200],
            "pause": False, "counsellor_id": station.counsellors[0]["pool_id"],
        })
        assert made.status_code == 201, (name, made.text[:300])
        rid = made.json()["id"]
        session = await counsellor.post(f"/api/v1/plugins/psych/referrals/{rid}/sessions", json={"held_at": "2026-11-24T10:00:00+08:00", "notes": payload})
        assert session.status_code == 201, (name, session.text[:300])
        graded = await counsellor.post(f"/api/v1/plugins/psych/referrals/{rid}/grade", json={"grade": "green", "reason": payload})
        assert graded.status_code == 200, (name, graded.text[:300])

        seen = strings((await counsellor.get(f"/api/v1/plugins/psych/referrals/{rid}")).json())
        assert payload in seen and payload[:200] in seen, f"{name}: not kept literally"
        page_ok(await counsellor.get(f"/admin/plugins/psych/referrals/{rid}"), payload, f"{name} referral page")
        page_ok(await counsellor.get("/admin/plugins/psych/queue"), payload[:120], f"{name} counsellor queue", must_show=False)
        panel = await mediator.get(f"/admin/plugins/psych/cases/{cid}/panel", headers={"HX-Request": "true"})
        page_ok(panel, payload, f"{name} case panel", must_show=False)
        case_page = await mediator.get(f"/admin/cases/{cid}")
        page_ok(case_page, payload, f"{name} case page", must_show=False)
    # control characters are refused here too, nothing written
    bad = await counsellor.post(f"/api/v1/plugins/psych/referrals/{rid}/sessions", json={"held_at": "2026-11-24T10:00:00+08:00", "notes": p.NUL})
    assert bad.status_code == 422 and "控制字符" in bad.json()["detail"]


@pytest.mark.pdf
async def test_legal_aid_handoff_text_and_package(town, api) -> None:
    centre = await make_centre(town)
    t = tagged(p.COMPACT)
    cid, mediator = await _in_mediation(api, town, title=t("title", 200), description=t("description", 4000))
    for name, payload in p.groups(3):
        screened = await mediator.post(f"/api/v1/plugins/legal_aid/cases/{cid}/screenings", json={
            "applicants": [{"name": payload[:120], "phone": "13900000009", "claim_amount": "100"}], "answers": MIGRANT_WAGES,
        })
        assert screened.status_code == 201, (name, screened.text[:300])
        panel = await mediator.get(f"/admin/plugins/legal_aid/cases/{cid}/panel", headers={"HX-Request": "true"})
        page_ok(panel, payload, f"{name} legal-aid panel", must_show=False)

    screened = await mediator.post(f"/api/v1/plugins/legal_aid/cases/{cid}/screenings", json={
        "applicants": [{"name": t("worker", 120), "phone": "13900000010", "claim_amount": "100"}], "answers": MIGRANT_WAGES,
    })
    made = await mediator.post(f"/api/v1/plugins/legal_aid/cases/{cid}/handoffs", json={
        "centre_id": centre.org["id"], "screening_ids": [r["id"] for r in screened.json()], "note": t("note", 2000),
    })
    assert made.status_code == 201, made.text[:300]
    handoff = made.json()
    staff = await api.login(centre.staff[0])
    seen = strings((await staff.get(f"/api/v1/plugins/legal_aid/centre/handoffs/{handoff['id']}")).json())
    assert t("note", 2000) in seen, "the handoff note is not kept literally"
    page_ok(await staff.get("/admin/plugins/legal_aid/centre"), p.COMPACT, "legal-aid centre page", must_show=False)

    pdf = (await mediator.get(f"/api/v1/plugins/legal_aid/cases/{cid}/handoffs/{handoff['id']}/package.pdf")).content
    assert pdf.startswith(b"%PDF-")
    text = squash(pdftotext(pdf))
    for marker in (p.SCRIPT, p.ATTR_BREAK, p.TEMPLATE, p.SQL_OR, p.FILE_URL, p.FORMULA_HYPERLINK):
        assert squash(marker) in text, f"handoff package: {marker!r} missing"
    for field in ("title:", "worker:"):
        assert field in text, f"handoff package: {field} missing"
    assert "root:x:0:0" not in text and b"root:x:0:0" not in pdf


@pytest.mark.plugin_industry_assoc
async def test_industry_association_transfer_text_is_kept_and_escaped(town, login) -> None:
    from tests.plugins_industry_assoc.conftest import API, add_association, switch

    await switch("industry_assoc", town.county, True)
    assoc = await add_association(town, login)
    admin = await login(assoc.admin)
    desk = await login(town.users["window"])
    body = {"channel": "walk_in", "dispute_type": "labour", "description": "x", "place_id": town.villages[0]["id"],
            "accept_now": True, "rights_notified": True, "consent": True, "parties": [{"name": "张三", "role": "applicant"}]}
    cid = (await desk.post("/api/v1/cases", json=body)).json()["id"]
    await desk.act(cid, "dispatch", mediator_id=town.mediators[0]["id"])
    mediator = await login(town.users["mediator0"])
    await mediator.act(cid, "take")
    staff = await login(assoc.staff)
    for name, payload in p.groups(3):
        patched = await admin.client.patch(f"{API}/associations/{assoc.registered['id']}", json={"contact": payload[:120], "note": payload}, headers=admin.headers)
        assert patched.status_code == 200, (name, patched.text[:300])
        assert {payload[:120], payload} <= set(strings(patched.json())), name
        made = await mediator.post(f"{API}/cases/{cid}/transfers", json={"association_id": assoc.registered["id"], "reason": payload})
        assert made.status_code == 201, (name, made.text[:300])
        tid = made.json()["id"]
        assert payload in strings((await staff.get(f"{API}/transfers/{tid}")).json()), name
        page_ok(await staff.get("/admin/plugins/industry_assoc/inbox"), payload, f"{name} association inbox", must_show=False)
        panel = await mediator.get(f"/admin/plugins/industry_assoc/cases/{cid}/panel", headers={"HX-Request": "true"})
        page_ok(panel, payload, f"{name} transfer panel", must_show=False)
        declined = await staff.post(f"{API}/transfers/{tid}/decline", json={"reason": payload})
        assert declined.status_code == 200, (name, declined.text[:300])
        assert payload in strings((await staff.get(f"{API}/transfers/{tid}")).json()), name
        page_ok(await mediator.get(f"/admin/cases/{cid}"), payload, f"{name} case page", must_show=False)
