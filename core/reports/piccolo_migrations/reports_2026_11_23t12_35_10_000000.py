"""Case counts count the assisting units' cases too (dispute_case.assisting_paths): the
triggers are installed again with that column, and the counts rebuilt."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T12:35:10:000000"
VERSION = "1.38.0"
DESCRIPTION = "case counts: assisting units' paths in the triggers; rebuild"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reports", description=DESCRIPTION)

    async def run():
        from core.reports import counts

        await counts.install()
        await counts.rebuild()

    manager.add_raw(run)
    return manager
