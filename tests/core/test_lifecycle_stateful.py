"""A hypothesis state machine: random actions by random roles on three cases of one town.

After every step: each case's state is a known state; each success wrote exactly one event
and bumped the version by exactly one (a merge also adds one to the survivor); a refusal
changed nothing at all (case rows, timelines, sessions, follow-ups, parties …); every hash
chain verifies.

Hypothesis is synchronous and the database pool lives on the session's event loop, so the
machine runs in a worker thread and sends each coroutine to that loop
(``asyncio.run_coroutine_threadsafe``); the test awaits the thread, leaving the loop free.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from core.actors import Actor
from core.auth.service import actor_for_user
from core.cases import schemas as s
from core.cases.access import can_see
from core.cases.lifecycle import (
    FINAL,
    STATES,
    TABLE,
    TRANSITIONS,
    _is_worker_for,
    allowed_events,
    transition,
)
from core.cases.service import create_case
from core.cases.tables import (
    Agreement,
    Case,
    CaseEvent,
    CaseLink,
    CaseUnit,
    DispatchRule,
    FollowUp,
    MediationSession,
    Party,
)
from core.cases.timeline import verify_chain
from core.errors import JiefenError
from tests.core.helpers import party_actor
from tests.factories import make_town, make_user

pytestmark = [pytest.mark.db, pytest.mark.slow]

EVENTS = [t.event for t in TABLE]
ROLES = (
    "window", "supervisor", "admin", "county_supervisor", "village_staff", "handler",
    "mediator0", "mediator1", "mediator2", "grid_worker", "party",
)
RELATED = (CaseEvent, FollowUp, MediationSession, Agreement, Party, CaseLink, CaseUnit)


class LifecycleMachine(RuleBasedStateMachine):
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    # -- set-up ---------------------------------------------------------------------------

    @initialize()
    def setup(self) -> None:
        self.run(self._setup())

    async def _setup(self) -> None:
        import core.cases.effects  # noqa: F401

        town = await make_town()
        self.town = town
        grid = await make_user(town.villages[0], ["grid_worker"], "网格员")
        admin = await make_user(town.town, ["admin"], "管理员")
        self.actors: dict[str, Actor] = {}
        for role, user in {**town.users, "grid_worker": grid, "admin": admin}.items():
            actor = await actor_for_user(user["id"])
            assert actor is not None
            self.actors[role] = actor
        await DispatchRule.insert(DispatchRule(owner=town.town["id"], dispute_type="labour", target=town.labour_dept["id"], to_pool=True))
        desk = self.actors["window"]
        self.case_ids: list[int] = []
        self.expected: dict[int, dict[str, int]] = {}
        for i in range(3):
            phone = "13900000002" if i == 2 else f"1380013800{i}"  # case 2's applicant shares mediator2's phone
            data = s.CaseIn(
                channel="walk_in", dispute_type="labour", description=f"欠薪 {i}", place_id=town.villages[0]["id"],
                parties=[s.PartyIn(name="张三", phone=phone), s.PartyIn(name="某厂", role="respondent", kind="company")],
                accept_now=i == 0, rights_notified=True, consent=True,
            )
            created = await create_case(data, desk, org_id=town.town["id"])
            self.case_ids.append(created["id"])
            self.expected[created["id"]] = {"version": created["version"], "events": created["version"]}
        self.steps = 0
        self.successes = 0

    # -- data for an action ---------------------------------------------------------------

    async def _data(self, event: str, case_id: int, pick: int) -> dict[str, Any]:
        # ``pick`` (drawn in the rule: hypothesis draws only on its own thread) chooses among options.
        def choose(options: list[Any]) -> Any:
            return options[pick % len(options)]

        town = self.town
        reason = {"reason": "理由"}
        if event == "accept":
            return {"rights_notified": True, "consent": choose([True, False])}
        if event in ("reject", "return", "withdraw", "reopen", "uphold", "escalate", "declare_conflict"):
            return reason
        if event in ("dispatch", "redispatch"):
            return choose([
                {"mediator_id": town.users["mediator0"]["mediator_id"]},
                {"mediator_id": town.users["mediator1"]["mediator_id"]},
                {"mediator_id": town.users["mediator2"]["mediator_id"]},
                {"organisation_id": town.labour_dept["id"]},
                {"assignee_id": town.users["handler"]["id"]},
                {"by_rules": True},
                {},
            ])
        if event == "refer":
            return {"plugin": "psych", "reason": "心理疏导"}
        if event == "resume":
            return {"result": "完成"}
        if event == "agree":
            return {"facts": "欠薪", "matters": "数额", "terms": [{"obligor": "某厂", "what": "支付", "amount": "10.00"}]}
        if event == "fail":
            return {"advice": choose(["arbitration", "litigation"])}
        if event in ("merge", "link"):
            other = choose(self.case_ids)
            return {"into_case_id": other} if event == "merge" else {"other_case_id": other}
        if event == "schedule_session":
            return {"scheduled_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(), "mode": "video"}
        if event in ("record_session", "cancel_session"):
            row = await MediationSession.select(MediationSession.id).where(
                (MediationSession.case == case_id) & (MediationSession.status == "scheduled")
            ).first()
            sid = row["id"] if row else 0
            return {"session_id": sid, "record": "笔录"} if event == "record_session" else {"session_id": sid, "reason": "改期"}
        if event == "follow_up":
            return {"performed": choose([True, False, None]), "rating": [None, 3, 5][(pick // 3) % 3]}
        if event == "extend":
            return {"both_parties_consent": choose([True, False])}
        if event in ("urge", "supervise"):
            return {"message": "请尽快"}
        if event == "set_risk":
            return {"risk_level": choose(["high", "medium", "low"])}
        if event == "add_party":
            return {"party": {"name": "李四", "role": "third_party", "phone": choose(["", "13900000001"])}}
        if event in ("add_assisting_unit", "release_assisting_unit"):
            return {"organisation_id": town.labour_dept["id"]}
        if event == "note":
            return {"text": "备注"}
        if event == "draft_agreement":
            return {"facts": "欠薪", "matters": "数额", "terms": [{"obligor": "某厂", "what": "支付", "amount": "10.00"}]}
        if event == "finalise_agreement":
            row = await Agreement.select(Agreement.id).where((Agreement.case == case_id) & (Agreement.status == "draft")).first()
            return {"agreement_id": row["id"] if row else 0}
        return {}

    # -- snapshots --------------------------------------------------------------------------

    async def _snapshot(self) -> dict[int, dict[str, Any]]:
        """Every column of the three cases and the number of rows hanging off each, in one query."""
        counts = ", ".join(
            f'(SELECT count(*) FROM {table._meta.tablename} x WHERE x."case" = c.id) AS n_{table._meta.tablename}'
            for table in RELATED
        )
        ids = ", ".join(str(int(cid)) for cid in self.case_ids)
        rows = await Case.raw(
            f"SELECT c.*, {counts}, (SELECT count(*) FROM mediator_relation r WHERE r.case_id = c.id) AS n_relation "
            f"FROM dispute_case c WHERE c.id IN ({ids})"
        )
        return {row["id"]: row for row in rows}

    # -- rules ------------------------------------------------------------------------------

    @rule(index=st.integers(0, 2), event=st.sampled_from(EVENTS), role=st.sampled_from(ROLES), pick=st.integers(0, 359))
    def act(self, index: int, event: str, role: str, pick: int) -> None:
        """Any action by anyone, now and then with a stale version: mostly refusals, which must change nothing."""
        self.run(self._act(self.case_ids[index], event, role, pick, stale=pick % 10 == 9))

    @rule(index=st.integers(0, 2), role=st.sampled_from(ROLES), pick=st.integers(0, 359))
    def act_as_offered(self, index: int, role: str, pick: int) -> None:
        """An action the case offers this role now (what the buttons show): mostly successes."""
        self.run(self._act_offered(self.case_ids[index], role, pick))

    @rule(index=st.integers(0, 2), pick=st.integers(0, 359))
    def advance(self, index: int, pick: int) -> None:
        """One step along the main road (register, dispatch, take, end, follow up, close).

        The other two rules wander; this one makes sure every run reaches the later states,
        whatever the shared database or the draw did to the wandering.
        """
        self.run(self._advance(self.case_ids[index], pick))

    async def _advance(self, case_id: int, pick: int) -> None:
        case = await Case.select().where(Case.id == case_id).first()
        road = {
            "submitted": ["accept"], "registered": ["dispatch"], "assigned": ["take"],
            "in_mediation": [["agree", "fail", "refer"][pick % 3]], "referred": ["resume", "close"][pick % 2:],
            "agreed": [["follow_up", "close"][pick % 2]], "failed": ["close"],
        }.get(case["state"], [])
        for event in road:
            for name in ROLES[:-1]:  # staff only: a party's only move is to withdraw
                if event in allowed_events(case, self.actors[name]) and can_see(self.actors[name], case):
                    # pick 0 gives consent at accept, a mediator at dispatch and "performed" at follow-up.
                    await self._act(case_id, event, name, 0, stale=False)
                    return

    async def _act_offered(self, case_id: int, role: str, pick: int) -> None:
        case = await Case.select().where(Case.id == case_id).first()
        offers: dict[str, list[str]] = {}
        for name in ROLES:
            actor = party_actor(case_id) if name == "party" else self.actors[name]
            if can_see(actor, case) and (offered := allowed_events(case, actor)):
                offers[name] = offered
        if not offers:
            return
        workers = [n for n in offers if self.actors.get(n) and _is_worker_for(case, self.actors[n])]
        # Half the time the assignee (or a pool member) acts: otherwise the desk keeps the case.
        role = workers[0] if workers and pick % 2 else (role if role in offers else sorted(offers)[pick % len(offers)])
        offered = offers[role]
        # Mostly actions that move the case on, and rarely ones that end it.
        moves = [e for e in offered if TRANSITIONS[e].target not in (None, *FINAL)]
        if moves and pick % 5:
            offered = moves
        await self._act(case_id, offered[(pick // 2) % len(offered)], role, pick // 7, stale=False)

    async def _act(self, case_id: int, event: str, role: str, pick: int, *, stale: bool) -> None:
        actor = party_actor(case_id) if role == "party" else self.actors[role]
        payload = await self._data(event, case_id, pick)
        before = await self._snapshot()
        case = before[case_id]
        if stale:
            payload["version"] = case["version"] - 1
        try:
            written = await transition(case_id, event, actor, payload)
        except JiefenError as exc:
            STATS["refused"] += 1
            after = await self._snapshot()
            assert after == before, f"refused {event} by {role} ({exc.code}) changed something"
            # The data, visibility and version come first; a stale version is never accepted.
            assert not stale or exc.code in ("conflict", "not_found", "validation_failed"), exc.code
            return
        assert not stale, "a stale version was accepted"
        STATS["succeeded"] += 1
        t = TRANSITIONS[event]
        assert written["from_state"] == case["state"]
        assert written["to_state"] == (t.target or case["state"])
        changed = [case_id] + ([payload["into_case_id"]] if event == "merge" else [])
        for cid in changed:
            self.expected[cid]["version"] += 1
            self.expected[cid]["events"] += 1
        after = await self._snapshot()
        for cid, row in after.items():
            assert row["state"] in STATES
            VISITED.add(row["state"])
            want = self.expected[cid]
            assert row["version"] == want["version"], (cid, row["version"], want)
            assert row["n_case_event"] == want["events"], (cid, row["n_case_event"], want)
            if cid not in changed:
                assert row == before[cid], f"{event} on case {case_id} changed case {cid}"
        for cid in changed:
            last = await CaseEvent.select(CaseEvent.to_state).where(CaseEvent.case == cid).order_by(CaseEvent.seq, ascending=False).first()
            assert last["to_state"] == after[cid]["state"], "the last event names the current state"
            report = await verify_chain(cid)
            assert report.intact, report


STATS = {"succeeded": 0, "refused": 0}
VISITED: set[str] = set()


async def test_random_actions_keep_the_invariants():
    LifecycleMachine.loop = asyncio.get_running_loop()
    config = settings(
        # JIEFEN_STATEFUL_EXAMPLES=500 for a long hunt; 25 keeps the suite quick.
        max_examples=int(os.environ.get("JIEFEN_STATEFUL_EXAMPLES", "25")), stateful_step_count=25, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        # In the suite the run is derandomised, so the coverage checks below are reproducible;
        # a long hunt (JIEFEN_STATEFUL_EXAMPLES) explores at random.
        derandomize="JIEFEN_STATEFUL_EXAMPLES" not in os.environ,
    )
    await asyncio.to_thread(run_state_machine_as_test, LifecycleMachine, settings=config)
    # The machine must actually move cases around, not only collect refusals.
    assert STATS["succeeded"] >= 50, STATS
    main_road = {"registered", "assigned", "in_mediation", "agreed", "failed", "referred", "closed"}
    assert main_road <= VISITED, (sorted(main_road - VISITED), STATS)
