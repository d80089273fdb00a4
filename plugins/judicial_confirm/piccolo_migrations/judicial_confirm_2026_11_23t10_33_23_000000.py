"""Composite unique indexes (Piccolo's ADD CONSTRAINT does not run on SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T10:33:23:000000"
VERSION = "1.38.0"
DESCRIPTION = "one consent per party and application, one court per area"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS judicial_confirm_consent_once ON judicial_confirm_consent (application, party_id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS judicial_confirm_court_area_once ON judicial_confirm_court_area (area_org_id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="judicial_confirm", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
