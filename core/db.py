"""The database engine and the one way to write: ``write_transaction()``.

SQLite (the embedded default) has one writer: writes are serialised in-process with a lock
and ``BEGIN IMMEDIATE`` so that two writers never deadlock on a lock upgrade. PostgreSQL runs
ordinary transactions; row locks and version checks keep concurrent writers honest.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from core.settings import get_settings

os.environ.setdefault("PICCOLO_CONF", "core.piccolo_conf")

_sqlite_writer_lock: asyncio.Lock | None = None


class JiefenSQLiteEngine(SQLiteEngine):
    """WAL with synchronous=NORMAL: a commit no longer waits for an fsync of the main file
    (a power cut can lose the last commits, never corrupt the database)."""

    async def get_connection(self):  # type: ignore[no-untyped-def]
        connection = await super().get_connection()
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection


def make_engine() -> Engine:
    settings = get_settings()
    if settings.is_sqlite:
        path = settings.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        return JiefenSQLiteEngine(path=str(path), timeout=60)
    return PostgresEngine(config={"dsn": settings.database_url}, extensions=())


def engine() -> Engine:
    found = engine_finder()
    if found is None:  # pragma: no cover - piccolo_conf always defines DB
        raise RuntimeError("no database engine configured")
    return found


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


def _writer_lock() -> asyncio.Lock:
    global _sqlite_writer_lock
    if _sqlite_writer_lock is None:
        _sqlite_writer_lock = asyncio.Lock()
    return _sqlite_writer_lock


@asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """A transaction for writes; nested calls join the outer one."""
    eng = engine()
    current = eng.current_transaction.get()
    if current is not None:
        yield current
        return
    if isinstance(eng, SQLiteEngine):
        async with _writer_lock(), eng.transaction(transaction_type=TransactionType.immediate) as txn:
            yield txn
    else:
        async with eng.transaction() as txn:
            yield txn


async def startup() -> None:
    eng = engine()
    if isinstance(eng, SQLiteEngine):
        # WAL lets readers run beside the one writer; it persists in the file once set.
        await eng.run_ddl("PRAGMA journal_mode=WAL")
    else:
        await eng.start_connection_pool(min_size=2, max_size=int(os.environ.get("JIEFEN_DB_POOL", "20")))


async def shutdown() -> None:
    eng = engine()
    if isinstance(eng, PostgresEngine):
        await eng.close_connection_pool()
