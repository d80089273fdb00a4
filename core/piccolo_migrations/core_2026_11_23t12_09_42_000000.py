"""Assisting units see the cases they assist: an index for the queue, and a backfill.

The queue adds ``id IN (SELECT case FROM case_unit WHERE role = 'assisting' AND active AND
organisation_path LIKE '<actor path>%')`` to the three path prefixes. PostgreSQL runs it as a
hashed sub-plan, computed once from this partial index, so the plan of the queue (newest first
over the primary key, or the partial queue index) does not change; see docs/performance.md.
"""

import re

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-11-23T12:09:42:000000"
VERSION = "1.38.0"
DESCRIPTION = "index case_unit assisting paths; backfill paths of existing units"

POSTGRES = [
    "CREATE INDEX IF NOT EXISTS case_unit_assisting_path ON case_unit (organisation_path varchar_pattern_ops, \"case\") "
    "WHERE role = 'assisting' AND active",
]
SQLITE = [
    "CREATE INDEX IF NOT EXISTS case_unit_assisting_path ON case_unit (organisation_path, \"case\") "
    "WHERE role = 'assisting' AND active",
]
PATH = re.compile(r"[0-9/]+")
BACKFILL = (
    "UPDATE case_unit SET organisation_path = (SELECT path FROM organisation WHERE organisation.id = case_unit.organisation) "
    "WHERE organisation_path = ''"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in SQLITE if isinstance(engine, SQLiteEngine) else POSTGRES:
            await engine.run_ddl(statement)
        await engine.run_ddl(BACKFILL)
        rows = await engine.run_ddl(
            "SELECT \"case\" AS case_id, organisation_path FROM case_unit WHERE role = 'assisting' AND active ORDER BY id"
        )
        paths: dict[int, list[str]] = {}
        for row in rows or []:
            # Paths are digits and slashes by construction; anything else is skipped, not quoted.
            if row["organisation_path"] and PATH.fullmatch(row["organisation_path"]) and row["organisation_path"] not in paths.setdefault(row["case_id"], []):
                paths[row["case_id"]].append(row["organisation_path"])
        for case_id, found in paths.items():
            await engine.run_ddl(f"UPDATE dispute_case SET assisting_paths = '{' '.join(found)}' WHERE id = {int(case_id)}")

    manager.add_raw(run)
    return manager
