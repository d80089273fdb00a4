"""Composite unique indexes (Piccolo's ADD CONSTRAINT does not run on SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T09:30:00:000003"
VERSION = "1.38.0"
DESCRIPTION = "one report per organisation, kind and period"

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS report_period ON report (organisation, kind, period_start)',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reports", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
