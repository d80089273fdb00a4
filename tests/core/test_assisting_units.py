"""Assisting units (协办单位): their staff and superiors see the case in the queue and on its
page, may note, link and add evidence, but take none of the lead unit's lifecycle actions, and
see the parties masked."""

from __future__ import annotations

from typing import Any

import pytest

from core.cases.tables import Case, CaseEvent, CaseUnit
from tests.factories import application, make_town, make_user

pytestmark = pytest.mark.db


async def registered(desk: Any, town: Any) -> int:
    resp = await desk.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True))
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


async def queue_ids(api: Any) -> list[int]:
    resp = await api.get("/api/v1/cases", params={"limit": 100})
    assert resp.status_code == 200, resp.text
    return [c["id"] for c in resp.json()["items"]]


async def test_assisting_unit_sees_the_case_but_only_notes(town, login):
    other = await make_town()  # the assisting department is in another town of another county
    desk = await login(town.users["window"])
    cid = await registered(desk, town)
    await desk.act(cid, "dispatch", mediator_id=town.users["mediator0"]["mediator_id"])

    helper = await login(other.users["handler"])          # staff of the assisting department
    superior = await login(other.users["supervisor"])     # its town, above the department
    outsider = await login(other.users["village_staff"])  # same town, not above the department
    for api in (helper, superior, outsider):
        assert cid not in await queue_ids(api)
        assert (await api.get(f"/api/v1/cases/{cid}")).status_code == 404

    await desk.act(cid, "add_assisting_unit", organisation_id=other.labour_dept["id"])
    unit = await CaseUnit.select().where((CaseUnit.case == cid) & (CaseUnit.role == "assisting")).first()
    assert unit["organisation_path"] == other.labour_dept["path"]
    assert (await Case.select(Case.assisting_paths).where(Case.id == cid).first())["assisting_paths"] == other.labour_dept["path"]

    for api in (helper, superior):
        assert cid in await queue_ids(api)
        page = await api.get(f"/api/v1/cases/{cid}")
        assert page.status_code == 200
        body = page.json()
        assert set(body["allowed_actions"]) <= {"note", "link"}
        # Masked: an assisting unit works on the dispute, not with the parties' numbers.
        applicant = next(p for p in body["parties"] if p["role"] == "applicant")
        assert applicant["phone"] != "13800138000" and "*" in applicant["phone"]
        party_id = applicant["id"]
        assert (await api.post(f"/api/v1/cases/{cid}/parties/{party_id}/reveal")).status_code == 403
    assert cid not in await queue_ids(outsider)
    assert (await outsider.get(f"/api/v1/cases/{cid}")).status_code == 404

    # The admin pages show it too: in the queue, and its page with notes as the only action.
    from tests.web.conftest import sign_in

    page_user = await sign_in(helper.client, other.users["handler"])
    number = (await Case.select(Case.number).where(Case.id == cid).first())["number"]
    assert number in (await page_user.get("/admin/cases")).text
    case_page = await page_user.get(f"/admin/cases/{cid}")
    assert case_page.status_code == 200 and number in case_page.text and "13800138000" not in case_page.text
    assert 'id="act-note"' in case_page.text and 'id="act-take"' not in case_page.text

    noted = await helper.act(cid, "note", text="派出所协助核实用工情况")
    assert noted["event"]["name"] == "note"
    for event, data in (("take", {}), ("return", {"reason": "不归我们管"}), ("set_risk", {"risk_level": "high", "reason": "x"}),
                        ("add_assisting_unit", {"organisation_id": other.committee["id"]}), ("withdraw", {"reason": "x"})):
        refused = await helper.post(f"/api/v1/cases/{cid}/actions/{event}", json=data)
        assert refused.status_code == 403, (event, refused.text)
    refused = await superior.post(f"/api/v1/cases/{cid}/actions/urge", json={"message": "抓紧"})
    assert refused.status_code == 403
    assert await CaseEvent.count().where((CaseEvent.case == cid) & (CaseEvent.name == "note")) == 1

    # The lead unit still works the case and sees the numbers in full.
    lead = await login(town.users["mediator0"])
    assert "take" in (await lead.get(f"/api/v1/cases/{cid}")).json()["allowed_actions"]
    revealed = await lead.post(f"/api/v1/cases/{cid}/parties/{party_id}/reveal")
    assert revealed.status_code == 200 and revealed.json()["phone"] == "13800138000"


async def test_assisting_unit_uploads_evidence_and_a_second_unit_is_added_once(town, login):
    other = await make_town()
    desk = await login(town.users["window"])
    cid = await registered(desk, town)
    await desk.act(cid, "dispatch", organisation_id=town.committee["id"])
    await desk.act(cid, "add_assisting_unit", organisation_id=other.labour_dept["id"])
    await desk.act(cid, "add_assisting_unit", 409, organisation_id=other.labour_dept["id"])  # already assisting
    await desk.act(cid, "add_assisting_unit", organisation_id=other.committee["id"])
    paths = (await Case.select(Case.assisting_paths).where(Case.id == cid).first())["assisting_paths"].split()
    assert paths == [other.labour_dept["path"], other.committee["path"]]

    colleague = await login(await make_user(other.committee, ["mediator"], "协办调解员"))
    assert cid in await queue_ids(colleague)
    resp = await colleague.client.post(
        f"/api/v1/cases/{cid}/evidence", headers=colleague.headers,
        files={"file": ("考勤.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")}, data={"description": "考勤记录"},
    )
    assert resp.status_code in (200, 201), resp.text
    assert await CaseEvent.count().where((CaseEvent.case == cid) & (CaseEvent.name == "add_evidence")) == 1
