"""The centre's user who transferred a case hears, in their inbox and language, when the
association accepts it, hands it back, or ends its mediation: exactly once each, however often
the observer's delivery runs."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth.tables import StaffUser
from core.cases.tables import Case
from core.notifications.tables import Notification
from tests.plugins_industry_assoc.conftest import API, AssocTown, case_in_mediation, run_jobs

pytestmark = [pytest.mark.db, pytest.mark.plugin_industry_assoc]


async def _inbox(user_id: int) -> list[dict[str, Any]]:
    return await Notification.select(Notification.kind, Notification.body, Notification.subject).where(
        Notification.recipient == user_id
    ).order_by(Notification.id)


async def _transferred(assoc: AssocTown, login: Any) -> tuple[int, Any, dict[str, Any]]:
    cid, mediator = await case_in_mediation(assoc.town, login)
    resp = await mediator.post(f"{API}/cases/{cid}/transfers", json={"association_id": assoc.registered["id"], "reason": "租金纠纷"})
    assert resp.status_code == 201, resp.text
    return cid, mediator, resp.json()


async def test_accepted_then_concluded_tells_the_transferring_mediator_once_each(assoc: AssocTown, login: Any) -> None:
    cid, mediator, transfer = await _transferred(assoc, login)
    me = assoc.town.mediators[0]["user"]["id"]
    staff = await login(assoc.staff)
    accepted = await staff.post(f"{API}/transfers/{transfer['id']}/accept", json={"mediator_id": assoc.mediator["mediator_id"]})
    assert accepted.status_code == 200, accepted.text
    await run_jobs()
    await run_jobs()  # a second run tells nobody again
    inbox = [n for n in await _inbox(me) if n["kind"].startswith("industry_assoc")]
    assert [n["kind"] for n in inbox] == ["industry_assoc_accepted"]
    number = (await Case.select(Case.number).where(Case.id == cid).first())["number"]
    assert inbox[0]["subject"] == "行业协会已接收案件" and number in inbox[0]["body"] and assoc.association["name"] in inbox[0]["body"]
    # Nobody at the association is told of its own answer.
    assert not [n for n in await _inbox(assoc.staff["id"]) if n["kind"].startswith("industry_assoc")]

    worker = await login(assoc.mediator)
    await worker.act(cid, "take")
    await worker.act(cid, "agree", facts="双方协商一致。", matters="租金减免。", terms=[{"obligor": "业主", "obligee": "张三", "what": "减免两个月租金"}])
    await run_jobs()
    kinds = [n["kind"] for n in await _inbox(me) if n["kind"].startswith("industry_assoc")]
    assert kinds == ["industry_assoc_accepted", "industry_assoc_concluded"]
    concluded = [n for n in await _inbox(me) if n["kind"] == "industry_assoc_concluded"][0]
    assert "调解成功" in concluded["body"]


async def test_declined_and_returned_in_the_users_language(assoc: AssocTown, login: Any) -> None:
    me = assoc.town.mediators[0]["user"]["id"]
    await StaffUser.update({StaffUser.locale: "en"}).where(StaffUser.id == me)
    cid, mediator, transfer = await _transferred(assoc, login)
    staff = await login(assoc.staff)
    assert (await staff.post(f"{API}/transfers/{transfer['id']}/decline", json={"reason": "不属本会业务"})).status_code == 200
    await run_jobs()
    [declined] = [n for n in await _inbox(me) if n["kind"].startswith("industry_assoc")]
    assert declined["kind"] == "industry_assoc_declined" and declined["subject"] == "Association declined the case"
    assert "declined the transfer; the case is back with the centre" in declined["body"]

    # Transferred again, accepted, then handed back unresolved.
    again = await mediator.post(f"{API}/cases/{cid}/transfers", json={"association_id": assoc.registered["id"], "reason": "再次转办"})
    assert again.status_code == 201, again.text
    assert (await staff.post(f"{API}/transfers/{again.json()['id']}/accept", json={})).status_code == 200
    handed = await staff.post(f"{API}/transfers/{again.json()['id']}/return", json={"reason": "协会无法调解"})
    assert handed.status_code == 200, handed.text
    await run_jobs()
    kinds = [n["kind"] for n in await _inbox(me) if n["kind"].startswith("industry_assoc")]
    assert kinds == ["industry_assoc_declined", "industry_assoc_accepted", "industry_assoc_returned"]
