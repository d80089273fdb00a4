"""Ending an assisting unit's part (结束协办): its staff and superiors stop seeing the case unless
another assisting unit of theirs remains; the unit's rows, the case's copy of the paths and the
timeline event change together or not at all."""

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


async def sees(api: Any, cid: int) -> bool:
    page = (await api.get(f"/api/v1/cases/{cid}")).status_code
    listed = await api.get("/api/v1/cases", params={"limit": 100})
    assert listed.status_code == 200, listed.text
    in_queue = cid in [c["id"] for c in listed.json()["items"]]
    assert in_queue == (page == 200), (page, in_queue)  # the queue and the page agree
    return page == 200


async def assisted_case(town: Any, login: Any, *units: str) -> tuple[Any, Any, int]:
    """Another county's town, the desk, and a case of ``town`` dispatched to its committee with
    the other town's ``units`` ("labour_dept", "committee") invited in that order."""
    other = await make_town()
    desk = await login(town.users["window"])
    cid = await registered(desk, town)
    await desk.act(cid, "dispatch", organisation_id=town.committee["id"])
    for unit in units:
        await desk.act(cid, "add_assisting_unit", organisation_id=getattr(other, unit)["id"])
    return other, desk, cid


async def paths(cid: int) -> list[str]:
    return (await Case.select(Case.assisting_paths).where(Case.id == cid).first())["assisting_paths"].split()


async def test_released_unit_loses_the_case_and_the_others_keep_it(town, login):
    other = await make_town()  # the assisting units: a department and a committee of another county
    desk = await login(town.users["window"])
    cid = await registered(desk, town)
    await desk.act(cid, "dispatch", mediator_id=town.users["mediator0"]["mediator_id"])
    assert "release_assisting_unit" not in (await desk.get(f"/api/v1/cases/{cid}")).json()["allowed_actions"]
    await desk.act(cid, "add_assisting_unit", organisation_id=other.labour_dept["id"])
    await desk.act(cid, "add_assisting_unit", organisation_id=other.committee["id"])
    assert "release_assisting_unit" in (await desk.get(f"/api/v1/cases/{cid}")).json()["allowed_actions"]

    dept_staff = await login(other.users["handler"])
    committee_staff = await login(await make_user(other.committee, ["mediator"], "协办调解员"))
    superior = await login(other.users["supervisor"])  # above both units
    lead = await login(town.users["mediator0"])
    for api in (dept_staff, committee_staff, superior, lead):
        assert await sees(api, cid)

    # The assisting unit cannot end its own part: that is the desk's (the case's level).
    refused = await dept_staff.post(f"/api/v1/cases/{cid}/actions/release_assisting_unit", json={"organisation_id": other.labour_dept["id"]})
    assert refused.status_code == 403, refused.text

    done = await desk.act(cid, "release_assisting_unit", organisation_id=other.labour_dept["id"], note="核实工作已完成")
    assert done["event"]["name"] == "release_assisting_unit"
    assert done["event"]["payload"]["organisation_id"] == other.labour_dept["id"]
    assert done["event"]["from_state"] == done["event"]["to_state"] == "assigned"
    assert await paths(cid) == [other.committee["path"]]
    units = await CaseUnit.select(CaseUnit.organisation, CaseUnit.active).where((CaseUnit.case == cid) & (CaseUnit.role == "assisting"))
    assert {(u["organisation"], u["active"]) for u in units} == {(other.labour_dept["id"], False), (other.committee["id"], True)}

    assert not await sees(dept_staff, cid)
    assert (await dept_staff.post(f"/api/v1/cases/{cid}/actions/note", json={"text": "还能写吗"})).status_code == 404
    for api in (committee_staff, superior, lead):
        assert await sees(api, cid)

    # Ending the last one: the superior saw the case only through the units, so it goes too.
    await desk.act(cid, "release_assisting_unit", organisation_id=other.committee["id"])
    assert await paths(cid) == []
    assert "release_assisting_unit" not in (await desk.get(f"/api/v1/cases/{cid}")).json()["allowed_actions"]
    for api in (committee_staff, superior):
        assert not await sees(api, cid)
    assert await sees(lead, cid) and await sees(desk, cid)
    case = await Case.select(Case.version).where(Case.id == cid).first()
    assert case["version"] == await CaseEvent.count().where(CaseEvent.case == cid)


