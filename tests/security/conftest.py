"""The attack suite shares one pair of counties per run: building them opens about thirty sessions
and runs the real flows, too slow to repeat for each of a thousand requests."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.security.world import World, build_world

# The test client logs a line per request at INFO, which the app's logging config lets through:
# over the matrix's thousands of requests that is time spent formatting lines nobody reads.
logging.getLogger("httpx").setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    # The suite sends thousands of requests from one client address.
    from core import ratelimit

    ratelimit.reset_memory()


@pytest.fixture(scope="session")
async def world(client: Any, database: None) -> World:
    return await build_world(client)
