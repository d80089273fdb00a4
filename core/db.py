"""The database engine and the one way to write: ``write_transaction()``.

SQLite (the embedded default) has one writer: writes are serialised in-process with a lock
and ``BEGIN IMMEDIATE`` so that two writers never deadlock on a lock upgrade. PostgreSQL runs
ordinary transactions; row locks and version checks keep concurrent writers honest.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import errno
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
import asyncpg
from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

from core.settings import get_settings

os.environ.setdefault("PICCOLO_CONF", "core.piccolo_conf")

_sqlite_writer_lock: asyncio.Lock | None = None
log = logging.getLogger("jiefen.db")


class _EndsCleanly:
    """The end of a transaction, for both engines: roll back or commit, then always end the
    context and give the connection back, even when COMMIT or ROLLBACK itself fails (Piccolo's
    own skips both then, leaving the dead transaction as the task's current one)."""

    async def __aexit__(self, exception_type, exception, traceback) -> bool:  # type: ignore[no-untyped-def]
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    try:
                        await self.rollback()
                    except Exception:  # the server ends an open transaction with its connection
                        log.debug("rollback failed; the body's error is the one raised", exc_info=True)
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            self.engine.current_transaction.reset(self.context)
            await self._give_back()
        return exception is None


class JiefenSQLiteTransaction(_EndsCleanly, SQLiteTransaction):
    """Piccolo's transaction on a pooled connection: the connection goes back to the pool
    at the end instead of being closed."""

    engine: JiefenSQLiteEngine

    async def get_connection(self):  # type: ignore[no-untyped-def]
        return await self.engine.borrow()

    async def _give_back(self) -> None:
        await self.engine.give_back(self.connection)


class JiefenSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine with two changes.

    WAL with synchronous=NORMAL: a commit no longer waits for an fsync of the main file (a
    power cut can lose the last commits, never corrupt the database).

    Connections are kept and reused. Piccolo opens a new connection, and with it a new thread,
    for every statement outside a transaction and for every transaction, and sends
    ``PRAGMA foreign_keys`` before every statement: 1.8 ms of CPU per read against 0.27 ms on
    an open connection (measured with aiosqlite 0.22). The pragmas are set once per connection
    here. A connection is used by one task at a time; one that comes back still inside a
    transaction is closed, not kept.
    """

    _idle_limit = 8

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._idle: list[aiosqlite.Connection] = []

    async def _connect(self) -> aiosqlite.Connection:
        connection = aiosqlite.connect(**self.connection_kwargs)
        # A kept connection's thread must not hold the interpreter open at exit (aiosqlite's
        # threads are not daemons, and a CLI command never closes the pool).
        connection._thread.daemon = True
        await connection
        connection.row_factory = dict_factory
        await connection.execute("PRAGMA foreign_keys = 1")
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    async def borrow(self) -> aiosqlite.Connection:
        while self._idle:
            connection = self._idle.pop()
            if connection._running and connection._connection is not None:
                return connection
        return await self._connect()

    async def give_back(self, connection: aiosqlite.Connection) -> None:
        usable = connection._running and connection._connection is not None
        if usable and not connection.in_transaction and len(self._idle) < self._idle_limit:
            self._idle.append(connection)
            return
        with contextlib.suppress(Exception):
            await connection.close()

    async def close_idle(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            with contextlib.suppress(Exception):
                await connection.close()

    async def get_connection(self):  # type: ignore[no-untyped-def]
        # Piccolo's batch() closes this one itself: a fresh connection, never a pooled one.
        connection = await super().get_connection()
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    def transaction(self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True) -> SQLiteTransaction:
        return JiefenSQLiteTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    async def _run_in_new_connection(self, query, args=None, query_type="generic", table=None):  # type: ignore[no-untyped-def]
        if query_type == "insert" and self.get_version_sync() < 3.35:  # no RETURNING before 3.35
            return await super()._run_in_new_connection(query, args, query_type, table)
        connection = await self.borrow()
        try:
            async with connection.execute(query, args or []) as cursor:
                if connection.in_transaction:  # a write began one implicitly; a read did not
                    await connection.commit()
                return await cursor.fetchall()
        finally:
            await self.give_back(connection)

    async def _run_in_existing_connection(self, connection, query, args=None, query_type="generic", table=None):  # type: ignore[no-untyped-def]
        # The connection came from borrow(): its pragmas and row factory are already set.
        if query_type == "insert" and self.get_version_sync() < 3.35:
            return await super()._run_in_existing_connection(connection, query, args, query_type, table)
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()


class JiefenPostgresTransaction(_EndsCleanly, PostgresTransaction):
    """Piccolo's transaction, except that a BEGIN, COMMIT or ROLLBACK which fails (the server
    closed the connection: a restart, a failover) still gives the connection back to the pool
    and ends the transaction's context. Piccolo skips both then: the pool lost a connection
    each time, and a long-lived task (the outbox relay, the in-process runner) kept the dead
    transaction as its current one, so every later query of that task ran on the closed
    connection and failed; after a PostgreSQL restart the relay never claimed a row again."""

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            self.transaction = self.connection.transaction()
            await self.begin()
        except BaseException:
            await self._give_back()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def _give_back(self) -> None:
        try:
            if self.engine.pool:
                await self.engine.pool.release(self.connection)
            else:
                await self.connection.close()
        except Exception:  # a release that fails must not hide the error that matters
            log.debug("releasing a broken connection failed; terminating it", exc_info=True)
            with contextlib.suppress(Exception):
                self.connection.terminate()


class _PooledConnection(asyncpg.Connection):  # type: ignore[misc]
    """No reset statement when a connection goes back to the pool: the code takes only
    transaction-level advisory locks, sets nothing per session, opens no cursors across
    requests and never LISTENs, so ``RESET ALL; UNLISTEN *; …`` would be a wasted round trip
    per request (asyncpg still rolls back a connection released inside a transaction)."""

    def get_reset_query(self) -> str:
        return ""


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

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return JiefenPostgresTransaction(engine=self, allow_nested=allow_nested)


def make_engine() -> Engine:
    settings = get_settings()
    if settings.is_sqlite:
        path = settings.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        return JiefenSQLiteEngine(path=str(path), timeout=60)
    # Custom plans always: asyncpg prepares every statement, and after five runs PostgreSQL may
    # keep a generic plan that cannot see which subtree a `path LIKE $1` names. A town desk's
    # queue at 1M cases went from 3.5 ms to 314 ms that way (docs/performance.md, session 6).
    server_settings = {"plan_cache_mode": "force_custom_plan"}
    return JiefenPostgresEngine(config={"dsn": settings.database_url, "server_settings": server_settings}, extensions=())


_engine: Engine | None = None


def engine() -> Engine:
    # piccolo_conf's DB is made once per process; Piccolo's finder imports and scans the conf
    # module on every call (5 % of an intake's CPU when called per statement).
    global _engine
    if _engine is None:
        found = engine_finder()
        if found is None:  # pragma: no cover - piccolo_conf always defines DB
            raise RuntimeError("no database engine configured")
        _engine = found
    return _engine


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
        await eng.start_connection_pool(
            min_size=2, max_size=int(os.environ.get("JIEFEN_DB_POOL", "20")), connection_class=_PooledConnection,
        )


async def shutdown() -> None:
    eng = engine()
    if isinstance(eng, PostgresEngine):
        await eng.close_connection_pool()
    elif isinstance(eng, JiefenSQLiteEngine):
        await eng.close_idle()


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
        # asyncpg hands a pooled connection back by itself when the server closes it; a statement
        # sent through it after that meets this (our code never uses one it gave back itself).
        if isinstance(current, pg.InterfaceError) and "released back to the pool" in str(current):
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


# ---------------------------------------------------------------- lean inserts for hot paths

# One per table, row count and shape: per column its name, whether it holds JSON and how to
# make its default; the statement.
_INSERT_SQL: dict[tuple[Any, int, str], tuple[list[tuple[str, bool, Callable[[], Any]]], tuple[str, ...], str]] = {}


def _encode_json(value: Any) -> Any:
    from piccolo.utils.encoding import dump_json

    return value if value is None or isinstance(value, str) else dump_json(value)


def _default_maker(column: Any) -> Callable[[], Any]:
    """The column's default, worked out once: reading it per row went through a foreign key's
    ``__getattribute__`` (a ``dir()`` per attribute), a tenth of an intake's insert time."""
    value = column.get_default_value()
    python = getattr(value, "python", None)  # Piccolo's Default objects (TimestamptzNow …)
    if callable(python):
        return python  # type: ignore[no-any-return]
    if isinstance(value, list | dict):
        return lambda: copy.copy(value)
    return lambda: value


