"""Per-town switches, for every kind of contribution: a plugin that is off for a town is
invisible there (vetoes, observers, routes, actions, panels, widgets, jobs), inheritance goes
down the tree, and turning it back on loses nothing."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import get

from core import hookimpl
from core.actors import SYSTEM
from core.jobs.outbox import enqueue
from core.plugins import ui
from core.plugins.manager import enabled_for_path
from tests.factories import make_town
from tests.plugins.conftest import drain, registered, switch

pytestmark = pytest.mark.db


@get("/api/v1/plugins/town_flow/ping")
async def ping() -> dict[str, bool]:
    return {"pong": True}


@get("/admin/plugins/town_flow/page", media_type="text/html")
async def page() -> str:
    return "<p>town flow</p>"


class TownFlow:
    """A plugin with one of each per-town contribution; it records what reached it."""

    def __init__(self) -> None:
        self.events: list[tuple[int, str]] = []
        self.jobs_run: list[int] = []

    @hookimpl
    def veto_transition(self, event: str, data: Any) -> str | None:
        if event == "note" and "veto-me" in data.text:
            return "town flow says no"
        return None

    @hookimpl
    def case_event(self, case: dict[str, Any], event: dict[str, Any]) -> None:
        self.events.append((case["id"], event["name"]))

    @hookimpl
    def register_routes(self) -> list[Any]:
        return [ping, page]

    @hookimpl
    def case_actions(self, case: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"label": "Flow", "url": f"/admin/plugins/town_flow/cases/{case['id']}", "method": "post", "hx_target": None, "confirm": None}]

    @hookimpl
    def case_panels(self, case: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"id": "town_flow", "title": "Flow", "html": "<p>flow</p>"}]

    @hookimpl
    def dashboard_widgets(self, organisation: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"id": "town_flow", "title": "Flow", "html": f"<p>{organisation['id']}</p>"}]

    @hookimpl
    def jobs(self) -> dict[str, Any]:
        async def touch(payload: dict[str, Any]) -> None:
            self.jobs_run.append(payload["case_id"])

        return {"town_flow.touch": touch}


@pytest.fixture
def flow() -> Any:
    with registered(TownFlow(), "town_flow") as plugin:
        yield plugin


async def test_deepest_switch_wins_and_is_inherited(flow: TownFlow, town: Any) -> None:
    county, town_node, village = town.county["path"], town.town["path"], town.villages[0]["path"]
    assert await enabled_for_path("town_flow", village)  # a local plugin starts on
    await switch("town_flow", town.county, False)
    assert not await enabled_for_path("town_flow", county)
    assert not await enabled_for_path("town_flow", village)  # inherited from the county
    await switch("town_flow", town.town, True)
    assert await enabled_for_path("town_flow", town_node) and await enabled_for_path("town_flow", village)
    assert not await enabled_for_path("town_flow", county)
    await switch("town_flow", town.villages[0], False)
    assert not await enabled_for_path("town_flow", village)
    assert await enabled_for_path("town_flow", town.villages[1]["path"])
    await switch("town_flow", town.villages[0], None)  # removing a switch inherits again
    assert await enabled_for_path("town_flow", village)


async def test_bundled_plugins_start_off() -> None:
    from core.plugins.manager import default_enabled, plugin_names

    bundled = [n for n in plugin_names() if n in {"psych", "legal_aid", "industry_assoc", "judicial_confirm"}]
    assert bundled and not any(default_enabled(n) for n in bundled)


async def test_veto_only_where_on(flow: TownFlow, session_client: Any) -> None:
    on, off = await make_town(), await make_town()
    await switch("town_flow", off.county, False)
    client = session_client
    for t, expect in ((on, 409), (off, 200)):
        case = await client.new_case(t)
        desk = await client.login(t.users["window"])
        body = await desk.act(case["id"], "note", expect=expect, text="veto-me please")
        if expect == 409:
            assert body["code"] == "vetoed" and "town_flow" in body["detail"] and "town flow says no" in body["detail"]


async def test_observer_only_where_on(flow: TownFlow, session_client: Any) -> None:
    on, off = await make_town(), await make_town()
    await switch("town_flow", off.town, False)
    client = session_client
    on_case, off_case = await client.new_case(on), await client.new_case(off)
    await drain()
    assert (on_case["id"], "submit") in flow.events
    assert not any(case_id == off_case["id"] for case_id, _ in flow.events)


async def test_routes_answer_404_where_off(flow: TownFlow, make_client: Any) -> None:
    on, off = await make_town(), await make_town()
    await switch("town_flow", off.town, False)
    client = await make_client()
    for t, status in ((on, 200), (off, 404)):
        api = await client.login(t.users["window"])
        assert (await api.get("/api/v1/plugins/town_flow/ping")).status_code == status
        assert (await api.get("/admin/plugins/town_flow/page")).status_code == status
    # The county's staff sit above the town's switch: still on for them.
    assert (await (await client.login(off.users["county_supervisor"])).get("/api/v1/plugins/town_flow/ping")).status_code == 200


async def test_actions_panels_widgets_hidden_where_off(flow: TownFlow, session_client: Any) -> None:
    on, off = await make_town(), await make_town()
    await switch("town_flow", off.county, False)
    client = session_client
    for t, shown in ((on, True), (off, False)):
        case = await client.new_case(t)
        api = await client.login(t.users["supervisor"])
        body = (await api.get(f"/api/v1/plugins/cases/{case['id']}")).json()
        assert any(a["plugin"] == "town_flow" for a in body["actions"]) is shown
        assert any(p["plugin"] == "town_flow" for p in body["panels"]) is shown
        widgets = (await api.get("/api/v1/plugins/widgets")).json()
        assert any(w["plugin"] == "town_flow" for w in widgets) is shown


async def test_jobs_skip_cases_of_towns_where_off(flow: TownFlow, session_client: Any) -> None:
    on, off = await make_town(), await make_town()
    await switch("town_flow", off.town, False)
    client = session_client
    on_case, off_case = await client.new_case(on), await client.new_case(off)
    for case in (on_case, off_case):
        await enqueue("town_flow.touch", {"case_id": case["id"]}, case_id=case["id"])
    await drain()
    assert on_case["id"] in flow.jobs_run and off_case["id"] not in flow.jobs_run


async def test_turning_back_on_restores_everything(flow: TownFlow, session_client: Any) -> None:
    t = await make_town()
    client = session_client
    case = await client.new_case(t)
    await switch("town_flow", t.town, False)
    assert (await ui.case_contributions(case | {"org_path": t.town["path"]}, SYSTEM))["panels"] == []
    await switch("town_flow", t.town, True)
    panels = (await ui.case_contributions(case | {"org_path": t.town["path"]}, SYSTEM))["panels"]
    assert [p["id"] for p in panels] == ["town_flow"]


async def test_cli_lists_plugins_with_origin_and_switches(town: Any) -> None:
    import asyncio

    from tests.plugins.test_isolation import cli

    await switch("psych", town.town, True)
    try:
        listed = await asyncio.to_thread(cli, "list")
    finally:
        await switch("psych", town.town, None)
    [psych] = [line for line in listed.splitlines() if line.startswith("psych ")]
    assert "bundled" in psych and "default off" in psych
    assert f"on at {town.town['name']} ({town.town['path']})" in listed
