"""Composite unique indexes (Piccolo's ADD CONSTRAINT does not run on SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T09:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one snapshot per agreement, one signature per signer, one seal per committee, one document per source"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS agreement_snapshot_once ON agreement_snapshot (agreement)",
    "CREATE UNIQUE INDEX IF NOT EXISTS agreement_signature_once ON agreement_signature (agreement, signer_key)",
    "CREATE UNIQUE INDEX IF NOT EXISTS committee_seal_once ON committee_seal (organisation)",
    "CREATE UNIQUE INDEX IF NOT EXISTS document_record_once ON document_record (kind, source_id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="agreements", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
