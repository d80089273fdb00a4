"""Test set-up: one migrated database per run (SQLite by default, PostgreSQL when
JIEFEN_TEST_DATABASE_URL or JIEFEN_DATABASE_URL names one), and a fresh town per test so
tests never see each other's cases."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_tmp = Path(tempfile.mkdtemp(prefix="jiefen-test-"))
os.environ["JIEFEN_DATA_DIR"] = str(_tmp)
_pg = os.environ.get("JIEFEN_TEST_DATABASE_URL") or (
    os.environ.get("JIEFEN_DATABASE_URL") if os.environ.get("JIEFEN_DATABASE_URL", "").startswith("postgres") else ""
)
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _pg and _worker:
    # Each xdist worker gets its own database.
    _pg = f"{_pg}_{_worker}"
if _pg:
    os.environ["JIEFEN_DATABASE_URL"] = _pg
else:
    os.environ["JIEFEN_DATABASE_URL"] = f"sqlite:///{_tmp / 'test.db'}"
os.environ.setdefault("JIEFEN_INTAKE_RATE_LIMIT_PER_MINUTE", "100000")
os.environ.setdefault("JIEFEN_SECRET_KEY", "test-secret-key-0123456789")

import pytest  # noqa: E402

pytest_plugins = ["tests.factories"]


def _recreate_postgres_database(url: str) -> None:
    import asyncio

    import asyncpg

    base, _, name = url.rpartition("/")

    async def go() -> None:
        conn = await asyncpg.connect(f"{base}/postgres")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(go())


def pytest_configure(config: pytest.Config) -> None:
    if _pg:
        _recreate_postgres_database(_pg)
    import asyncio

    from core import db
    from core.migrate import migrate

    async def go() -> None:
        # No pool here: this loop ends before the tests' loop starts.
        if db.is_sqlite():
            await db.startup()
        await migrate()

    asyncio.run(go())


@pytest.fixture(scope="session", autouse=True)
async def database() -> None:
    from core import db

    await db.startup()
    yield
    await db.shutdown()


def pytest_report_header(config: pytest.Config) -> str:
    return f"jiefen database: {'postgresql' if _pg else 'sqlite'} ({os.environ['JIEFEN_DATABASE_URL']})"


@pytest.fixture(autouse=True)
def _fresh_lookups() -> None:
    """The per-process lookup cache and rate-limit windows must not carry one test's types,
    rules or sign-ins into the next (every test's clients come from the same loopback address)."""
    from core import lookups, ratelimit

    lookups.invalidate()
    ratelimit.reset_memory()


@pytest.fixture(autouse=True)
async def _fresh_outbox(database: None) -> None:
    """Jobs left pending by an earlier test belong to its town, not this one: mark them so
    this test's drain() runs only what it caused."""
    from core.jobs.tables import OutboxJob

    await OutboxJob.update({OutboxJob.status: "done", OutboxJob.last_error: "left by an earlier test"}).where(
        OutboxJob.status.is_in(["pending", "running"])
    )