async def test_a_unit_already_assisting_is_not_invited_twice_but_can_be_after_its_release(town, login):
    other, desk, cid = await assisted_case(town, login, "labour_dept", "committee")
    detail = (await desk.get(f"/api/v1/cases/{cid}")).json()
    assert detail["assisting_units"] == [
        {"organisation_id": other.labour_dept["id"], "name": other.labour_dept["name"]},
        {"organisation_id": other.committee["id"], "name": other.committee["name"]},
    ]
    before = await Case.select(Case.version, Case.assisting_paths).where(Case.id == cid).first()

    again = await desk.post(f"/api/v1/cases/{cid}/actions/add_assisting_unit", json={"organisation_id": other.labour_dept["id"]})
    assert again.status_code == 409 and again.json()["detail"] == "该单位已是本案的协办单位。"
    assert await Case.select(Case.version, Case.assisting_paths).where(Case.id == cid).first() == before
    assert await CaseUnit.count().where((CaseUnit.case == cid) & (CaseUnit.organisation == other.labour_dept["id"])) == 1

    # One release ends the department's part ...
    await desk.act(cid, "release_assisting_unit", organisation_id=other.labour_dept["id"])
    assert await paths(cid) == [other.committee["path"]]
    assert not await sees(await login(other.users["handler"]), cid)
    detail = (await desk.get(f"/api/v1/cases/{cid}")).json()
    assert [u["organisation_id"] for u in detail["assisting_units"]] == [other.committee["id"]]

    # ... and invited again later, it sees the case again, after the committee.
    await desk.act(cid, "add_assisting_unit", organisation_id=other.labour_dept["id"])
    assert await paths(cid) == [other.committee["path"], other.labour_dept["path"]]
    assert await sees(await login(other.users["handler"]), cid)


async def test_releasing_a_unit_that_is_not_assisting_is_refused_in_the_readers_language(town, login):
    other, desk, cid = await assisted_case(town, login, "labour_dept")
    before = await Case.select(Case.version, Case.assisting_paths).where(Case.id == cid).first()

    url = f"/api/v1/cases/{cid}/actions/release_assisting_unit"
    # The lead unit is not an assisting one; releasing it would change nothing.
    zh = await desk.post(url, json={"organisation_id": town.committee["id"]})
    assert zh.status_code == 409 and zh.json()["detail"] == "该单位不是本案的协办单位。"
    en = await desk.post(f"{url}?lang=en", json={"organisation_id": other.committee["id"]})
    assert en.status_code == 409 and en.json()["detail"] == "This organisation is not an assisting unit of the case."
    assert (await desk.post(url, json={})).status_code == 422
    after = await Case.select(Case.version, Case.assisting_paths).where(Case.id == cid).first()
    assert after == before
    assert await CaseEvent.count().where((CaseEvent.case == cid) & (CaseEvent.name == "release_assisting_unit")) == 0


async def test_the_release_and_its_event_are_one_transaction(town, login, monkeypatch):
    import core.cases.timeline as timeline

    other, desk, cid = await assisted_case(town, login, "labour_dept")

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the timeline is unavailable")

    monkeypatch.setattr(timeline, "append_event", broken)
    from core.actors import SYSTEM
    from core.cases.lifecycle import transition

    with pytest.raises(RuntimeError):
        await transition(cid, "release_assisting_unit", SYSTEM, {"organisation_id": other.labour_dept["id"]})
    monkeypatch.undo()
    # Nothing of the release stayed: the unit is still on the case and its staff still see it.
    assert await paths(cid) == [other.labour_dept["path"]]
    assert await CaseUnit.exists().where((CaseUnit.case == cid) & (CaseUnit.organisation == other.labour_dept["id"]) & (CaseUnit.active == True))  # noqa: E712
    assert await sees(await login(other.users["handler"]), cid)


async def test_the_case_page_offers_the_release_for_the_cases_units_only(town, login):
    from tests.web.conftest import sign_in

    other, desk, cid = await assisted_case(town, login)

    page_user = await sign_in(desk.client, town.users["window"])
    page = await page_user.get(f"/admin/cases/{cid}")
    assert page.status_code == 200 and 'id="act-release_assisting_unit"' not in page.text  # no unit to release

    await desk.act(cid, "add_assisting_unit", organisation_id=other.labour_dept["id"])
    page = await page_user.get(f"/admin/cases/{cid}")
    assert 'id="act-release_assisting_unit"' in page.text and "结束协办" in page.text
    form = page.text.split('id="act-release_assisting_unit"')[1].split("</select>")[0]
    assert f'<option value="{other.labour_dept["id"]}"' in form and other.labour_dept["name"] in form
    assert f'<option value="{town.committee["id"]}"' not in form  # the lead unit is not offered

    # A body of the town already assisting is not offered for a second invitation.
    add_form = page.text.split('id="act-add_assisting_unit"')[1].split("</select>")[0]
    assert f'<option value="{town.labour_dept["id"]}"' in add_form
    await desk.act(cid, "add_assisting_unit", organisation_id=town.labour_dept["id"])
    page = await page_user.get(f"/admin/cases/{cid}")
    add_form = page.text.split('id="act-add_assisting_unit"')[1].split("</select>")[0]
    assert f'<option value="{town.labour_dept["id"]}"' not in add_form
    await desk.act(cid, "release_assisting_unit", organisation_id=town.labour_dept["id"])

    version = (await Case.select(Case.version).where(Case.id == cid).first())["version"]
    resp = await page_user.post(
        f"/admin/cases/{cid}/act/release_assisting_unit",
        {"organisation_id": str(other.labour_dept["id"]), "note": "协办结束", "version": str(version)},
    )
    assert resp.status_code == 303, resp.text
    assert await paths(cid) == []
    assert not await sees(await login(other.users["handler"]), cid)
    page = await page_user.get(f"/admin/cases/{cid}")
    assert 'id="act-release_assisting_unit"' not in page.text
