"""Composite unique index (Piccolo's ADD CONSTRAINT does not run on SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T09:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one service code per town"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS open311_service_code ON open311_service (organisation, service_code)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrations", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
