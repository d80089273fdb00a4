"""A page opened at some version may still act after events nobody on the staff made that kept
the state (the receipt the jobs issued, a reminder, a party's message); any other change since
makes it stale (409)."""

from __future__ import annotations

import pytest

from core.actors import SYSTEM
from core.auth.service import actor_for_user
from core.cases import schemas as s
from core.cases.lifecycle import transition
from core.cases.service import create_case, record_action
from core.cases.tables import Case
from core.errors import Conflict

pytestmark = pytest.mark.db


async def _registered(town) -> tuple[int, int]:
    desk = await actor_for_user(town.users["window"]["id"])
    data = s.CaseIn(
        channel="walk_in", dispute_type="labour", description="欠薪", place_id=town.villages[0]["id"],
        parties=[s.PartyIn(name="张三", phone="13800138000")], accept_now=True, rights_notified=True, consent=True,
    )
    created = await create_case(data, desk, org_id=town.town["id"])
    return created["id"], created["version"]


async def test_a_system_note_since_the_page_opened_does_not_make_it_stale(town):
    desk = await actor_for_user(town.users["window"]["id"])
    case_id, seen = await _registered(town)
    await record_action(case_id, "issue_document", SYSTEM, {"kind": "receipt"})

    event = await transition(case_id, "dispatch", desk, {"mediator_id": town.mediators[0]["id"], "version": seen})

    assert event["to_state"] == "assigned"
    assert (await Case.select(Case.version).where(Case.id == case_id).first())["version"] == seen + 2


async def test_a_state_change_or_a_colleague_since_the_page_opened_makes_it_stale(town):
    desk = await actor_for_user(town.users["window"]["id"])
    supervisor = await actor_for_user(town.users["supervisor"]["id"])
    case_id, seen = await _registered(town)
    await record_action(case_id, "issue_document", SYSTEM, {"kind": "receipt"})
    await record_action(case_id, "note", supervisor, {"text": "先联系厂方"})

    with pytest.raises(Conflict):
        await transition(case_id, "dispatch", desk, {"mediator_id": town.mediators[0]["id"], "version": seen})

    other_id, other_seen = await _registered(town)
    await transition(other_id, "dispatch", desk, {"mediator_id": town.mediators[0]["id"]})
    # A note is allowed in every state: only the version can refuse it.
    with pytest.raises(Conflict):
        await transition(other_id, "note", desk, {"text": "派单前写的", "version": other_seen})
    # A version from the future is stale too.
    with pytest.raises(Conflict):
        await transition(other_id, "note", desk, {"text": "x", "version": other_seen + 5})
    assert (await transition(other_id, "note", desk, {"text": "刷新后写的", "version": other_seen + 1}))["name"] == "note"
