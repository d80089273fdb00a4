from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T15:10:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "dispute_case.application_ref is unique (an index: SQLite cannot add a UNIQUE column)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        from core.cases.tables import Case

        await Case.raw("CREATE UNIQUE INDEX IF NOT EXISTS dispute_case_application_ref ON dispute_case (application_ref)")

    manager.add_raw(run)
    return manager
