"""The dashboard's overdue figure from kept counts by due hour (core/reports/due_counts.py):
key index, triggers on dispute_case, then one rebuild so a database with cases starts exact."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T15:00:26:000000"
VERSION = "1.38.0"
DESCRIPTION = "case due counts: key index, triggers on dispute_case, first rebuild"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reports", description=DESCRIPTION)

    async def run():
        from core.reports import due_counts

        await due_counts.install()
        await due_counts.rebuild()

    manager.add_raw(run)
    return manager
