"""A fixed-window rate limit: in Redis when configured (shared by every app process),
in memory otherwise (the embedded default runs one process)."""

from __future__ import annotations

import time
from collections import defaultdict

from core.errors import RateLimited
from core.settings import get_settings

_memory: dict[str, int] = defaultdict(int)
_redis = None


async def _redis_client():  # type: ignore[no-untyped-def]
    global _redis
    if _redis is None:
        from redis.asyncio import Redis

        _redis = Redis.from_url(get_settings().redis_url)
    return _redis


async def hit(scope: str, identity: str, limit_per_minute: int) -> None:
    window = int(time.time() // 60)
    key = f"jiefen:rl:{scope}:{identity}:{window}"
    count: int
    if get_settings().redis_url:
        try:
            client = await _redis_client()
            async with client.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, 120)
                count = (await pipe.execute())[0]
        except Exception:
            # Redis down must not stop intake: fall back to this process's own count.
            _memory[key] += 1
            count = _memory[key]
    else:
        _memory[key] += 1
        count = _memory[key]
        if len(_memory) > 50_000:
            for stale in [k for k in _memory if not k.endswith(f":{window}")]:
                del _memory[stale]
    if count > limit_per_minute:
        raise RateLimited()


def reset_memory() -> None:
    _memory.clear()
