"""Composite unique indexes (Piccolo's ADD CONSTRAINT does not run on SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T10:33:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "an applicant appears once in a handoff"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS legal_aid_applicant_once ON legal_aid_applicant (handoff, screening)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="legal_aid", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
