"""The dashboard's period figures (core/reports/day_figures.py): key index, triggers on
dispute_case, then one rebuild so a database with cases starts exact."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T13:33:49:000000"
VERSION = "1.38.0"
DESCRIPTION = "case day figures: key index, triggers on dispute_case, first rebuild"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reports", description=DESCRIPTION)

    async def run():
        from core.reports import day_figures

        await day_figures.install()
        await day_figures.rebuild()

    manager.add_raw(run)
    return manager
