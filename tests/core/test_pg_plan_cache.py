"""PostgreSQL connections plan every statement for its own parameters: with asyncpg's prepared
statements a generic plan, chosen after five runs, cannot tell one subtree's `path LIKE $1`
from another's, and a town desk's queue at 1M cases took 314 ms instead of 3.6 ms."""

from __future__ import annotations

import pytest

from core.db import engine, is_sqlite

pytestmark = pytest.mark.db


async def test_every_pooled_connection_asks_for_custom_plans() -> None:
    if is_sqlite():
        pytest.skip("SQLite plans each statement anyway")
    # Several at once, so more than one pooled connection answers.
    import asyncio

    rows = await asyncio.gather(*[engine().run_ddl("SHOW plan_cache_mode") for _ in range(5)])
    assert {r[0]["plan_cache_mode"] for r in rows} == {"force_custom_plan"}
