"""Live counts of cases by (state, dispute_type, risk_level) per organisation, for dashboards.

A case counts once for every organisation whose subtree holds any of its paths (responsible
level, place, handling body, and the assisting units', as ``visible_filter`` sees them): the
ids in those paths, deduplicated. So a county's
counts are one indexed read of a few hundred rows instead of a GROUP BY over its 50,000 cases.

How they stay exact (docs/performance.md explains the choice):

* A trigger on ``dispute_case`` (installed by the reports migration, on both engines) appends
  −1 rows for the old key and +1 rows for the new one to ``case_count_delta`` whenever a case
  is inserted, deleted, or changes state, type, risk or a path — in the writer's own
  transaction, whoever writes (the lifecycle, a plugin, a test seeding a case). Appends take
  no shared lock, so concurrent transitions never queue on a county's hot count row.
* ``fold()`` (the ``fold_case_counts`` cron job, every minute) moves the deltas into
  ``case_count`` in one transaction; on PostgreSQL the DELETE … RETURNING and the upsert are one
  statement, so a delta committed meanwhile is either folded or left for the next fold.
* ``subtree_counts()`` reads ``case_count`` and the unfolded deltas in one statement (one
  snapshot), so a reader never sees a fold half done.
* ``rebuild()`` (``jiefen reports rebuild-counts``) recomputes everything from the cases,
  with case writes held off meanwhile; bench/generate.py calls it after a bulk load (its COPY
  runs with triggers off).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.db import engine, is_sqlite, write_transaction

PATH_COLUMNS = ("org_path", "place_path", "assigned_org_path")
# Assisting units (协办) see the cases they assist, so they count them too; the column is
# counted when the database has it (space-separated paths).
ASSISTING = "assisting_paths"
FOLD_LOCK = 804_331  # pg_advisory_xact_lock key: one fold at a time


def _paths(r: str, columns: tuple[str, ...]) -> str:
    """Every path of the row run together (``/1/5//1/5/9/``): its ids split on '/'."""
    return " || ".join(f"replace(coalesce({r}.{c}, ''), ' ', '')" for c in columns)


def _key(columns: tuple[str, ...]) -> tuple[str, ...]:
    return ("state", "dispute_type", "risk_level", *columns)


def _sqlite_parts(r: str, columns: tuple[str, ...]) -> str:
    # '/1/5/' → ["","1","5",""]: paths hold only digits and slashes, so this is valid JSON.
    return f"json_each('[\"' || replace({_paths(r, columns)}, '/', '\",\"') || '\"]')"


def path_parts(r: str, columns: tuple[str, ...]) -> tuple[str, str]:
    """``(org, parts)`` for a trigger's delta rows, ``SELECT DISTINCT {org}, … FROM {parts}``:
    one row per id on the row's paths, ``org`` that id as an integer."""
    if is_sqlite():
        return "CAST(value AS INTEGER)", f"{_sqlite_parts(r, columns)} WHERE value <> ''"
    return "part::integer", f"unnest(string_to_array({_paths(r, columns)}, '/')) AS part WHERE part <> ''"


def case_orgs(columns: tuple[str, ...], where: str = "") -> str:
    """For a rebuild: ``SELECT case_id, org`` with each case of ``dispute_case c`` once for every
    organisation on its paths; ``where``, a condition on ``c``, leaves cases out."""
    if is_sqlite():
        # DISTINCT per case and organisation (a case's paths share ancestors).
        return (
            f"SELECT DISTINCT c.id AS case_id, CAST(j.value AS INTEGER) AS org FROM dispute_case c,"
            f" {_sqlite_parts('c', columns)} j WHERE j.value <> ''" + (f" AND {where}" if where else "")
        )
    return (
        "SELECT c.id AS case_id, p.part::integer AS org FROM dispute_case c CROSS JOIN LATERAL"
        f" (SELECT DISTINCT part FROM unnest(string_to_array({_paths('c', columns)}, '/')) AS part"
        " WHERE part <> '') p" + (f" WHERE {where}" if where else "")
    )


def _delta_rows(r: str, sign: int, columns: tuple[str, ...]) -> str:
    org, parts = path_parts(r, columns)
    return (
        "INSERT INTO case_count_delta (organisation, state, dispute_type, risk_level, n)"
        f" SELECT DISTINCT {org}, {r}.state, {r}.dispute_type, {r}.risk_level, {sign}"
        f" FROM {parts};"
    )


def track_ddl(table: str, key: tuple[str, ...], watched: tuple[str, ...], rows: Callable[[str, int], str]) -> list[str]:
    """The unique ``key`` index of ``table`` and the triggers on ``dispute_case`` that run
    ``rows("OLD", -1)`` and ``rows("NEW", 1)`` (the delta rows) when a case is inserted, deleted
    or changes a ``watched`` column, for the engine in use. The case counts, day figures and
    due counts are all kept this way."""
    old, new = rows("OLD", -1), rows("NEW", 1)
    of = ", ".join(watched)
    index = f"CREATE UNIQUE INDEX IF NOT EXISTS {table}_key ON {table} ({', '.join(key)})"
    if is_sqlite():
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in watched)
        return [
            index,
            f"DROP TRIGGER IF EXISTS {table}_insert",
            f"CREATE TRIGGER {table}_insert AFTER INSERT ON dispute_case BEGIN {new} END",
            f"DROP TRIGGER IF EXISTS {table}_delete",
            f"CREATE TRIGGER {table}_delete AFTER DELETE ON dispute_case BEGIN {old} END",
            f"DROP TRIGGER IF EXISTS {table}_update",
            f"CREATE TRIGGER {table}_update AFTER UPDATE OF {of} ON dispute_case"
            f" FOR EACH ROW WHEN {changed} BEGIN {old} {new} END",
        ]
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in watched)
    return [
        index,
        f"CREATE OR REPLACE FUNCTION {table}_track() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        f"  IF TG_OP <> 'INSERT' THEN {old} END IF;\n"
        f"  IF TG_OP <> 'DELETE' THEN {new} END IF;\n"
        "  RETURN NULL;\n"
        "END $$",
        f"DROP TRIGGER IF EXISTS {table}_insert_delete ON dispute_case",
        f"CREATE TRIGGER {table}_insert_delete AFTER INSERT OR DELETE ON dispute_case"
        f" FOR EACH ROW EXECUTE FUNCTION {table}_track()",
        f"DROP TRIGGER IF EXISTS {table}_update ON dispute_case",
        f"CREATE TRIGGER {table}_update AFTER UPDATE OF {of} ON dispute_case"
        f" FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {table}_track()",
    ]


