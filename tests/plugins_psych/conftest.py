"""The psych plugin's tests: a town with a counselling station, its counsellors and the plugin
switched on for the town (bundled plugins start off)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from core.auth.service import actor_for_user
from tests.factories import Town, make_org, make_user
from tests.plugins.conftest import Client, switch


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    from core.ratelimit import reset_memory

    reset_memory()


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


async def case_in_mediation(api: Client, town: Town, **over: Any) -> tuple[dict[str, Any], Any]:
    case = await api.new_case(town, **over)
    desk = await api.login(town.users["window"])
    await desk.act(case["id"], "accept", rights_notified=True, consent=True)
    await desk.act(case["id"], "dispatch", mediator_id=town.mediators[0]["id"])
    mediator = await api.login(town.mediators[0]["user"])
    await mediator.act(case["id"], "take")
    return case, mediator


async def applicant_id(case_id: int) -> int:
    from core.cases.tables import Party

    row = await Party.select(Party.id).where((Party.case == case_id) & (Party.role == "applicant")).first()
    return row["id"]


async def events(case_id: int) -> list[dict[str, Any]]:
    from core.cases.tables import CaseEvent

    return await CaseEvent.select(CaseEvent.name, CaseEvent.payload, CaseEvent.actor_label, CaseEvent.to_state).where(
        CaseEvent.case == case_id
    ).order_by(CaseEvent.seq).output(load_json=True)


async def patch(api: Any, url: str, json: Any) -> Any:
    """``Api`` has no PATCH: the same cookie and CSRF header."""
    return await api.client.patch(url, json=json, headers=api.headers)
