"""Figures supervisors read (日动态、周研判、月分析), for the admin dashboard and the API.

Periods are local days ``[start, end)``. A case belongs to an organisation when any of its
paths (responsible level, place, handling body) lies in that organisation's subtree.
Rates are None when their denominator is 0.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from core.cases.tables import Case, CaseEvent, Deadline
from core.db import write_transaction
from core.orgs.tables import Organisation
from core.reports.tables import KINDS, Report
from core.settings import get_settings

HOT_SPOTS = 10


def period_containing(kind: str, day: date) -> tuple[date, date]:
    if kind == "daily_update":
        return day, day + timedelta(days=1)
    if kind == "weekly_review":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=7)
    if kind == "monthly_analysis":
        first = day.replace(day=1)
        return first, (first + timedelta(days=32)).replace(day=1)
    raise ValueError(f"unknown report kind {kind!r}")


def last_complete_period(kind: str, today: date) -> tuple[date, date]:
    """The latest period that ended by the start of ``today``."""
    start, _ = period_containing(kind, today)
    return period_containing(kind, start - timedelta(days=1))


def _utc(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=get_settings().zone).astimezone(UTC)


def _in_tree(path: str) -> Any:
    prefix = path + "%"
    return Case.org_path.like(prefix) | Case.place_path.like(prefix) | Case.assigned_org_path.like(prefix)


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _mean_hours(pairs: list[tuple[datetime, datetime]]) -> float | None:
    if not pairs:
        return None
    return round(sum((b - a).total_seconds() for a, b in pairs) / len(pairs) / 3600, 2)


async def figures(org_path: str, start: date, end: date) -> dict[str, Any]:
    lo, hi = _utc(start), _utc(end)
    tree = _in_tree(org_path)
    cases = await Case.select(
        Case.id, Case.state, Case.dispute_type, Case.channel, Case.place, Case.place.name.as_alias("place_name"),
    ).where(tree & (Case.submitted_at >= lo) & (Case.submitted_at < hi))
    tree_ids = Case.select(Case.id).where(tree)
    events = await CaseEvent.select(CaseEvent.name).where(
        CaseEvent.name.is_in(["accept", "agree", "fail", "close"]) & (CaseEvent.at >= lo) & (CaseEvent.at < hi)
        & CaseEvent.case.is_in(tree_ids)
    )
    counted = Counter(e["name"] for e in events)
    contacted = await Case.select(Case.submitted_at, Case.first_contact_at).where(
        tree & (Case.first_contact_at >= lo) & (Case.first_contact_at < hi)
    )
    closed = await Case.select(Case.submitted_at, Case.closed_at).where(tree & (Case.closed_at >= lo) & (Case.closed_at < hi))
    overdue = await Deadline.select(Deadline.case).where(
        (Deadline.due_at < hi) & (Deadline.started_at < hi) & (Deadline.stopped_at.is_null() | (Deadline.stopped_at > hi))
        & Deadline.case.is_in(tree_ids)
    )
    places = Counter((c["place"], c["place_name"]) for c in cases if c["place"])
    place_types: dict[int, Counter[str]] = {}
    for c in cases:
        if c["place"]:
            place_types.setdefault(c["place"], Counter())[c["dispute_type"]] += 1
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "cases": len(cases),
        "by_state": dict(Counter(c["state"] for c in cases)),
        "by_type": dict(Counter(c["dispute_type"] for c in cases)),
        "by_channel": dict(Counter(c["channel"] for c in cases)),
        "by_place": {name: n for (_, name), n in places.items()},
        "accepted": counted["accept"], "agreed": counted["agree"], "failed": counted["fail"], "closed": counted["close"],
        "success_rate": _rate(counted["agree"], counted["agree"] + counted["fail"]),
        "closure_rate": _rate(counted["close"], counted["accept"]),
        "overdue": len({r["case"] for r in overdue}),
        "avg_hours_to_first_contact": _mean_hours([(r["submitted_at"], r["first_contact_at"]) for r in contacted]),
        "avg_hours_to_close": _mean_hours([(r["submitted_at"], r["closed_at"]) for r in closed]),
        "hot_spots": [
            {"place_id": pid, "name": name, "cases": n, "top_type": place_types[pid].most_common(1)[0][0]}
            for (pid, name), n in places.most_common(HOT_SPOTS)
        ],
    }


async def store(org: dict[str, Any], kind: str, start: date, *, replace: bool = False) -> dict[str, Any]:
    """Compute and keep one report; an existing one is kept unless ``replace``."""
    start, end = period_containing(kind, start)
    existing = await Report.select().where(
        (Report.organisation == org["id"]) & (Report.kind == kind) & (Report.period_start == start)
    ).first()
    if existing and not replace:
        return _decoded(existing)
    data = await figures(org["path"], start, end)
    now = datetime.now(UTC)
    async with write_transaction():
        if existing:
            await Report.update({Report.figures: data, Report.computed_at: now}).where(Report.id == existing["id"])
        else:
            await Report.insert(
                Report(organisation=org["id"], kind=kind, period_start=start, period_end=end, figures=data, computed_at=now)
            ).on_conflict(action="DO NOTHING")
    row = await Report.select().where(
        (Report.organisation == org["id"]) & (Report.kind == kind) & (Report.period_start == start)
    ).first()
    return _decoded(row)


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    figures = row["figures"]
    return {**row, "figures": json.loads(figures) if isinstance(figures, str) else figures}


async def reporting_organisations() -> list[dict[str, Any]]:
    """Counties and towns: the levels that read reports."""
    return await Organisation.select(Organisation.id, Organisation.path).where(
        Organisation.type_code.is_in(["county", "town"]) & (Organisation.active == True)  # noqa: E712
    )


async def compute_due(today: date | None = None) -> int:
    """Every report of a complete period that is not kept yet; returns how many were made."""
    today = today or datetime.now(get_settings().zone).date()
    made = 0
    for org in await reporting_organisations():
        for kind in KINDS:
            start, _ = last_complete_period(kind, today)
            if not await Report.exists().where(
                (Report.organisation == org["id"]) & (Report.kind == kind) & (Report.period_start == start)
            ):
                await store(org, kind, start)
                made += 1
    return made


async def list_reports(org_id: int, kind: str | None = None, limit: int = 30) -> list[dict[str, Any]]:
    where = Report.organisation == org_id
    if kind:
        where &= Report.kind == kind
    return await Report.select(
        Report.id, Report.organisation, Report.kind, Report.period_start, Report.period_end, Report.computed_at
    ).where(where).order_by(Report.period_start, ascending=False).limit(limit)


async def get_report(report_id: int) -> dict[str, Any] | None:
    row = await Report.select().where(Report.id == report_id).first()
    return _decoded(row) if row else None


async def latest(org_id: int, kind: str) -> dict[str, Any] | None:
    row = await Report.select().where((Report.organisation == org_id) & (Report.kind == kind)).order_by(
        Report.period_start, ascending=False
    ).first()
    return _decoded(row) if row else None


async def kept(org_id: int, kind: str, period_start: date) -> dict[str, Any] | None:
    """The kept report of one period (``period_start`` as ``period_containing`` gives it), if any."""
    row = await Report.select().where(
        (Report.organisation == org_id) & (Report.kind == kind) & (Report.period_start == period_start)
    ).first()
    return _decoded(row) if row else None


async def deadline_board(org_path: str, now: datetime | None = None) -> dict[str, Any]:
    """Live deadlines by warning colour, and the cases under supervision (督办), for dashboards."""
    from core.deadlines.tables import DeadlineStepFired

    now = now or datetime.now(UTC)
    tree_ids = Case.select(Case.id).where(_in_tree(org_path))
    live = await Deadline.select(Deadline.case, Deadline.kind, Deadline.due_at).where(
        Deadline.state.is_in(["running", "overdue"]) & Deadline.case.is_in(tree_ids)
    )
    red = [d for d in live if d["due_at"] <= now]
    yellow = [d for d in live if now < d["due_at"] <= now + timedelta(hours=24)]
    live_keys = {(d["case"], d["kind"], d["due_at"]) for d in live}
    supervised = await DeadlineStepFired.select(DeadlineStepFired.case_id, DeadlineStepFired.kind, DeadlineStepFired.due_at).where(
        (DeadlineStepFired.step == "supervise") & DeadlineStepFired.case_id.is_in(tree_ids)
    )
    return {
        "red": [{"case_id": d["case"], "kind": d["kind"], "due_at": d["due_at"]} for d in red],
        "yellow": [{"case_id": d["case"], "kind": d["kind"], "due_at": d["due_at"]} for d in yellow],
        "supervised": sorted({s["case_id"] for s in supervised if (s["case_id"], s["kind"], s["due_at"]) in live_keys}),
    }
