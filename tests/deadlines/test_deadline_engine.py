"""The deadline engine: clocks computed from a case's events under a policy.

Times are written in Asia/Shanghai and converted to UTC.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.deadlines import (
    DEFAULT_POLICIES,
    DeadlinePolicy,
    DeadlineStatus,
    Event,
    LadderStep,
    compute_clocks,
    compute_deadlines,
    default_policies,
)
from core.deadlines.calendar import SHANGHAI
from core.deadlines.policy import FIRST_CONTACT, FOLLOW_UP, MEDIATION


def sh(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI).astimezone(UTC)


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=SHANGHAI).astimezone(UTC)


def one(events: list[Event], policy: DeadlinePolicy, now: datetime) -> DeadlineStatus:
    [status] = compute_deadlines(events, [policy], now)
    return status


def ev(name: str, at: datetime, to: str | None = None, **payload: object) -> Event:
    return Event(name, at, to_state=to, payload=payload)


TAKE = ev("take", sh(2025, 3, 3, 10), "in_mediation")  # mediation due end of Apr 2


# --- first contact: 72 calendar hours ------------------------------------------------------

SUBMIT = ev("submit", sh(2025, 3, 7, 18), "submitted")  # a Friday evening


@pytest.mark.parametrize(
    ("later", "now", "state"),
    [
        ([], sh(2025, 3, 8, 12), "running"),
        ([ev("first_contact", sh(2025, 3, 9, 10))], sh(2025, 3, 12), "met"),
        ([ev("first_contact", sh(2025, 3, 10, 18))], sh(2025, 3, 12), "met"),  # at the limit
        ([ev("first_contact", sh(2025, 3, 10, 18, 1))], sh(2025, 3, 12), "met_late"),
        ([ev("reject", sh(2025, 3, 8, 9), "rejected")], sh(2025, 3, 12), "met"),
        ([], sh(2025, 3, 10, 18, 1), "overdue"),
    ],
)
def test_first_contact_is_72_hours_across_a_weekend(
    later: list[Event], now: datetime, state: str
) -> None:
    status = one([SUBMIT, *later], FIRST_CONTACT, now)
    # Friday 18:00 + 72h = Monday 18:00; the weekend is not skipped.
    assert status.due_at == sh(2025, 3, 10, 18)
    assert status.state == state


def test_first_contact_applies_to_online_applications_only() -> None:
    assert FIRST_CONTACT in default_policies("online")
    assert FIRST_CONTACT not in default_policies("walk_in")
    assert MEDIATION in default_policies("walk_in")


def test_no_start_event_means_no_clock() -> None:
    assert compute_deadlines([ev("submit", sh(2025, 3, 1))], [MEDIATION], sh(2025, 3, 5)) == []


# --- mediation: 30 calendar days, pauses, extensions ----------------------------------------


def test_mediation_is_due_30_calendar_days_after_take() -> None:
    status = one([TAKE], MEDIATION, sh(2025, 3, 10))
    assert status.started_at == sh(2025, 3, 3, 10)
    assert status.due_at == status.base_due_at == end_of(2025, 4, 2)
    assert (status.state, status.paused, status.extensions) == ("running", False, 0)


def test_five_days_in_referred_push_the_deadline_by_five_days() -> None:
    events = [
        TAKE,
        ev("refer", sh(2025, 3, 5, 10), "referred"),
        ev("return_from_referral", sh(2025, 3, 10, 11), "in_mediation"),
    ]
    status = one(events, MEDIATION, sh(2025, 3, 20))
    assert status.due_at == end_of(2025, 4, 7)
    assert status.paused_total == timedelta(days=5, hours=1)
    assert status.state == "running"


def test_while_referred_the_clock_is_paused_and_nothing_fires() -> None:
    events = [TAKE, ev("refer", sh(2025, 3, 5, 10), "referred")]
    status = one(events, MEDIATION, sh(2025, 4, 20))  # long past the unpaused deadline
    assert (status.state, status.paused) == ("paused", True)
    # Provisional: as if the pause ended now (Mar 5 -> Apr 20 = 46 days).
    assert status.due_at == end_of(2025, 5, 18)
    assert status.steps_due() == ()
    assert status.next_fire_at is None


def test_a_pause_after_the_deadline_does_not_revive_it() -> None:
    events = [TAKE, ev("refer", sh(2025, 4, 5, 10), "referred")]
    status = one(events, MEDIATION, sh(2025, 4, 20))
    assert status.due_at == end_of(2025, 4, 2)
    assert (status.state, status.paused) == ("overdue", False)
    assert [n.event for n in status.notes] == ["refer"]


def test_a_case_taken_while_referred_starts_paused() -> None:
    # A plugin flow still has the case; the mediator takes it without changing its state.
    events = [ev("refer", sh(2025, 3, 1), "referred"), ev("take", sh(2025, 3, 3, 10))]
    assert one(events, MEDIATION, sh(2025, 3, 4)).state == "paused"


EXTEND = {"kind": "mediation", "days": 30}


def test_an_extension_adds_30_days_once_and_a_second_is_ignored() -> None:
    events = [TAKE, ev("extend", sh(2025, 3, 20), **EXTEND)]
    once = one(events, MEDIATION, sh(2025, 3, 25))
    assert once.due_at == end_of(2025, 5, 2)
    assert once.extensions == 1

    twice = one([*events, ev("extend", sh(2025, 4, 20), **EXTEND)], MEDIATION, sh(2025, 4, 25))
    assert twice.due_at == end_of(2025, 5, 2)
    assert twice.extensions == 1
    assert [n.message for n in twice.notes] == ["only 1 extension(s) allowed; ignored"]


@pytest.mark.parametrize(
    ("payload", "due", "note"),
    [
        ({"days": 10}, end_of(2025, 4, 12), None),  # no "kind": extends what can be extended
        ({"kind": "mediation", "days": 45}, end_of(2025, 5, 2), "45 days capped at 30"),
        ({"kind": "mediation"}, end_of(2025, 5, 2), None),  # default: a further 30 days
        ({"kind": "mediation", "days": "ten"}, end_of(2025, 4, 2), "invalid days 'ten'; ignored"),
        ({"kind": "mediation", "days": 0}, end_of(2025, 4, 2), "invalid days 0; ignored"),
        ({"kind": "first_contact", "hours": 24}, end_of(2025, 4, 2), None),  # another clock's
    ],
)
def test_extension_payloads(payload: dict[str, object], due: datetime, note: str | None) -> None:
    status = one([TAKE, ev("extend", sh(2025, 3, 20), **payload)], MEDIATION, sh(2025, 3, 25))
    assert status.due_at == due
    assert [n.message for n in status.notes] == ([note] if note else [])


def test_an_extension_after_the_deadline_is_ignored() -> None:
    status = one([TAKE, ev("extend", sh(2025, 4, 3, 9), **EXTEND)], MEDIATION, sh(2025, 4, 5))
    assert (status.state, status.extensions) == ("overdue", 0)
    assert "after the deadline" in status.notes[0].message


def test_follow_up_cannot_be_extended() -> None:
    events = [ev("agree", sh(2025, 3, 3), "agreed"), ev("extend", sh(2025, 3, 5), kind="follow_up")]
    status = one(events, FOLLOW_UP, sh(2025, 3, 6))
    assert status.due_at == end_of(2025, 3, 18)
    assert status.notes[0].message == "follow_up cannot be extended"


# --- starts, stops and reopen ---------------------------------------------------------------


def test_reopen_after_agreement_starts_a_new_mediation_clock() -> None:
    events = [
        TAKE,
        ev("agree", sh(2025, 3, 20, 15), "agreed"),
        ev("reopen", sh(2025, 4, 10, 9), "in_mediation"),
    ]
    now = sh(2025, 4, 12)
    mediation, follow_up = compute_deadlines(events, [MEDIATION, FOLLOW_UP], now)
    assert (mediation.cycle, mediation.started_at) == (2, sh(2025, 4, 10, 9))
    assert (mediation.due_at, mediation.state) == (end_of(2025, 5, 10), "running")
    # The follow-up clock started at the agreement and the reopen ended it.
    assert (follow_up.started_at, follow_up.stopped_by) == (sh(2025, 3, 20, 15), "reopen")
    first, second = compute_clocks(events, MEDIATION, now)
    assert (first.state, first.stopped_by, first.met_at) == ("met", "agree", sh(2025, 3, 20, 15))
    assert second == mediation


def test_retaking_a_running_case_does_not_reset_its_deadline() -> None:
    events = [TAKE, ev("return", sh(2025, 3, 5), "registered"), ev("take", sh(2025, 3, 8))]
    status = one(events, MEDIATION, sh(2025, 3, 9))
    assert status.started_at == TAKE.at
    assert status.notes[0].message == "clock already running; start ignored"


def test_escalation_stops_the_clock_and_the_upper_level_starts_its_own() -> None:
    events = [TAKE, ev("escalate", sh(2025, 3, 10)), ev("take", sh(2025, 3, 11, 9))]
    status = one(events, MEDIATION, sh(2025, 3, 12))
    assert (status.cycle, status.due_at) == (2, end_of(2025, 4, 10))


# --- recomputation from events and policies -------------------------------------------------


def test_a_changed_policy_recomputes_from_the_same_events() -> None:
    shorter = replace(MEDIATION, duration=20)
    assert one([TAKE], MEDIATION, sh(2025, 3, 4)).due_at == end_of(2025, 4, 2)
    assert one([TAKE], shorter, sh(2025, 3, 4)).due_at == end_of(2025, 3, 23)


def test_a_corrected_event_and_event_order() -> None:
    agree = ev("agree", sh(2025, 3, 20), "agreed")
    assert one([agree, TAKE], MEDIATION, sh(2025, 4, 1)).state == "met"
    corrected_take = ev("take", sh(2025, 2, 1, 10), "in_mediation")
    assert one([corrected_take, agree], MEDIATION, sh(2025, 4, 1)).state == "met_late"


def test_events_after_now_are_not_yet_known() -> None:
    events = [TAKE, ev("agree", sh(2025, 3, 20), "agreed")]
    assert one(events, MEDIATION, sh(2025, 3, 10)).state == "running"
    assert one(events, MEDIATION, sh(2025, 3, 21)).state == "met"


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        compute_deadlines([Event("take", datetime(2025, 3, 3))], DEFAULT_POLICIES, sh(2025, 3, 4))


# --- working-day clocks ---------------------------------------------------------------------

WORKING = DeadlinePolicy(
    kind="answer",
    starts_on={"take"},
    stops_on={"answer"},
    duration=3,
    unit="working_days",
    pause_on={"await_documents"},
    resume_on={"documents_received"},
)


def test_working_day_deadline_across_national_day() -> None:
    # Sat Sep 27 -> Sun 28 (adjusted working day), Mon 29, Tue 30.
    status = one([ev("take", sh(2025, 9, 27, 10))], WORKING, sh(2025, 9, 28))
    assert status.due_at == end_of(2025, 9, 30)


@pytest.mark.parametrize(
    ("pause", "resume", "due"),
    [
        # Within one day: nothing is lost.
        (sh(2025, 3, 4, 10), sh(2025, 3, 4, 15), end_of(2025, 3, 10)),
        # Tue to Wed: Wednesday is lost (the day a pause ends counts like a start day).
        (sh(2025, 3, 4, 10), sh(2025, 3, 5, 15), end_of(2025, 3, 11)),
        # Fri evening to Mon morning: one working day (Monday) is lost, the weekend costs
        # nothing.
        (sh(2025, 3, 7, 17), sh(2025, 3, 10, 9), end_of(2025, 3, 11)),
    ],
)
def test_pause_events_push_a_working_day_deadline_by_working_days_lost(
    pause: datetime, resume: datetime, due: datetime
) -> None:
    # Taken Mon Mar 3, 5 working days: due end of Mon Mar 10 without pauses.
    events = [
        ev("take", sh(2025, 3, 3, 9)),
        ev("await_documents", pause),
        ev("documents_received", resume),
    ]
    status = one(events, replace(WORKING, duration=5), sh(2025, 3, 20))
    assert status.base_due_at == end_of(2025, 3, 10)
    assert status.due_at == due


def test_a_pause_over_a_holiday_costs_only_the_working_days_in_it() -> None:
    # Taken Fri Sep 26 2025, 5 working days: Sun 28 (adjusted), Mon 29, Tue 30, Thu Oct 9,
    # Fri Oct 10. Paused Tue Sep 30 to Thu Oct 9: nine days, but only Oct 9 was a working
    # day, so the deadline moves one working day, to Saturday Oct 11 (adjusted).
    events = [
        ev("take", sh(2025, 9, 26, 9)),
        ev("await_documents", sh(2025, 9, 30, 10)),
        ev("documents_received", sh(2025, 10, 9, 10)),
    ]
    status = one(events, replace(WORKING, duration=5), sh(2025, 10, 9, 12))
    assert status.base_due_at == end_of(2025, 10, 10)
    assert status.due_at == end_of(2025, 10, 11)
    assert status.paused_total == timedelta(days=9)


# --- the alert ladder -----------------------------------------------------------------------

DUE = sh(2025, 3, 10, 18)  # first contact for SUBMIT


@pytest.mark.parametrize(
    ("now", "fired", "next_fire_at"),
    [
        (DUE - timedelta(hours=25), [], DUE - timedelta(hours=24)),
        (DUE - timedelta(hours=23), ["reminder", "warning_yellow"], DUE),
        (DUE, ["reminder", "warning_yellow", "urge", "warning_red"], DUE + timedelta(hours=24)),
        (
            DUE + timedelta(hours=23),
            ["reminder", "warning_yellow", "urge", "warning_red"],
            DUE + timedelta(hours=24),
        ),
        (
            DUE + timedelta(hours=25),
            ["reminder", "warning_yellow", "urge", "warning_red", "supervise"],
            None,
        ),
    ],
)
def test_ladder_steps(now: datetime, fired: list[str], next_fire_at: datetime | None) -> None:
    status = one([SUBMIT], FIRST_CONTACT, now)
    assert status.due_at == DUE
    assert [s.name for s in status.steps_due()] == fired
    assert status.next_fire_at == next_fire_at


def test_ladder_step_times_and_audiences() -> None:
    steps = {s.name: s for s in one([SUBMIT], FIRST_CONTACT, DUE).steps}
    assert steps["reminder"].fire_at == DUE - timedelta(hours=24)
    assert steps["reminder"].notify == ("assignee",)
    assert steps["urge"].notify == ("assignee", "org_head")
    assert steps["supervise"].notify == ("parent_org", "case_owner_leader")
    assert steps["supervise"].fire_at == DUE + timedelta(hours=24)


def test_a_met_deadline_fires_nothing() -> None:
    status = one(
        [SUBMIT, ev("first_contact", DUE + timedelta(hours=2))],
        FIRST_CONTACT,
        DUE + timedelta(days=3),
    )
    assert status.state == "met_late"
    assert status.steps_due() == ()
    assert status.next_fire_at is None


def test_an_extension_moves_the_ladder() -> None:
    events = [TAKE, ev("extend", sh(2025, 4, 1), **EXTEND)]
    status = one(events, MEDIATION, sh(2025, 4, 2, 12))
    # Without the extension the reminder would be due now; with it, a month later.
    assert status.steps_due() == ()
    assert status.next_fire_at == end_of(2025, 5, 2) - timedelta(hours=24)


def test_a_step_placed_before_the_start_fires_at_the_start() -> None:
    short = replace(FIRST_CONTACT, duration=12)
    status = one([SUBMIT], short, SUBMIT.at)
    assert [s.name for s in status.steps_due()] == ["reminder", "warning_yellow"]
    assert status.steps[0].fire_at == SUBMIT.at


# --- policy validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"starts_on": "take"}, TypeError),
        ({"unit": "weeks"}, ValueError),
        ({"duration": 0}, ValueError),
        ({"stops_on": {"take"}}, ValueError),
        (
            {"steps": [LadderStep("urge", timedelta(0)), LadderStep("urge", timedelta(1))]},
            ValueError,
        ),
    ],
)
def test_invalid_policies_are_refused(changes: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        replace(MEDIATION, **changes)
