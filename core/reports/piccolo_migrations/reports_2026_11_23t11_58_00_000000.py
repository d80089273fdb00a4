"""The case counts' key index and the triggers that keep them (core/reports/counts.py), then
one rebuild so a database with cases starts exact."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T11:58:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "case counts: key index, triggers on dispute_case, first rebuild"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reports", description=DESCRIPTION)

    async def run():
        from core.reports import counts

        await counts.install()
        await counts.rebuild()

    manager.add_raw(run)
    return manager
