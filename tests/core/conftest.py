"""The core's tests sign in many times a minute from one address: start each test with the
in-memory rate-limit counters empty (sign-in allows 30 a minute per client)."""

import pytest


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    from core.ratelimit import reset_memory

    reset_memory()
