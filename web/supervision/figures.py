"""Live figures for the supervision dashboard (督办看板): a handful of aggregate queries over
the cases a supervisor may see, never a row per case.

``dashboard_figures(actor, org_path=..., period=...)`` is the benchmark hook: bench/ times it
for a county supervisor (build the actor with :func:`supervisor_for`).

Definitions (all over the actor's subtree, ``core.cases.access.visible_filter``, narrowed to
``org_path`` when given):

* **open** (在办): state not final (not rejected, withdrawn or closed).
* **overdue** (超期): open and ``Case.next_due_at`` (the earliest running deadline) has passed.
* The window (``period``: last 30 or 90 days, this year, or all) takes the cases *submitted*
  in it; every rate below is over that cohort, so each lies between 0 and 1:
  * **success rate** (调解成功率) = outcome agreed ÷ (outcome agreed + outcome failed);
  * **closure rate** (办结率) = closed ÷ accepted (accepted: registered at some point; merged
    duplicates count in neither);
  * **average time to first contact** = mean of ``first_contact_at − submitted_at`` over the
    cases contacted; **to close** = mean of ``closed_at − submitted_at`` over the cases closed.
* **daily intake**: cases submitted per local day over the last 30 days.
* **hot spots**: the villages (a grid counts for its village) with the most cases in the window.
A rate or mean with nothing to divide by is ``None`` (shown as "—").
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from piccolo.columns.combination import Or
from piccolo.querystring import QueryString

from core.actors import Actor
from core.cases.access import visible_filter
from core.cases.lifecycle import FINAL, STATES, allowed_events
from core.cases.tables import RISK_LEVELS, Case, CaseEvent, Deadline
from core.db import engine, is_sqlite
from core.reports import day_figures, due_counts
from core.reports.counts import org_id_of, subtree_counts
from core.settings import get_settings

PERIODS = ("30d", "90d", "year", "all")
DEFAULT_PERIOD = "year"
DAILY_DAYS = 30
HOT_SPOTS = 10
OVERDUE_LIMIT = 50
OPEN_STATES = tuple(s for s in STATES if s not in FINAL)
# The dashboard's actions on an overdue case, in button order.
SUPERVISION_EVENTS = ("urge", "supervise")


@dataclass
class Dashboard:
    org_path: str
    period: str
    since: date | None
    now: datetime
    open: int = 0
    overdue: int = 0
    high_risk_open: int = 0
    by_state: list[tuple[str, int]] = field(default_factory=list)
    by_type: list[tuple[str, int]] = field(default_factory=list)
    by_risk: list[tuple[str, int]] = field(default_factory=list)
    overdue_by_state: dict[str, int] = field(default_factory=dict)
    submitted: int = 0
    accepted: int = 0
    closed: int = 0
    agreed: int = 0
    failed: int = 0
    success_rate: float | None = None
    closure_rate: float | None = None
    contacted: int = 0
    avg_hours_to_first_contact: float | None = None
    closed_timed: int = 0
    avg_hours_to_close: float | None = None
    daily: list[tuple[date, int]] = field(default_factory=list)
    hot_spots: list[dict[str, Any]] = field(default_factory=list)


def supervisor_for(org: dict[str, Any]) -> Actor:
    """A supervisor of ``org`` (a row with ``id`` and ``path``), e.g. for the benchmark."""
    return Actor(kind="staff", roles=frozenset({"supervisor"}), org_id=org["id"], org_path=org["path"], name="bench")


def scope_where(actor: Actor, org_path: str | None = None) -> Any:
    """The actor's visible cases, narrowed to ``org_path``'s subtree (the same three paths)."""
    where = visible_filter(actor)
    if org_path and org_path != actor.org_path:
        prefix = org_path + "%"
        where &= Or(Or(Case.org_path.like(prefix), Case.place_path.like(prefix)), Case.assigned_org_path.like(prefix))
    return where


def period_start(period: str, now: datetime) -> date | None:
    """The first local day of the window, or None for all time."""
    today = now.astimezone(get_settings().zone).date()
    if period == "30d":
        return today - timedelta(days=29)
    if period == "90d":
        return today - timedelta(days=89)
    if period == "year":
        return today.replace(month=1, day=1)
    return None


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=get_settings().zone).astimezone(UTC)


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _hours(later: Any, earlier: Any) -> QueryString:
    """``later − earlier`` in hours, as SQL for the engine in use."""
    if is_sqlite():
        return QueryString("((julianday({}) - julianday({})) * 24.0)", later, earlier)
    return QueryString("(EXTRACT(EPOCH FROM ({} - {})) / 3600.0)", later, earlier)


def _local_day(column: Any) -> QueryString:
    zone = get_settings().zone
    if is_sqlite():
        # SQLite has no zones: shift by the zone's current offset (Asia/Shanghai has no DST).
        offset = datetime.now(zone).utcoffset() or timedelta()
        return QueryString("date({}, {})", column, f"{int(offset.total_seconds() // 60):+d} minutes")
    return QueryString("CAST(({} AT TIME ZONE {}) AS DATE)", column, zone.key)


def _in(values: tuple[str, ...]) -> QueryString:
    return QueryString("(" + ", ".join("{}" for _ in values) + ")", *values)


async def _run(template: str, *args: Any) -> list[dict[str, Any]]:
    return await engine().run_querystring(QueryString(template, *args))


def _int(value: Any) -> int:
    return int(value or 0)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


async def dashboard_figures(
    actor: Actor, *, org_path: str | None = None, period: str = DEFAULT_PERIOD, now: datetime | None = None,
    kept: bool = True,
) -> Dashboard:
    """Every number on the dashboard in a few aggregate queries (plus one for place names).
    ``kept=False`` computes the period figures and the overdue count live from the cases even
    when the kept day figures and due counts could serve the scope (the tests compare the two)."""
    now = now or datetime.now(UTC)
    period = period if period in PERIODS else DEFAULT_PERIOD
    since = period_start(period, now)
    d = Dashboard(org_path=org_path or actor.org_path, period=period, since=since, now=now)
    where = scope_where(actor, org_path).querystring
    org_id = _counted_org(actor, org_path)
    if org_id is not None and kept:
        # Kept counts, overdue by due hour and period figures (core/reports/), read at once.
        counted, overdue, (window, rows), daily = await together(
            subtree_counts(org_id), _overdue(now, where, org_id), day_figures.window_and_places(org_id, since),
            day_figures.daily(org_id, _daily_first(d)),
        )
        _snapshot_from(d, [r for r in counted if r["state"] in OPEN_STATES], overdue)
        _window_from(d, window)
        _daily_from(d, daily)
        await _hot_spots_from(d, rows, cases="submitted")  # place 0 (none) is no place
        return d
    await _snapshot(d, where, org_id, kept)
    await _window(d, where)
    await _daily(d, where)
    await _hot_spots(d, where, actor)
    return d


async def together(*reads: Awaitable[Any]) -> list[Any]:
    """Independent reads at once, each on its own pooled connection; one after another inside
    a transaction (its one connection runs one statement at a time)."""
    if engine().current_transaction.get() is not None:
        return [await read for read in reads]
    return list(await asyncio.gather(*reads))


def _counted_org(actor: Actor, org_path: str | None) -> int | None:
    """The organisation whose subtree is exactly the dashboard's scope, when there is one: then
    the open counts come from the kept case counts (core/reports/counts.py), not a GROUP BY."""
    if actor.is_system or actor.kind == "party" or not actor.org_path:
        return None
    path = org_path or actor.org_path
    if path.startswith(actor.org_path):
        return org_id_of(path)
    if actor.org_path.startswith(path):
        return org_id_of(actor.org_path)
    return None  # two unrelated subtrees: a case may lie in both, count it live


async def _snapshot(d: Dashboard, where: QueryString, org_id: int | None = None, kept: bool = True) -> None:
    if org_id is None:
        rows = await _run(
            "SELECT state, dispute_type, risk_level, COUNT(*) AS n FROM dispute_case WHERE {} AND state IN {}"
            " GROUP BY state, dispute_type, risk_level",
            where, _in(OPEN_STATES),
        )
    else:
        rows = [r for r in await subtree_counts(org_id) if r["state"] in OPEN_STATES]
    _snapshot_from(d, rows, await _overdue(d.now, where, org_id if kept else None))


def _snapshot_from(d: Dashboard, rows: list[dict[str, Any]], overdue: Counter[str]) -> None:
    """Fill the open figures from (state, dispute_type, risk_level, n) rows and overdue by state."""
    states: Counter[str] = Counter()
    types: Counter[str] = Counter()
    risks: Counter[str] = Counter()
    for r in rows:
        n = _int(r["n"])
        states[r["state"]] += n
        types[r["dispute_type"]] += n
        risks[r["risk_level"]] += n
    d.open = sum(states.values())
    d.overdue = sum(overdue.values())
    d.high_risk_open = risks["high"]
    d.by_state = [(s, states[s]) for s in OPEN_STATES if states[s]]
    d.by_type = sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))
    d.by_risk = [(r, risks[r]) for r in RISK_LEVELS]
    d.overdue_by_state = {s: overdue[s] for s in OPEN_STATES if overdue[s]}


async def _overdue(now: datetime, where: QueryString, org_id: int | None) -> Counter[str]:
    """Open cases past their earliest running deadline, by state. For one organisation's
    subtree: the kept counts of the due hours before ``now``'s (core/reports/due_counts.py) plus
    a live count of ``now``'s own hour (a short range of ``next_due_at``: at most an hour of
    deadlines). Otherwise all counted live (every overdue case's row is read)."""
    live = "SELECT state, COUNT(*) AS n FROM dispute_case WHERE {} AND state IN {} AND next_due_at IS NOT NULL{} AND next_due_at < {} GROUP BY state"
    if org_id is None:
        rows = await _run(live, where, _in(OPEN_STATES), QueryString(""), now)
        return Counter({r["state"]: _int(r["n"]) for r in rows})
    hour, start = due_counts.current_hour(now)
    late, rows = await together(
        due_counts.overdue_before(org_id, hour),
        _run(live, where, _in(OPEN_STATES), QueryString(" AND next_due_at >= {}", start), now),
    )
    late.update({r["state"]: _int(r["n"]) for r in rows})
    return late


async def _window(d: Dashboard, where: QueryString) -> None:
    since = QueryString(" AND submitted_at >= {}", local_midnight(d.since)) if d.since else QueryString("")
    closed = "state = 'closed' AND outcome <> 'merged'"
    [r] = await _run(
        "SELECT COUNT(*) AS submitted,"
        " SUM(CASE WHEN registered_at IS NOT NULL AND outcome <> 'merged' THEN 1 ELSE 0 END) AS accepted,"
        f" SUM(CASE WHEN {closed} AND registered_at IS NOT NULL THEN 1 ELSE 0 END) AS closed,"
        " SUM(CASE WHEN outcome = 'agreed' THEN 1 ELSE 0 END) AS agreed,"
        " SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) AS failed,"
        " COUNT(first_contact_at) AS contacted,"
        " AVG(CASE WHEN first_contact_at IS NOT NULL THEN {} END) AS first_contact_hours,"
        f" SUM(CASE WHEN {closed} AND closed_at IS NOT NULL THEN 1 ELSE 0 END) AS closed_timed,"
        f" AVG(CASE WHEN {closed} AND closed_at IS NOT NULL THEN {{}} END) AS close_hours"
        " FROM dispute_case WHERE {}{}",
        _hours(Case.first_contact_at, Case.submitted_at), _hours(Case.closed_at, Case.submitted_at), where, since,
    )
    _window_from(d, r)


def _window_from(d: Dashboard, r: dict[str, Any]) -> None:
    """Fill the window figures from their sums (live query or kept day figures)."""
    d.submitted, d.accepted, d.closed = _int(r["submitted"]), _int(r["accepted"]), _int(r["closed"])
    d.agreed, d.failed = _int(r["agreed"]), _int(r["failed"])
    d.success_rate = _rate(d.agreed, d.agreed + d.failed)
    d.closure_rate = _rate(d.closed, d.accepted)
    d.contacted, d.closed_timed = _int(r["contacted"]), _int(r["closed_timed"])
    if "contact_hours" in r:  # kept sums of hours, not means
        d.avg_hours_to_first_contact = float(r["contact_hours"]) / d.contacted if d.contacted else None
        d.avg_hours_to_close = float(r["close_hours"]) / d.closed_timed if d.closed_timed else None
        return
    d.avg_hours_to_first_contact = _float(r["first_contact_hours"])
    d.avg_hours_to_close = _float(r["close_hours"])


def _daily_first(d: Dashboard) -> date:
    return d.now.astimezone(get_settings().zone).date() - timedelta(days=DAILY_DAYS - 1)


async def _daily(d: Dashboard, where: QueryString) -> None:
    first = _daily_first(d)
    rows = await _run(
        "SELECT {} AS day, COUNT(*) AS n FROM dispute_case WHERE {} AND submitted_at >= {} GROUP BY 1",
        _local_day(Case.submitted_at), where, local_midnight(first),
    )
    _daily_from(d, {str(r["day"]): _int(r["n"]) for r in rows})


def _daily_from(d: Dashboard, counted: dict[str, int]) -> None:
    first = _daily_first(d)
    d.daily = [(day, counted.get(day.isoformat(), 0)) for day in (first + timedelta(days=i) for i in range(DAILY_DAYS))]


async def _hot_spots(d: Dashboard, where: QueryString, actor: Actor) -> None:
    since = QueryString(" AND submitted_at >= {}", local_midnight(d.since)) if d.since else QueryString("")
    # Grouped by the place's id (an integer groups far faster than its path), rolled up below.
    rows = await _run(
        "SELECT place, dispute_type, COUNT(*) AS n,"
        " SUM(CASE WHEN state IN {} THEN 1 ELSE 0 END) AS open,"
        " SUM(CASE WHEN state IN {} AND risk_level = 'high' THEN 1 ELSE 0 END) AS high"
        " FROM dispute_case WHERE {} AND place IS NOT NULL{} GROUP BY place, dispute_type",
        _in(OPEN_STATES), _in(OPEN_STATES), where, since,
    )
    await _hot_spots_from(d, rows)


async def _hot_spots_from(d: Dashboard, rows: list[dict[str, Any]], cases: str = "n") -> None:
    """Rank the villages from (place, dispute_type, ``cases``, open, high) rows."""
    rows = [r for r in rows if r["place"] and r[cases]]
    if not rows:
        return
    places, orgs = await _places_and_ancestors(sorted({int(r["place"]) for r in rows}))
    # Each place's village once, not once per row (a county has ~300 places, ~2,600 rows).
    village = {pid: _village_of(place["path"], orgs) for pid, place in places.items()}
    spots: dict[str, dict[str, Any]] = {}
    types: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        path = village.get(int(r["place"]))
        if path is None:
            continue
        spot = spots.get(path)
        if spot is None:
            spot = spots[path] = {"path": path, "cases": 0, "open": 0, "high": 0}
        n = _int(r[cases])
        spot["cases"] += n
        spot["open"] += _int(r["open"])
        spot["high"] += _int(r["high"])
        types[path][r["dispute_type"]] += n
    ranked = sorted(spots.values(), key=lambda s: (-s["cases"], -s["open"], s["path"]))[:HOT_SPOTS]
    for s in ranked:
        org = orgs.get(s["path"], {})
        s["place_id"], s["name"] = org.get("id"), org.get("name", s["path"])
        # Ties go to the type named first, whatever order the rows came in.
        s["top_type"], s["top_type_cases"] = min(types[s["path"]].items(), key=lambda kv: (-kv[1], kv[0]))
    d.hot_spots = ranked


async def _places_and_ancestors(ids: list[int]) -> tuple[dict[int, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The places (by id) and every organisation on their paths (by path), in one query: a
    path holds its ancestors' ids (``/1/5/9/``), so they are read by primary key, and the ids
    go in as one parameter (a few hundred places made two long IN lists before)."""
    if is_sqlite():
        wanted = QueryString(
            "SELECT CAST(j.value AS INTEGER) FROM organisation p, json_each('[\"' || replace(p.path, '/', '\",\"') || '\"]') j"
            " WHERE p.id IN (SELECT value FROM json_each({})) AND j.value <> ''",
            json.dumps(ids),
        )
    else:
        wanted = QueryString(
            "SELECT DISTINCT part::integer FROM organisation p, unnest(string_to_array(p.path, '/')) AS part"
            " WHERE p.id = ANY({}::integer[]) AND part <> ''",
            ids,
        )
    rows = await _run("SELECT id, name, path, type_code FROM organisation WHERE id IN ({})", wanted)
    wanted_ids = set(ids)
    return {o["id"]: o for o in rows if o["id"] in wanted_ids}, {o["path"]: o for o in rows}


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _village_of(path: str, orgs: dict[str, dict[str, Any]]) -> str:
    """The deepest village (or community) at or above ``path``; the place itself when none."""
    for prefix in reversed(_prefixes(path)):
        if orgs.get(prefix, {}).get("type_code") == "village":
            return prefix
    return path


# ---------------------------------------------------------------- the overdue list


OVERDUE_COLUMNS = (
    Case.id, Case.number, Case.state, Case.dispute_type, Case.risk_level, Case.next_due_at, Case.org_path,
    Case.assignee, Case.in_pool, Case.assigned_org, Case.is_collective,
    Case.place.name.as_alias("place_name"), Case.assignee.display_name.as_alias("assignee_name"),
    Case.assigned_org.name.as_alias("assigned_org_name"),
)


async def overdue_cases(
    actor: Actor, *, org_path: str | None = None, now: datetime | None = None, limit: int = OVERDUE_LIMIT,
    case_id: int | None = None,
) -> list[dict[str, Any]]:
    """Open cases past their earliest running deadline, most overdue first, with the deadline's
    kind, the last urge and supervision, and which of the two the actor may do now (with
    ``case_id``: that open case alone, overdue or not). No party data: the list is for
    supervision, not for contacting anyone."""
    now = now or datetime.now(UTC)
    where = scope_where(actor, org_path) & Case.state.is_in(list(OPEN_STATES))
    # One case (its row again after an action) whether or not it is still overdue.
    where &= (Case.id == case_id) if case_id is not None else (Case.next_due_at < now)
    rows = await Case.select(*OVERDUE_COLUMNS).where(where).order_by(Case.next_due_at).order_by(Case.id).limit(limit)
    if not rows:
        return rows
    ids = [r["id"] for r in rows]
    kinds: dict[int, str] = {}
    for dl in await Deadline.select(Deadline.case, Deadline.kind, Deadline.due_at).where(
        Deadline.case.is_in(ids) & Deadline.state.is_in(["running", "overdue"])
    ).order_by(Deadline.due_at, ascending=False):
        kinds[dl["case"]] = dl["kind"]  # the earliest wins: rows come latest first
    last: dict[tuple[int, str], datetime] = {}
    for ev in await CaseEvent.select(CaseEvent.case, CaseEvent.name, CaseEvent.at).where(
        CaseEvent.case.is_in(ids) & CaseEvent.name.is_in(list(SUPERVISION_EVENTS))
    ):
        key = (ev["case"], ev["name"])
        if key not in last or ev["at"] > last[key]:
            last[key] = ev["at"]
    for r in rows:
        r["deadline_kind"] = kinds.get(r["id"], "")
        r["last_urge"] = last.get((r["id"], "urge"))
        r["last_supervise"] = last.get((r["id"], "supervise"))
        allowed = set(allowed_events(r, actor))
        r["may"] = [e for e in SUPERVISION_EVENTS if e in allowed]
        r["handled_by"] = r["assignee_name"] or r["assigned_org_name"] or ""
    return rows