async def insert_rows(
    table: Any, rows: list[dict[str, Any]], *, returning: tuple[str, ...] = (), skip_conflict_on: str | None = None,
) -> list[dict[str, Any]]:
    """``INSERT`` rows (column name → value; the others take the column's default) and return
    the ``returning`` columns, in the caller's transaction. ``skip_conflict_on``: a unique
    column; a row that would duplicate it is not inserted (and not returned).

    The same rows as ``table.insert(*[table(**r) for r in rows]).returning(...)``, for the
    intake path: on PostgreSQL it sends one cached statement through the transaction's own
    connection instead of building a Piccolo query and a Table instance per row (a third of an
    intake's CPU, docs/performance.md); SQLite keeps Piccolo's path.
    """
    if not rows:
        return []
    if is_sqlite():
        query = table.insert(*[table(**row) for row in rows])
        if skip_conflict_on:
            query = query.on_conflict(action="DO NOTHING", target=getattr(table, skip_conflict_on))
        if returning:
            query = query.returning(*[getattr(table, name) for name in returning])
        return list(await query)
    key = (table, len(rows), ",".join(returning) + f"|{skip_conflict_on}")
    cached = _INSERT_SQL.get(key)
    if cached is None:
        primary = table._meta.primary_key
        columns = [c for c in table._meta.columns if c is not primary]
        names = tuple(c._meta.db_column_name for c in columns)
        from piccolo.columns.column_types import JSON

        plan = [(name, isinstance(c, JSON), _default_maker(c)) for c, name in zip(columns, names, strict=True)]
        width = len(names)
        values = ", ".join(
            "(" + ", ".join(f"${r * width + i + 1}" for i in range(width)) + ")" for r in range(len(rows))
        )
        sql = f'INSERT INTO "{table._meta.tablename}" ({", ".join(chr(34) + n + chr(34) for n in names)}) VALUES {values}'
        if skip_conflict_on:
            sql += f' ON CONFLICT ("{skip_conflict_on}") DO NOTHING'
        if returning:
            sql += " RETURNING " + ", ".join(f'"{name}"' for name in returning)
        cached = _INSERT_SQL[key] = (plan, names, sql)
    plan, names, sql = cached
    args: list[Any] = []
    for row in rows:
        found = 0
        for name, is_json, default in plan:
            if name in row:
                args.append(_encode_json(row[name]) if is_json else row[name])
                found += 1
            else:
                args.append(default())
        # A key that is no column would be dropped without a word; counting the ones used
        # catches it without building sets on every call.
        if found != len(row):
            raise ValueError(f"{table._meta.tablename} has no column {sorted(set(row) - set(names))}")
    eng = engine()
    transaction = eng.current_transaction.get()
    if transaction is not None:
        records = await transaction.connection.fetch(sql, *args)
    else:
        async with eng.pool.acquire() as connection:
            records = await connection.fetch(sql, *args)
    return [dict(r) for r in records]
