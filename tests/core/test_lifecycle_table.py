"""Every (action, state, role) of the lifecycle table through ``transition()``: the expected
target, or 409 (wrong state), 403 (wrong role / not the assignee), 422 (missing data).

Each attempt runs in a transaction that is rolled back, so one seeded case per state serves
every action and role; a refusal must also leave the case and its timeline as they were.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from core.cases.lifecycle import LEAD, STATES, TABLE, TRANSITIONS, Transition, transition
from core.cases.tables import Agreement, CaseUnit, FollowUp, MediationSession
from core.cases.timeline import append_event
from core.errors import JiefenError
from tests.core.helpers import (
    ROLES,
    case_row,
    event_count,
    party_actor,
    role_actors,
    rolled_back,
    seed_case,
)
from tests.factories import make_town

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
async def world() -> dict[str, Any]:
    import core.cases.effects  # noqa: F401

    town = await make_town()
    actors = await role_actors(town)
    cases = {state: await seed_case(town, state) for state in STATES}
    survivor = await seed_case(town, "registered", assignee=None)  # the committee sees it too
    return {"town": town, "actors": actors, "cases": cases, "survivor": survivor}


async def arrange(event: str, case: dict[str, Any], world: dict[str, Any]) -> dict[str, Any]:
    """Minimal valid data for ``event`` on ``case``, writing any rows its guard needs."""
    town = world["town"]
    now = datetime.now(UTC)
    reason = {"reason": "测试理由"}
    if event == "accept":
        return {"rights_notified": True, "consent": True}
    if event in ("reject", "return", "withdraw", "escalate", "declare_conflict"):
        return reason
    if event == "reopen":
        await FollowUp.insert(FollowUp(case=case["id"], performed=False, at=now))
        return reason
    if event == "uphold":
        await append_event(
            case["id"], "return", world["actors"]["mediator"], from_state="assigned", to_state="registered",
            payload={"reason": "不归我管", "returned_by": town.users["mediator0"]["id"]},
        )
        return reason
    if event in ("dispatch", "redispatch"):
        return {"mediator_id": town.users["mediator1"]["mediator_id"]}
    if event == "refer":
        return {"plugin": "psych", "reason": "需要心理疏导"}
    if event == "resume":
        return {"result": "疏导完成"}
    if event == "agree":
        return {"facts": "欠薪", "matters": "数额", "terms": [{"obligor": "某某制衣厂", "what": "支付工资", "amount": "100.00"}]}
    if event == "fail":
        return {"advice": "litigation"}
    if event == "close":
        if case["state"] == "agreed":
            await FollowUp.insert(FollowUp(case=case["id"], performed=True, at=now))
        return {}
    if event == "merge":
        return {"into_case_id": world["survivor"]["id"]}
    if event == "link":
        return {"other_case_id": world["survivor"]["id"]}
    if event == "schedule_session":
        return {"scheduled_at": "2026-12-01T02:00:00Z", "place": "调解室"}
    if event in ("record_session", "cancel_session"):
        sid = (await MediationSession.insert(MediationSession(case=case["id"], scheduled_at=now)).returning(MediationSession.id))[0]["id"]
        return {"session_id": sid, "record": "笔录"} if event == "record_session" else {"session_id": sid, "reason": "改期"}
    if event == "follow_up":
        return {"performed": True, "rating": 5}
    if event == "extend":
        return {"both_parties_consent": True, "days": 15}
    if event in ("urge", "supervise"):
        return {"message": "请尽快办理"}
    if event == "set_risk":
        return {"risk_level": "high", "reason": "可能激化"}
    if event == "add_party":
        return {"party": {"name": "李四", "role": "third_party"}}
    if event == "add_assisting_unit":
        return {"organisation_id": town.labour_dept["id"]}
    if event == "release_assisting_unit":
        await CaseUnit.insert(CaseUnit(case=case["id"], organisation=town.labour_dept["id"], organisation_path=town.labour_dept["path"]))
        return {"organisation_id": town.labour_dept["id"]}
    if event == "note":
        return {"text": "备注"}
    if event == "draft_agreement":
        return {"facts": "欠薪", "matters": "数额", "terms": [{"obligor": "某某制衣厂", "what": "支付工资"}]}
    if event == "finalise_agreement":
        draft = Agreement(case=case["id"], facts="欠薪", matters="数额", terms=[{"obligor": "某某制衣厂", "what": "支付工资"}], status="draft")
        return {"agreement_id": (await Agreement.insert(draft).returning(Agreement.id))[0]["id"]}
    assert event in ("take", "first_contact", "own"), f"no data recipe for {event}: add one here"
    return {}


def _required_fields(t: Transition) -> bool:
    return any(f.required for f in msgspec.inspect.type_info(t.data).fields)  # type: ignore[attr-defined]


# Actions whose data parses when empty but whose effect or guard then refuses it.
EMPTY_REFUSED_LATER = {"accept", "extend", "dispatch", "redispatch", "agree"}


def expected(state: str, t: Transition, role: str, *, empty: bool = False) -> str:
    """The outcome the table promises: a state name, or an error code."""
    if empty and _required_fields(t):
        return "validation_failed"  # the data is checked first
    if state not in t.sources:
        return "invalid_transition"
    if role not in t.roles:
        return "forbidden"
    # Seeded cases are assigned to the mediator; supervisors and admins may act for an assignee.
    if t.assignee_only and role != "mediator" and role not in LEAD:
        return "forbidden"
    if empty and t.event in EMPTY_REFUSED_LATER:
        return "validation_failed"
    return t.target or state


def test_every_action_has_a_recipe_and_labels():
    from core.i18n import label

    for t in TABLE:
        assert t.sources <= set(STATES), t.event
        assert t.target is None or t.target in STATES, t.event
        assert t.roles, t.event
        assert label("event", t.event, "zh_CN") != t.event, f"no Chinese label for {t.event}"
    for state in STATES:
        assert label("state", state, "zh_CN") != state


async def _attempt(case: dict[str, Any], event: str, actor: Any, data: dict[str, Any]) -> str:
    before, events_before = await case_row(case["id"]), await event_count(case["id"])
    try:
        written = await transition(case["id"], event, actor, data)
    except JiefenError as exc:
        after, events_after = await case_row(case["id"]), await event_count(case["id"])
        assert after == before and events_after == events_before, f"refused {event} changed the case"
        return exc.code
    after = await case_row(case["id"])
    assert written["name"] == event and written["from_state"] == case["state"] and written["to_state"] == after["state"]
    assert after["version"] == before["version"] + 1
    assert await event_count(case["id"]) == events_before + 1
    return after["state"]


@pytest.mark.parametrize("event", [t.event for t in TABLE])
async def test_table(world, event):
    t = TRANSITIONS[event]
    wrong = []
    for state in STATES:
        case = world["cases"][state]
        # One transaction per state, rolled back at the end; a savepoint around each attempt.
        async with rolled_back() as txn:
            data = await arrange(event, case, world)
            for role in ROLES:
                actor = party_actor(case["id"]) if role == "party" else world["actors"][role]
                for empty in (False, True):
                    want = expected(state, t, role, empty=empty)
                    savepoint = await txn.savepoint()
                    got = await _attempt(case, event, actor, {} if empty else data)
                    await savepoint.rollback_to()
                    if got != want:
                        wrong.append(f"{event} from {state} by {role}{' (empty data)' if empty else ''}: want {want}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_lifecycle_doc_is_current():
    from core.cases.lifecycle_doc import DOC_PATH, render

    assert DOC_PATH.exists(), "run: python -m core.cases.lifecycle_doc"
    assert DOC_PATH.read_text(encoding="utf-8") == render(), "docs/lifecycle.md is stale: run python -m core.cases.lifecycle_doc"


def test_lifecycle_doc_lists_every_action_and_state():
    from core.cases.lifecycle_doc import render

    page = render()
    assert "```mermaid" in page and "stateDiagram-v2" in page
    for t in TABLE:
        assert f"| `{t.event}` |" in page
        if t.target:
            for source in t.sources:
                assert f"{source} --> {t.target}:" in page
