"""The SQLite engine keeps its connections: reused across statements and transactions, with
the pragmas of a fresh one, and never handed out again while still inside a transaction."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from core import db

pytestmark = pytest.mark.skipif(not db.is_sqlite(), reason="the connection pool is SQLite's")


@pytest.fixture
async def tables() -> None:
    eng = db.engine()
    await eng.run_ddl("CREATE TABLE IF NOT EXISTS pool_parent (id INTEGER PRIMARY KEY)")
    await eng.run_ddl("CREATE TABLE IF NOT EXISTS pool_child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES pool_parent(id))")
    yield
    await eng.run_ddl("DROP TABLE pool_child")
    await eng.run_ddl("DROP TABLE pool_parent")


async def test_a_read_reuses_the_connection_the_last_one_gave_back(tables: None) -> None:
    eng = db.engine()
    await eng._run_in_new_connection("SELECT 1")
    kept = list(eng._idle)
    assert kept, "a read gave its connection back"
    await eng._run_in_new_connection("SELECT 2")
    assert eng._idle[-1] is kept[-1]


async def test_reused_connections_still_enforce_foreign_keys(tables: None) -> None:
    eng = db.engine()
    for _ in range(3):  # on a connection used before, not only a fresh one
        with pytest.raises(sqlite3.IntegrityError):
            await eng._run_in_new_connection("INSERT INTO pool_child (parent) VALUES (424242)")
    async with db.write_transaction():
        with pytest.raises(sqlite3.IntegrityError):
            await eng._run_in_existing_connection(
                eng.current_transaction.get().connection, "INSERT INTO pool_child (parent) VALUES (424243)"
            )
    assert await eng._run_in_new_connection("SELECT count(*) AS n FROM pool_child") == [{"n": 0}]


async def test_a_connection_given_back_inside_a_transaction_is_closed_not_kept() -> None:
    eng = db.engine()
    connection = await eng.borrow()
    await connection.execute("BEGIN IMMEDIATE")
    await eng.give_back(connection)
    assert connection not in eng._idle
    assert connection._connection is None  # closed: its lock on the database is gone
    # The write lock went with it: the next writer is not blocked.
    async with db.write_transaction():
        await eng._run_in_existing_connection(eng.current_transaction.get().connection, "SELECT 1")


async def test_a_failed_transaction_rolls_back_and_gives_its_connection_back(tables: None) -> None:
    eng = db.engine()
    with pytest.raises(RuntimeError):
        async with db.write_transaction() as txn:
            await eng._run_in_existing_connection(txn.connection, "INSERT INTO pool_parent (id) VALUES (7)")
            used = txn.connection
            raise RuntimeError("the body failed")
    assert eng.current_transaction.get() is None
    assert used in eng._idle and not used.in_transaction
    assert await eng._run_in_new_connection("SELECT count(*) AS n FROM pool_parent WHERE id = 7") == [{"n": 0}]


async def test_many_concurrent_writers_and_readers_keep_every_write_and_few_connections(tables: None) -> None:
    eng = db.engine()

    async def write(n: int) -> None:
        async with db.write_transaction() as txn:
            await eng._run_in_existing_connection(txn.connection, "INSERT INTO pool_parent (id) VALUES (?)", [1000 + n])

    async def read() -> None:
        await eng._run_in_new_connection("SELECT count(*) FROM pool_parent")

    await asyncio.gather(*[write(n) for n in range(40)], *[read() for _ in range(40)])
    assert await eng._run_in_new_connection("SELECT count(*) AS n FROM pool_parent WHERE id >= 1000") == [{"n": 40}]
    assert len(eng._idle) <= eng._idle_limit
    assert all(not c.in_transaction for c in eng._idle)
