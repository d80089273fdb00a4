"""Composite unique indexes (Piccolo's ADD CONSTRAINT does not run on SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T10:22:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "a follow-up falls due once per referral and time"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS psych_follow_up_once ON psych_follow_up (referral, due_at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="psych", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
