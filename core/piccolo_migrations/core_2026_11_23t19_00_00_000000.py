"""Every insert into outbox_job notifies `jiefen_outbox` (PostgreSQL), waking the workers' relays.

One notification per inserting statement, sent at commit (PostgreSQL folds the repeats of a
transaction into one); nothing when the transaction rolls back. SQLite has no NOTIFY: there
the app relays itself after each commit."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-11-23T19:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox_job inserts NOTIFY jiefen_outbox (PostgreSQL)"

POSTGRES = [
    """CREATE OR REPLACE FUNCTION jiefen_outbox_notify() RETURNS trigger AS $$
       BEGIN PERFORM pg_notify('jiefen_outbox', ''); RETURN NULL; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS outbox_job_notify ON outbox_job",
    """CREATE TRIGGER outbox_job_notify AFTER INSERT ON outbox_job
       FOR EACH STATEMENT EXECUTE FUNCTION jiefen_outbox_notify()""",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        if isinstance(engine, SQLiteEngine):
            return
        for statement in POSTGRES:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
