"""Dispatch stays within reach: the dispatching actor's county, or up the ladder (a body of a
level above the case); never sideways into another county. Associations stay out of the
centre's ranked suggestions. Recusal reasons read in the reader's language."""

from __future__ import annotations

from typing import Any

import pytest

from core.actors import SYSTEM
from core.cases.dispatch import recusal_reasons, suggest_mediators
from core.cases.lifecycle import transition
from core.cases.tables import Case, DispatchRule
from core.errors import ValidationFailed
from core.roster.tables import Mediator, MediatorRelation
from tests.factories import application, make_org, make_town, make_user

pytestmark = pytest.mark.db


async def registered(desk: Any, town: Any) -> int:
    resp = await desk.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True))
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


async def add_mediator(org: dict[str, Any], name: str) -> dict[str, Any]:
    user = await make_user(org, ["mediator"], name)
    user["mediator_id"] = (await Mediator.insert(Mediator(user=user["id"], name=name, organisation=org["id"], specialties=["labour"])).returning(Mediator.id))[0]["id"]
    return user


async def test_dispatch_into_another_county_is_refused_in_the_readers_language(town, login):
    elsewhere = await make_town()  # another county
    desk = await login(town.users["window"])
    cid = await registered(desk, town)
    before = (await Case.select(Case.version).where(Case.id == cid).first())["version"]
    attempts = (
        {"organisation_id": elsewhere.committee["id"]},
        {"mediator_id": elsewhere.users["mediator0"]["mediator_id"]},
        {"assignee_id": elsewhere.users["handler"]["id"], "organisation_id": elsewhere.labour_dept["id"]},
    )
    for body in attempts:
        resp = await desk.post(f"/api/v1/cases/{cid}/actions/dispatch", json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert "不在本案可派往的范围内" in resp.json()["detail"]
    resp = await desk.post(f"/api/v1/cases/{cid}/actions/dispatch?lang=en", json=attempts[0])
    assert resp.status_code == 422
    assert resp.json()["detail"].startswith(f"{elsewhere.committee['name']} is outside the area this case may be dispatched to")
    case = await Case.select(Case.state, Case.assigned_org, Case.version).where(Case.id == cid).first()
    assert case["state"] == "registered" and case["assigned_org"] is None and case["version"] == before

    # Another town of the same county, and a body of the county (up the ladder), are in reach.
    sibling = await make_org("邻镇", "town", "town", town.county)
    sibling_committee = await make_org("邻镇人民调解委员会", "committee", "town", sibling)
    done = await desk.act(cid, "dispatch", organisation_id=sibling_committee["id"])
    assert done["case"]["assigned_org_id"] == sibling_committee["id"]
    county_committee = await make_org("县人民调解委员会", "committee", "county", town.county)
    done = await desk.act(cid, "redispatch", organisation_id=county_committee["id"])
    assert done["case"]["assigned_org_id"] == county_committee["id"]


async def test_system_dispatch_reaches_the_cases_town_and_up_the_ladder_only(town, login):
    desk = await login(town.users["window"])
    cid = await registered(desk, town)
    sibling = await make_org("邻镇", "town", "town", town.county)
    sibling_committee = await make_org("邻镇人民调解委员会", "committee", "town", sibling)
    with pytest.raises(ValidationFailed):
        await transition(cid, "dispatch", SYSTEM, {"organisation_id": sibling_committee["id"]})
    county_committee = await make_org("县人民调解委员会", "committee", "county", town.county)
    done = await transition(cid, "dispatch", SYSTEM, {"organisation_id": county_committee["id"]})
    assert done["payload"]["organisation_id"] == county_committee["id"]
    done = await transition(cid, "redispatch", SYSTEM, {"organisation_id": town.committee["id"]})
    assert done["payload"]["organisation_id"] == town.committee["id"]


async def test_dispatch_to_an_association_is_refused_its_transfer_flow_is_not(town, login):
    from core.actors import plugin_actor

    # An association of the town itself: within reach, and listed among the town's bodies.
    association = await make_org("镇纺织行业协会", "association", "town", town.town)
    assoc_mediator = await add_mediator(association, "协会调解员")
    assoc_staff = await make_user(association, ["handler"], "协会工作人员")
    desk = await login(town.users["window"])
    cid = await registered(desk, town)
    before = (await Case.select(Case.version).where(Case.id == cid).first())["version"]
    url = f"/api/v1/cases/{cid}/actions/dispatch"
    for body in (
        {"organisation_id": association["id"]},
        {"organisation_id": association["id"], "to_pool": True},
        {"mediator_id": assoc_mediator["mediator_id"]},
        {"assignee_id": assoc_staff["id"]},
    ):
        resp = await desk.post(url, json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.json()["detail"] == "“镇纺织行业协会”是行业协会：请通过行业协会调解转交案件，不能直接派单。"
    english = await desk.post(f"{url}?lang=en", json={"organisation_id": association["id"]})
    assert english.status_code == 422
    assert english.json()["detail"] == (
        "镇纺织行业协会 is an industry association: transfer the case to it through industry-association mediation instead of dispatching it."
    )
    # Neither the rules nor the system send a case there.
    with pytest.raises(ValidationFailed):
        await transition(cid, "dispatch", SYSTEM, {"organisation_id": association["id"]})
    await DispatchRule.insert(DispatchRule(owner=town.town["id"], dispute_type="labour", target=association["id"], to_pool=True, priority=1))
    by_rules = await desk.post(url, json={"by_rules": True})
    assert by_rules.status_code == 422 and "是行业协会" in by_rules.json()["detail"]
    case = await Case.select(Case.state, Case.assigned_org, Case.version).where(Case.id == cid).first()
    assert case["state"] == "registered" and case["assigned_org"] is None and case["version"] == before

    # The admin's dispatch form does not offer the association's pool or its staff.
    from tests.web.conftest import sign_in

    page = await (await sign_in(desk.client, town.users["window"])).get(f"/admin/cases/{cid}")
    assert page.status_code == 200 and 'id="act-dispatch"' in page.text
    dispatch_form = page.text.split('id="act-dispatch"')[1].split("</form>")[0]
    pools = dispatch_form.split('name="organisation_id"')[1].split("</select>")[0]
    assert f'<option value="{town.committee["id"]}"' in pools and f'<option value="{association["id"]}"' not in pools
    assert "协会工作人员" not in dispatch_form and "协会调解员" not in dispatch_form

    # The association's own flow (the plugin, after the association accepted a transfer) still may.
    await DispatchRule.update({DispatchRule.active: False}).where(DispatchRule.target == association["id"])
    await desk.act(cid, "dispatch", organisation_id=town.committee["id"])
    done = await transition(cid, "redispatch", plugin_actor("industry_assoc"), {"organisation_id": association["id"], "to_pool": True})
    assert done["payload"]["organisation_id"] == association["id"]


async def test_associations_are_not_suggested_by_the_centre(town):
    association = await make_org("县物业行业协会", "association", "county", town.county)
    assoc_mediator = await add_mediator(association, "协会调解员")
    county_committee = await make_org("县人民调解委员会", "committee", "county", town.county)
    county_mediator = await add_mediator(county_committee, "县调解员")
    case = {"id": -1, "org_path": town.county["path"], "dispute_type": "labour"}
    suggested = [s["mediator_id"] for s in await suggest_mediators(case, limit=50)]
    assert county_mediator["mediator_id"] in suggested
    assert town.users["mediator0"]["mediator_id"] in suggested
    assert assoc_mediator["mediator_id"] not in suggested
    for_transfer = [s["mediator_id"] for s in await suggest_mediators(case, limit=50, associations=True)]
    assert assoc_mediator["mediator_id"] in for_transfer


async def test_recusal_reasons_in_english_and_chinese(town, login):
    desk = await login(town.users["window"])
    m1 = town.users["mediator1"]
    await Mediator.update({Mediator.phone: "13800138000"}).where(Mediator.id == m1["mediator_id"])
    await MediatorRelation.insert(MediatorRelation(mediator=m1["mediator_id"], person_phone="076988888888", relation="表兄弟"))
    cid = await registered(desk, town)

    mediator = await Mediator.select().where(Mediator.id == m1["mediator_id"]).first()
    assert await recusal_reasons(cid, mediator, "en") == ["Same phone number as a party.", "Declared relation: 表兄弟"]
    assert await recusal_reasons(cid, mediator) == ["与当事人电话号码相同。", "已申报关联关系:表兄弟"]

    english = await desk.post(f"/api/v1/cases/{cid}/actions/dispatch", json={"mediator_id": m1["mediator_id"]}, headers={"Accept-Language": "en"})
    assert english.status_code == 409
    assert english.json()["detail"] == "The mediator must withdraw: Same phone number as a party.; Declared relation: 表兄弟"
    chinese = await desk.post(f"/api/v1/cases/{cid}/actions/dispatch", json={"mediator_id": m1["mediator_id"]})
    assert chinese.json()["detail"] == "调解员须回避:与当事人电话号码相同。；已申报关联关系:表兄弟"
    # Taking from the pool says the same, in English too.
    await desk.act(cid, "dispatch", organisation_id=town.committee["id"])
    grab = await (await login(m1)).post(f"/api/v1/cases/{cid}/actions/take?lang=en", json={})
    assert grab.status_code == 409 and "Same phone number as a party." in grab.json()["detail"]
