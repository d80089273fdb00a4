"""The psych plugin's tests: a town with a counselling station, its counsellors and the plugin
switched on for the town (bundled plugins start off)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from core.auth.service import actor_for_user
from tests.factories import Town, make_org, make_user
from tests.plugins.conftest import (  # noqa: F401 (re-exported for the tests; the fixture is autouse)
    Client,
    case_in_mediation,
    events,
    fresh_rate_limits,
    switch,
)


@dataclass
class Station:
    town: Town
    org: dict[str, Any]
    counsellors: list[dict[str, Any]] = field(default_factory=list)  # staff users, each with "pool_id"
    supervisor: dict[str, Any] = field(default_factory=dict)


async def make_station(town: Town, *, specialties: list[list[str]] | None = None, on: bool = True) -> Station:
    """A counselling station under the town, two counsellors in the pool, its supervisor."""
    from plugins.psych import services

    org = await make_org(f"{town.town['name']}心灵驿站", "counselling_station", "town", town.town)
    station = Station(town, org)
    station.supervisor = await make_user(org, ["supervisor"], "驿站站长")
    keeper = await actor_for_user(town.users["supervisor"]["id"])
    for i, spec in enumerate(specialties or [["marriage_family"], ["crisis", "youth"]]):
        user = await make_user(org, ["counsellor"], f"心理咨询师{i}")
        row = await services.add_counsellor(keeper, org["id"], f"心理咨询师{i}", phone=f"1370000{i:04d}", specialties=spec, user_id=user["id"])
        user["pool_id"] = row["id"]
        station.counsellors.append(user)
    if on:
        await switch("psych", town.town, True)
    return station


@pytest.fixture
async def station(town: Town) -> Station:
    return await make_station(town)


@pytest.fixture
def api(client: Any) -> Client:
    return Client(client)


async def applicant_id(case_id: int) -> int:
    from core.cases.tables import Party

    row = await Party.select(Party.id).where((Party.case == case_id) & (Party.role == "applicant")).first()
    return row["id"]


async def patch(api: Any, url: str, json: Any) -> Any:
    """``Api`` has no PATCH: the same cookie and CSRF header."""
    return await api.client.patch(url, json=json, headers=api.headers)
