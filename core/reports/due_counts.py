"""Kept counts of open cases with a running deadline, per organisation, state and the UTC hour
their earliest deadline falls due, for the dashboard's overdue figure (超期).

Overdue depends on the clock, so it cannot be kept as one number; but a case's *due hour*
does not. Overdue at ``now`` is therefore

* the kept cases whose due hour lies wholly before ``now``'s hour (``overdue_before``), plus
* the cases due in ``now``'s own hour and before ``now``, counted live (at most an hour of
  deadlines over the whole database: a short index range of ``next_due_at``).

The hour is ``floor(epoch seconds / 3600)`` of ``dispute_case.next_due_at``: the same integer on
both engines, and no time zone involved. A case counts once for every organisation on its paths,
exactly as ``core.reports.counts`` counts it, and is kept the same way: a trigger on
``dispute_case`` appends −old/+new rows to ``case_due_count_delta`` in the writer's transaction
whenever a case is inserted, deleted or changes state, ``next_due_at`` or a path (only an open
case with a deadline has a row); ``fold()`` moves them into ``case_due_count`` (run with the
counts' fold); readers sum both; ``rebuild()`` recomputes from the cases.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from core.cases.lifecycle import FINAL
from core.db import engine, is_sqlite, write_transaction
from core.reports.counts import _run, case_orgs, counted_columns, fold_deltas, path_parts, track_ddl

FOLD_LOCK = 804_333
KEY = ("organisation", "due_hour", "state")
HOUR = 3600
SQLITE_TRIGGERS = ("case_due_count_insert", "case_due_count_delete", "case_due_count_update")


def due_hour(at: datetime) -> int:
    """The hour bucket of an instant, as the triggers compute it from ``next_due_at``."""
    return int(at.timestamp() // HOUR)


def hour_start(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * HOUR, UTC)


def _hour_sql(column: str) -> str:
    if is_sqlite():
        # Piccolo stores UTC text ('2026-11-23 14:05:00.5+00:00'); '%s' drops the fraction.
        return f"(CAST(strftime('%s', {column}) AS INTEGER) / {HOUR})"
    return f"CAST(floor(EXTRACT(EPOCH FROM {column}) / {HOUR}) AS BIGINT)"


def _open_with_deadline(r: str) -> str:
    final = ", ".join(f"'{s}'" for s in sorted(FINAL))
    return f"{r}.next_due_at IS NOT NULL AND {r}.state NOT IN ({final})"


def _delta_rows(r: str, sign: int, columns: tuple[str, ...]) -> str:
    org, parts = path_parts(r, columns)
    return (
        f"INSERT INTO case_due_count_delta ({', '.join(KEY)}, n)"
        f" SELECT DISTINCT {org}, {_hour_sql(f'{r}.next_due_at')}, {r}.state, {sign}"
        f" FROM {parts} AND {_open_with_deadline(r)};"
    )


def _watched(columns: tuple[str, ...]) -> tuple[str, ...]:
    return ("state", "next_due_at", *columns)


def ddl(columns: tuple[str, ...]) -> list[str]:
    return track_ddl("case_due_count", KEY, _watched(columns), lambda r, sign: _delta_rows(r, sign, columns))


async def install() -> None:
    """Create the key index and the triggers (idempotent; run by the reports migrations)."""
    for statement in ddl(await counted_columns()):
        await engine().run_ddl(statement)


_GROUP = ", ".join(KEY)


async def fold() -> int:
    """Move the deltas into ``case_due_count``; returns how many delta rows were folded."""
    return await fold_deltas("case_due_count", list(KEY), ["n"], lock=FOLD_LOCK, drop_when="n = 0")


async def rebuild() -> int:
    """Recompute every row from the cases; returns the number of rows."""
    columns = await counted_columns()
    async with write_transaction():
        if not is_sqlite():
            # SHARE blocks case writes (not reads) until commit: no delta can slip between.
            await _run("LOCK TABLE dispute_case IN SHARE MODE")
        source = case_orgs(columns, _open_with_deadline("c"))
        await _run("DELETE FROM case_due_count_delta")
        await _run("DELETE FROM case_due_count")
        hour = _hour_sql("c.next_due_at")
        await _run(
            f"INSERT INTO case_due_count ({_GROUP}, n)"
            f" SELECT o.org, {hour}, c.state, COUNT(*) FROM ({source}) o"
            f" JOIN dispute_case c ON c.id = o.case_id GROUP BY o.org, {hour}, c.state"
            # In key order: an organisation's hours then lie together on disk for the reads.
            " ORDER BY 1, 2"
        )
        [row] = await _run("SELECT COUNT(*) AS n FROM case_due_count")
    return int(row["n"])


async def overdue_before(org_id: int, hour: int) -> Counter[str]:
    """Open cases in ``org_id``'s subtree by state whose earliest deadline fell due before the
    start of ``hour`` (kept rows and unfolded deltas, one statement)."""
    rows = await _run(
        "SELECT state, SUM(n) AS n FROM ("
        " SELECT state, n FROM case_due_count WHERE organisation = {} AND due_hour < {}"
        " UNION ALL"
        " SELECT state, n FROM case_due_count_delta WHERE organisation = {} AND due_hour < {}"
        ") AS c GROUP BY state",
        org_id, hour, org_id, hour,
    )
    return Counter({r["state"]: int(r["n"]) for r in rows if int(r["n"] or 0)})


def current_hour(now: datetime) -> tuple[int, datetime]:
    """``now``'s hour bucket and its first instant: the live part of the count starts there."""
    hour = due_hour(now)
    return hour, hour_start(hour)
