"""The agreements tests sign in several people per test; the login limit (per client address,
per minute) is for people, not for a test run: each test starts with fresh counters."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    from core import ratelimit

    ratelimit._memory.clear()