def ddl(columns: tuple[str, ...] = PATH_COLUMNS) -> list[str]:
    return track_ddl(
        "case_count", ("organisation", "state", "dispute_type", "risk_level"), _key(columns),
        lambda r, sign: _delta_rows(r, sign, columns),
    )


async def counted_columns() -> tuple[str, ...]:
    """The three paths, and the assisting units' paths when the table has that column."""
    if is_sqlite():
        names = {r["name"] for r in await _run("SELECT name FROM pragma_table_info('dispute_case')")}
    else:
        names = {r["column_name"] for r in await _run(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'dispute_case'"
            " AND table_schema = current_schema()"
        )}
    return (*PATH_COLUMNS, ASSISTING) if ASSISTING in names else PATH_COLUMNS


async def install() -> None:
    """Create the key index and the triggers (idempotent; run by the reports migrations)."""
    for statement in ddl(await counted_columns()):
        await engine().run_ddl(statement)


async def fold_deltas(table: str, key: list[str], values: list[str], *, lock: int, drop_when: str) -> int:
    """Move the rows of ``<table>_delta`` into ``<table>``, summing ``values`` per ``key``; then
    drop the rows where ``drop_when`` (nothing left under the key). Returns how many delta rows
    were folded. The kept case counts, day figures and due counts all fold this way."""
    group = ", ".join(key)
    columns = ", ".join(key + values)
    sums = ", ".join(f"SUM({v})" for v in values)
    upsert = f" ON CONFLICT ({group}) DO UPDATE SET " + ", ".join(f"{v} = {table}.{v} + excluded.{v}" for v in values)
    async with write_transaction():
        if is_sqlite():
            # One writer: nothing commits between these statements.
            [top] = await _run(f"SELECT MAX(id) AS top, COUNT(*) AS n FROM {table}_delta")
            if not top["top"]:
                return 0
            await _run(
                f"INSERT INTO {table} ({columns}) SELECT {group}, {sums} FROM {table}_delta"
                f" WHERE id <= {int(top['top'])} GROUP BY {group}{upsert}"
            )
            await _run(f"DELETE FROM {table}_delta WHERE id <= {int(top['top'])}")
            moved = int(top["n"])
        else:
            # One statement: a delta committed meanwhile is folded next time, never twice.
            await _run(f"SELECT pg_advisory_xact_lock({int(lock)})")
            [row] = await _run(
                f"WITH moved AS (DELETE FROM {table}_delta RETURNING {columns}),"
                f" added AS (INSERT INTO {table} ({columns}) SELECT {group}, {sums} FROM moved"
                f" GROUP BY {group}{upsert} RETURNING 1)"
                " SELECT (SELECT COUNT(*) FROM moved) AS n"
            )
            moved = int(row["n"])
        await _run(f"DELETE FROM {table} WHERE {drop_when}")
    return moved


