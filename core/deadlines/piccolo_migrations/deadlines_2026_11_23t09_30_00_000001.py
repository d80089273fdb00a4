"""Composite unique indexes (Piccolo's ADD CONSTRAINT does not run on SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T09:30:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "unique policy rule per scope; a ladder step fires once"

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS deadline_policy_scope ON deadline_policy (organisation, kind, dispute_type, level)',
    'CREATE UNIQUE INDEX IF NOT EXISTS deadline_step_fired_once ON deadline_step_fired (case_id, kind, due_at, step)',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="deadlines", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
