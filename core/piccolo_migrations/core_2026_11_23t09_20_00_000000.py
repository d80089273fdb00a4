"""The timeline is append-only at the database level; prefix indexes for subtree filters."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-11-23T09:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only case_event, composite unique indexes, pattern indexes for subtree paths"

# Composite uniques as indexes: Piccolo's ADD CONSTRAINT form does not run on SQLite.
BOTH = [
    'CREATE UNIQUE INDEX IF NOT EXISTS case_event_case_seq ON case_event ("case", seq)',
    'CREATE UNIQUE INDEX IF NOT EXISTS case_deadline_case_kind ON case_deadline ("case", kind)',
    'CREATE UNIQUE INDEX IF NOT EXISTS idempotency_client_key ON idempotency_record (client, key)',
]

SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS case_event_no_update BEFORE UPDATE ON case_event
       BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS case_event_no_delete BEFORE DELETE ON case_event
       BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END""",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION case_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'case_event is append-only'; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS case_event_no_change ON case_event",
    """CREATE TRIGGER case_event_no_change BEFORE UPDATE OR DELETE ON case_event
       FOR EACH ROW EXECUTE FUNCTION case_event_append_only()""",
    "CREATE INDEX IF NOT EXISTS dispute_case_org_path_pattern ON dispute_case (org_path varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS dispute_case_place_path_pattern ON dispute_case (place_path varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS dispute_case_assigned_path_pattern ON dispute_case (assigned_org_path varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS organisation_path_pattern ON organisation (path varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS dispute_case_state_id ON dispute_case (state, id DESC)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in BOTH + (SQLITE if isinstance(engine, SQLiteEngine) else POSTGRES):
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
