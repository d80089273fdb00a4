"""The database engine and the one way to write: ``write_transaction()``.

SQLite (the embedded default) has one writer: writes are serialised in-process with a lock
and ``BEGIN IMMEDIATE`` so that two writers never deadlock on a lock upgrade. PostgreSQL runs
ordinary transactions; row locks and version checks keep concurrent writers honest.
"""

from __future__ import annotations

import asyncio
import errno
import logging
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
log = logging.getLogger("jiefen.db")


class JiefenSQLiteEngine(SQLiteEngine):
    """WAL with synchronous=NORMAL: a commit no longer waits for an fsync of the main file
    (a power cut can lose the last commits, never corrupt the database)."""

    async def get_connection(self):  # type: ignore[no-untyped-def]
        connection = await super().get_connection()
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection


class JiefenPostgresEngine(PostgresEngine):
    """A read outside a transaction that meets a connection the server just closed (a
    restart, a failover) is run once more: the pool hands out a fresh connection. Writes are
    not repeated here (they run in transactions, and the caller decides)."""

    async def _run_in_pool(self, query: str, args: Any = None):  # type: ignore[no-untyped-def]
        try:
            return await super()._run_in_pool(query, args)
        except Exception as exc:
            if not (query.lstrip()[:6].upper() == "SELECT" and unavailable(exc)):
                raise
            log.warning("read met a closed database connection (%s); trying once more", type(exc).__name__)
            await asyncio.sleep(0.1)
            return await super()._run_in_pool(query, args)


def make_engine() -> Engine:
    settings = get_settings()
    if settings.is_sqlite:
        path = settings.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        return JiefenSQLiteEngine(path=str(path), timeout=60)
    return JiefenPostgresEngine(config={"dsn": settings.database_url}, extensions=())


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


_UNREACHABLE_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ECONNRESET, errno.ETIMEDOUT, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN, errno.EPIPE})


def unavailable(exc: BaseException) -> bool:
    """True when ``exc``, or what it was raised from, says the database could not be reached
    or went away mid-request (a restart, a failover, too many connections): worth a retry,
    not a bug. The API answers 503 for these, the worker tries the job again later."""
    import asyncpg.exceptions as pg

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, pg.PostgresConnectionError | pg.CannotConnectNowError | pg.AdminShutdownError
                      | pg.CrashShutdownError | pg.TooManyConnectionsError | ConnectionError):
            return True
        if isinstance(current, pg.InterfaceError) and "connection" in str(current) and "closed" in str(current):
            return True
        # The server's goodbye arrived on an idle pooled connection just as a query was sent on
        # it: asyncpg reports the clash of states, then the connection closes.
        if isinstance(current, pg.InternalClientError) and "cannot switch to state" in str(current):
            return True
        # asyncpg tries each address of a host name and raises a plain OSError listing them.
        if isinstance(current, OSError) and (current.errno in _UNREACHABLE_ERRNOS or "Connect call failed" in str(current)):
            return True
        current = current.__cause__ or current.__context__
    return False
