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


# Work units for pytest-xdist (`make test` runs two workers): each test file is one unit, so a
# module's fixtures (a live server, a seeded town) are built on one worker only, and the files
# that share a session fixture costing half a minute or more to build are one unit together.
# The costliest units go first, so that the run does not end with one worker on a long file
# while the other has nothing left to do. (xdist's own `--dist loadgroup` marks do nothing
# under pytest 9: it renames node ids in a way pytest 9 no longer reads.)
SHARED_UNITS = {
    # Files using tests/security's session fixture `world`.
    "security-world": ("tests/security/test_authz_matrix.py", "tests/security/test_csrf.py", "tests/security/test_schemathesis.py"),
    # Files using tests/browser's `admin_server`.
    "browser-admin": ("tests/browser/test_admin_browser.py", "tests/browser/test_manage_integrations_browser.py"),
}
_SHARED_FIXTURES = {"world": "security-world", "admin_server": "browser-admin"}
_UNIT_OF_FILE = {path: unit for unit, paths in SHARED_UNITS.items() for path in paths}


def _unit(nodeid: str) -> str:
    path = nodeid.split("::")[0]
    return _UNIT_OF_FILE.get(path, path)


def _cost(item: pytest.Item) -> int:
    if _unit(item.nodeid) == "security-world":
        return 3
    if item.get_closest_marker("browser"):
        return 2
    return 1 if item.get_closest_marker("slow") else 0


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    stray = sorted({
        f"{item.nodeid.split('::')[0]} uses `{fixture}`: add it to SHARED_UNITS[{unit!r}] in tests/conftest.py"
        for item in items for fixture, unit in _SHARED_FIXTURES.items()
        if fixture in getattr(item, "fixturenames", ()) and item.nodeid.startswith(SHARED_UNITS[unit][0].rsplit("/", 1)[0] + "/")
        and _unit(item.nodeid) != unit
    })
    if stray:
        raise pytest.UsageError("\n".join(stray))
    cost: dict[str, int] = {}
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        unit = _unit(item.nodeid)
        cost[unit] = max(cost.get(unit, 0), _cost(item))
        first.setdefault(unit, index)
    # Stable: within a unit, and among units of one cost, the collection's order stays.
    items.sort(key=lambda item: (-cost[_unit(item.nodeid)], first[_unit(item.nodeid)]))


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from xdist.scheduler import LoadScopeScheduling

    class ByUnit(LoadScopeScheduling):
        """Units as above, handed out in the order collected (the costliest first)."""

        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

    config.option.loadscopereorder = False
    return ByUnit(config, log)
