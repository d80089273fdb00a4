"""A write transaction whose connection the server closed (a restart, a failover) leaves nothing
behind: the task's next queries run on a fresh connection and the pool keeps its size.

Piccolo skipped both when COMMIT or ROLLBACK failed. The outbox relay is one long-lived task,
so after a PostgreSQL restart that hit it mid-claim, every later claim ran on the dead
connection and failed: rows written after the restart stayed pending (seen in
test_postgres_restart.py under load)."""

from __future__ import annotations

import asyncio
import os

import pytest

from core import db
from core.jobs.tables import OutboxJob

pytestmark = pytest.mark.db


async def _server_closes(connection: object) -> None:
    import asyncpg

    other = await asyncpg.connect(os.environ["JIEFEN_DATABASE_URL"])
    try:
        await other.execute("SELECT pg_terminate_backend($1)", connection.get_server_pid())  # type: ignore[attr-defined]
    finally:
        await other.close()


async def _still_works() -> None:
    """Reads and a write of this same task reach the database."""
    assert db.engine().current_transaction.get() is None
    await OutboxJob.count()
    async with db.write_transaction():
        await OutboxJob.update({OutboxJob.last_error: ""}).where(OutboxJob.id == -1)


async def test_a_transaction_on_a_closed_connection_leaves_nothing_behind() -> None:
    if db.is_sqlite():
        pytest.skip("SQLite has no server to close the connection")
    pool_size = int(os.environ.get("JIEFEN_DB_POOL", "20"))

    async def rounds() -> None:
        # More rounds than the pool has connections: one lost per round would stop the loop.
        for _ in range(pool_size // 2 + 2):
            # The body's statement meets the closed connection, then the rollback fails too.
            with pytest.raises(Exception) as failed:
                async with db.write_transaction() as txn:
                    await _server_closes(txn.connection)
                    await OutboxJob.update({OutboxJob.last_error: ""}).where(OutboxJob.id == -1)
            assert db.unavailable(failed.value), repr(failed.value)
            await _still_works()
            # The body is done before the server goes: the commit fails and says so.
            with pytest.raises(Exception) as failed:
                async with db.write_transaction() as txn:
                    await OutboxJob.update({OutboxJob.last_error: ""}).where(OutboxJob.id == -1)
                    await _server_closes(txn.connection)
            assert db.unavailable(failed.value), repr(failed.value)
            await _still_works()

    # Only a guard against a hang when connections leak; the assertions are above.
    await asyncio.wait_for(rounds(), timeout=300)
