"""Which errors mean "the database went away" (503 and a retry) and which are bugs (500)."""

from __future__ import annotations

import asyncpg.exceptions as pg

from core.db import unavailable


def _raised_from(outer: BaseException, inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer from exc
    except BaseException as final:
        return final


def test_connection_failures_are_unavailable():
    for exc in (
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
        OSError("Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1', 5432)"),
        pg.CannotConnectNowError("the database system is starting up"),
        pg.AdminShutdownError("terminating connection due to administrator command"),
        pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        pg.InterfaceError("cannot call Transaction.rollback(): the underlying connection is closed"),
        pg.InterfaceError("cannot call Connection.fetch(): connection has been released back to the pool"),
        pg.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
        pg.TooManyConnectionsError("sorry, too many clients already"),
        # What a rollback on a dead connection raises, with the real cause under it.
        _raised_from(RuntimeError("rollback failed"), pg.AdminShutdownError("terminating connection")),
    ):
        assert unavailable(exc), repr(exc)


def test_bugs_and_refusals_are_not():
    for exc in (
        pg.UniqueViolationError("duplicate key value violates unique constraint"),
        pg.UndefinedColumnError('column "x" does not exist'),
        pg.InterfaceError("cannot perform operation: another operation is in progress"),
        FileNotFoundError(2, "No such file"),
        TimeoutError(),
        ValueError("bad"),
        KeyError("x"),
    ):
        assert not unavailable(exc), repr(exc)
