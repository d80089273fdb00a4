"""Composite unique indexes (Piccolo's ADD CONSTRAINT does not run on SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T09:30:00:000002"
VERSION = "1.38.0"
DESCRIPTION = "one delivery per notification and channel; one address per owner and channel"

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS notification_delivery_channel ON notification_delivery (notification, channel)',
    'CREATE UNIQUE INDEX IF NOT EXISTS contact_address_owner_channel ON contact_address (owner, channel)',
    'CREATE INDEX IF NOT EXISTS notification_inbox ON notification (recipient, read_at, id)',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