async def fold() -> int:
    """Move the deltas into ``case_count``; returns how many delta rows were folded."""
    return await fold_deltas(
        "case_count", ["organisation", "state", "dispute_type", "risk_level"], ["n"], lock=FOLD_LOCK, drop_when="n = 0",
    )


async def rebuild() -> int:
    """Recompute every count from the cases; returns the number of count rows."""
    columns = await counted_columns()
    async with write_transaction():
        if is_sqlite():
            per_org = (
                "SELECT CAST(j.value AS INTEGER) AS organisation, c.state, c.dispute_type, c.risk_level,"
                " COUNT(DISTINCT c.id) AS n"
                f" FROM dispute_case c, {_sqlite_parts('c', columns)} j WHERE j.value <> ''"
                " GROUP BY 1, 2, 3, 4"
            )
        else:
            # SHARE blocks case writes (not reads) until commit: no delta can slip between.
            await _run("LOCK TABLE dispute_case IN SHARE MODE")
            per_org = (
                "SELECT p.part::integer AS organisation, c.state, c.dispute_type, c.risk_level, COUNT(*) AS n"
                " FROM dispute_case c CROSS JOIN LATERAL (SELECT DISTINCT part FROM"
                f" unnest(string_to_array({_paths('c', columns)}, '/')) AS part WHERE part <> '') p"
                " GROUP BY 1, 2, 3, 4"
            )
        await _run("DELETE FROM case_count_delta")
        await _run("DELETE FROM case_count")
        await _run(f"INSERT INTO case_count (organisation, state, dispute_type, risk_level, n) {per_org}")
        [row] = await _run("SELECT COUNT(*) AS n FROM case_count")
    return int(row["n"])


async def subtree_counts(org_id: int) -> list[dict[str, Any]]:
    """(state, dispute_type, risk_level, n) of the cases in ``org_id``'s subtree, now."""
    rows = await _run(
        "SELECT state, dispute_type, risk_level, SUM(n) AS n FROM ("
        " SELECT state, dispute_type, risk_level, n FROM case_count WHERE organisation = {}"
        " UNION ALL"
        " SELECT state, dispute_type, risk_level, n FROM case_count_delta WHERE organisation = {}"
        ") AS c GROUP BY state, dispute_type, risk_level",
        org_id, org_id,
    )
    return [{**dict(r), "n": int(r["n"])} for r in rows if int(r["n"] or 0)]


def org_id_of(path: str) -> int | None:
    """The organisation a path ends with (``/1/5/9/`` → 9)."""
    parts = [p for p in path.strip("/").split("/") if p]
    return int(parts[-1]) if parts and parts[-1].isdigit() else None


async def _run(template: str, *args: Any) -> list[dict[str, Any]]:
    from piccolo.querystring import QueryString

    return await engine().run_querystring(QueryString(template, *args))
