from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-23T12:09:41:000000"
VERSION = "1.38.0"
DESCRIPTION = "assisting units: case_unit.organisation_path, dispute_case.assisting_paths"


def _params(**extra):
    return {
        "null": False, "primary_key": False, "unique": False, "index": False,
        "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False, **extra,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)
    manager.add_column(
        table_class_name="CaseUnit", tablename="case_unit", column_name="organisation_path",
        db_column_name="organisation_path", column_class_name="Varchar", column_class=Varchar,
        params=_params(default="", length=255), schema=None,
    )
    manager.add_column(
        table_class_name="Case", tablename="dispute_case", column_name="assisting_paths",
        db_column_name="assisting_paths", column_class_name="Text", column_class=Text,
        params=_params(default=""), schema=None,
    )
    return manager
