"""What the kept-figure tests share: the town's organisations, an intake at the town's desk, and
the race of handlers for pooled cases with folds running beside it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from core.actors import Actor
from core.auth.service import actor_for_user
from core.cases import schemas as s
from core.cases.lifecycle import transition
from core.cases.service import create_case
from core.errors import JiefenError
from tests.factories import Town, make_user


def orgs(town: Town) -> list[dict[str, Any]]:
    """Every level and body of the town whose figures the tests compare."""
    return [town.county, town.town, *town.villages, town.committee, town.labour_dept]


async def intake(town: Town, desk: Actor, **over: Any) -> int:
    """A labour case at the town's desk, placed in the first village; returns its id."""
    fields: dict[str, Any] = {"channel": "walk_in", "dispute_type": "labour", "risk_level": "low", **over}
    data = s.CaseIn(
        description="欠薪", place_id=town.villages[0]["id"], parties=[s.PartyIn(name="张三", phone="13800138000")], **fields,
    )
    return (await create_case(data, desk, org_id=town.town["id"]))["id"]


async def pool_race(
    town: Town, desk: Actor, ids: list[int], *, fold: Callable[[], Awaitable[int]],
    then: Callable[[int, int], Awaitable[None]], beside: tuple[Awaitable[Any], ...] = (), name: str = "并发",
) -> None:
    """Each case dispatched to the labour department's pool, four of its handlers racing to
    take it (one wins, the rest are refused cleanly), then ``then(case_id, i)``; all cases at
    once (truly concurrent transactions on PostgreSQL), with five ``fold()`` calls and the
    ``beside`` writers running meanwhile."""
    handlers = [await actor_for_user((await make_user(town.labour_dept, ["handler"], f"{name}{i}"))["id"]) for i in range(4)]

    async def walk(cid: int, i: int) -> None:
        await transition(cid, "dispatch", desk, {"organisation_id": town.labour_dept["id"], "to_pool": True})
        results = await asyncio.gather(*[transition(cid, "take", h, {}) for h in handlers], return_exceptions=True)
        assert sum(not isinstance(r, BaseException) for r in results) == 1
        assert all(isinstance(r, JiefenError) for r in results if isinstance(r, BaseException))
        await then(cid, i)

    async def folds() -> None:
        for _ in range(5):
            await fold()
            await asyncio.sleep(0)

    await asyncio.gather(*[walk(cid, i) for i, cid in enumerate(ids)], folds(), *beside)
