"""The supervision dashboard's period figures, kept per (organisation, local submission day,
place, dispute_type) so a county's year is a read of its own rows, not a scan of its cases.

They are the sums ``web.supervision.figures`` computes live over the cases *submitted* in a
window (the cohort, as the cases are now): submitted, accepted, closed, agreed, failed,
contacted with the hours to first contact, closed with the hours to close, and open / open high
risk per place for the hot spots. Kept exactly like the case counts (``core.reports.counts``):
a trigger on ``dispute_case`` appends −old/+new rows to ``case_day_figure_delta`` in the
writer's transaction whenever a case is inserted, deleted or changes a column these sums read;
``fold()`` moves them into ``case_day_figure`` (run with the counts' fold); readers sum both;
``rebuild()`` recomputes from the cases. The local day uses the zone in settings at install time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from core.cases.lifecycle import FINAL
from core.db import engine, is_sqlite, write_transaction
from core.reports.counts import _run, case_orgs, counted_columns, fold_deltas, path_parts, track_ddl
from core.settings import get_settings

FOLD_LOCK = 804_332
KEY = ("organisation", "day", "place", "dispute_type")
VALUES = (
    "submitted", "accepted", "closed", "agreed", "failed", "contacted", "contact_hours",
    "closed_timed", "close_hours", "open", "high",
)
HOURS = ("contact_hours", "close_hours")
PLACE_VALUES = ("submitted", "open", "high")  # what the hot spots read per place
# Columns of dispute_case the sums read (besides the paths).
WATCHED = (
    "state", "dispute_type", "risk_level", "outcome", "place", "submitted_at", "registered_at",
    "first_contact_at", "closed_at",
)


def _hours(later: str, earlier: str) -> str:
    if is_sqlite():
        return f"((julianday({later}) - julianday({earlier})) * 24.0)"
    return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 3600.0)"


def _day(r: str) -> str:
    zone = get_settings().zone
    if is_sqlite():
        offset = datetime.now(zone).utcoffset() or timedelta()
        return f"date({r}.submitted_at, '{int(offset.total_seconds() // 60):+d} minutes')"
    return f"CAST(({r}.submitted_at AT TIME ZONE '{zone.key}') AS DATE)"


def _values(r: str) -> list[str]:
    """The figures of one case row, in ``VALUES`` order — the same conditions as the live SQL."""
    closed = f"{r}.state = 'closed' AND {r}.outcome <> 'merged'"
    final = ", ".join(f"'{s}'" for s in sorted(FINAL))
    return [
        "1",
        f"CASE WHEN {r}.registered_at IS NOT NULL AND {r}.outcome <> 'merged' THEN 1 ELSE 0 END",
        f"CASE WHEN {closed} AND {r}.registered_at IS NOT NULL THEN 1 ELSE 0 END",
        f"CASE WHEN {r}.outcome = 'agreed' THEN 1 ELSE 0 END",
        f"CASE WHEN {r}.outcome = 'failed' THEN 1 ELSE 0 END",
        f"CASE WHEN {r}.first_contact_at IS NOT NULL THEN 1 ELSE 0 END",
        f"CASE WHEN {r}.first_contact_at IS NOT NULL THEN {_hours(f'{r}.first_contact_at', f'{r}.submitted_at')} ELSE 0 END",
        f"CASE WHEN {closed} AND {r}.closed_at IS NOT NULL THEN 1 ELSE 0 END",
        f"CASE WHEN {closed} AND {r}.closed_at IS NOT NULL THEN {_hours(f'{r}.closed_at', f'{r}.submitted_at')} ELSE 0 END",
        f"CASE WHEN {r}.state NOT IN ({final}) THEN 1 ELSE 0 END",
        f"CASE WHEN {r}.state NOT IN ({final}) AND {r}.risk_level = 'high' THEN 1 ELSE 0 END",
    ]


def _delta_rows(r: str, sign: int, columns: tuple[str, ...]) -> str:
    values = ", ".join(f"{sign} * ({v})" for v in _values(r))
    org, parts = path_parts(r, columns)
    return (
        f"INSERT INTO case_day_figure_delta ({', '.join(KEY + VALUES)})"
        f" SELECT DISTINCT {org}, {_day(r)}, COALESCE({r}.place, 0), {r}.dispute_type, {values}"
        f" FROM {parts};"
    )


def _watched(columns: tuple[str, ...]) -> tuple[str, ...]:
    return (*WATCHED, *columns)


def ddl(columns: tuple[str, ...]) -> list[str]:
    return track_ddl("case_day_figure", KEY, _watched(columns), lambda r, sign: _delta_rows(r, sign, columns))


SQLITE_TRIGGERS = ("case_day_figure_insert", "case_day_figure_delete", "case_day_figure_update")


async def install() -> None:
    """Create the key index and the triggers (idempotent; run by the reports migrations)."""
    for statement in ddl(await counted_columns()):
        await engine().run_ddl(statement)


async def fold() -> int:
    """Move the deltas into ``case_day_figure``; returns how many delta rows were folded."""
    # No case left under the key: the float sums may keep a rounding residue, so drop by count.
    return await fold_deltas("case_day_figure", list(KEY), list(VALUES), lock=FOLD_LOCK, drop_when="submitted = 0")


async def rebuild() -> int:
    """Recompute every row from the cases; returns the number of rows."""
    columns = await counted_columns()
    values = ", ".join(f"SUM({v})" for v in _values("c"))
    async with write_transaction():
        if not is_sqlite():
            # SHARE blocks case writes (not reads) until commit: no delta can slip between.
            await _run("LOCK TABLE dispute_case IN SHARE MODE")
        source = case_orgs(columns)
        await _run("DELETE FROM case_day_figure_delta")
        await _run("DELETE FROM case_day_figure")
        await _run(
            f"INSERT INTO case_day_figure ({', '.join(KEY + VALUES)})"
            f" SELECT o.org, {_day('c')}, COALESCE(c.place, 0), c.dispute_type, {values}"
            f" FROM ({source}) o JOIN dispute_case c ON c.id = o.case_id"
            f" GROUP BY o.org, {_day('c')}, COALESCE(c.place, 0), c.dispute_type"
            # In key order: an organisation's days then lie together on disk for the reads.
            " ORDER BY 1, 2"
        )
        [row] = await _run("SELECT COUNT(*) AS n FROM case_day_figure")
    return int(row["n"])


def _param(day: date) -> Any:
    return day.isoformat() if is_sqlite() else day


def _both(org_id: int, columns: str, since: date | None) -> tuple[str, list[Any]]:
    """``case_day_figure`` and its unfolded deltas for one organisation, from ``since``."""
    where = "organisation = {}" + (" AND day >= {}" if since else "")
    args: list[Any] = [org_id, _param(since)] if since else [org_id]
    sql = (
        f"(SELECT {columns} FROM case_day_figure WHERE {where}"
        f" UNION ALL SELECT {columns} FROM case_day_figure_delta WHERE {where}) AS f"
    )
    return sql, args + args


async def window(org_id: int, since: date | None) -> dict[str, Any]:
    """The sums of ``VALUES`` over the cases submitted from local day ``since`` (None: all)."""
    source, args = _both(org_id, ", ".join(VALUES), since)
    [row] = await _run(f"SELECT {', '.join(f'SUM({v}) AS {v}' for v in VALUES)} FROM {source}", *args)
    return dict(row)


async def window_and_places(org_id: int, since: date | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``window()``'s sums, and (place, dispute_type, submitted, open, high) rows for the hot
    spots (place 0: none), from one read of the organisation's rows instead of two passes."""
    source, args = _both(org_id, ", ".join(("place", "dispute_type", *VALUES)), since)
    if is_sqlite():
        sums = ", ".join(f"SUM({v}) AS {v}" for v in VALUES)
        rows = await _run(f"SELECT place, dispute_type, {sums} FROM {source} GROUP BY place, dispute_type", *args)
        totals: dict[str, Any] = {v: 0.0 if v in HOURS else 0 for v in VALUES}
        for r in rows:
            for v in VALUES:
                totals[v] += r[v] or 0
        return totals, rows
    # One pass: the (place, type) groups and the grand total (GROUPING(place) = 1); the groups
    # carry only what the hot spots read. SUM of a bigint is numeric (a slow Decimal): bigint.
    whole = "GROUPING(place) = 1"
    sums = ", ".join(
        f"CAST(SUM({v}) AS BIGINT) AS {v}" if v in PLACE_VALUES
        else f"CASE WHEN {whole} THEN SUM({v}) END AS {v}" if v in HOURS
        else f"CASE WHEN {whole} THEN CAST(SUM({v}) AS BIGINT) END AS {v}"
        for v in VALUES
    )
    rows = await _run(
        f"SELECT place, dispute_type, {whole} AS whole, {sums} FROM {source}"
        " GROUP BY GROUPING SETS ((place, dispute_type), ())",
        *args,
    )
    totals = {v: 0 for v in VALUES}
    places = []
    for r in rows:
        if r["whole"]:
            totals = {v: r[v] or 0 for v in VALUES}
        else:
            places.append(r)
    return totals, places


async def daily(org_id: int, first: date) -> dict[str, int]:
    """Cases submitted per local day (ISO date → n) from ``first``."""
    source, args = _both(org_id, "day, submitted", first)
    rows = await _run(f"SELECT day, SUM(submitted) AS n FROM {source} GROUP BY day", *args)
    return {str(r["day"]): int(r["n"]) for r in rows if int(r["n"] or 0)}
