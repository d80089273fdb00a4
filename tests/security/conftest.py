"""The attack suite shares one pair of counties per run: building them opens about thirty sessions
and runs the real flows, too slow to repeat for each of a thousand requests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.security.world import World, build_world


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    # The suite sends thousands of requests from one client address.
    from core import ratelimit

    ratelimit.reset_memory()


@pytest.fixture(scope="session")
async def world(client: Any, database: None) -> World:
    return await build_world(client)
