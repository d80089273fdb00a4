"""A broken plugin never breaks the core: a raising observer is a failed delivery that can be
retried (the case stays as it is), a raising veto blocks naming the plugin, a raising panel or
widget becomes a notice naming the plugin."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from core import hookimpl
from core.actors import SYSTEM
from core.cases.tables import Case, CaseEvent
from core.jobs.tables import OutboxJob
from core.plugins import deliveries, ui
from tests.plugins.conftest import PROJECT, drain, registered

pytestmark = pytest.mark.db


class Flaky:
    def __init__(self) -> None:
        self.broken = True
        self.seen: list[str] = []

    @hookimpl
    async def case_event(self, event: dict[str, Any]) -> None:
        if self.broken:
            raise RuntimeError("the village server is down")
        self.seen.append(event["name"])


class BrokenVeto:
    @hookimpl
    def veto_transition(self, event: str) -> str | None:
        if event == "note":
            raise ValueError("rules table missing")
        return None


class BrokenPage:
    @hookimpl
    def case_panels(self) -> list[dict[str, Any]]:
        raise KeyError("panel")

    @hookimpl
    def case_actions(self) -> list[dict[str, Any]]:
        raise KeyError("actions")

    @hookimpl
    def dashboard_widgets(self) -> list[dict[str, Any]]:
        raise KeyError("widget")

    @hookimpl
    def document_sections(self) -> list[dict[str, Any]]:
        raise KeyError("section")


def cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "core.cli", "plugins", *args], cwd=PROJECT, env=os.environ.copy(),
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def _until_failed(row_id: int) -> dict[str, Any]:
    for _ in range(20):
        row = await OutboxJob.select().where(OutboxJob.id == row_id).first()
        if row["status"] == "failed":
            return row
        # Skip the backoff wait: make the retry due now.
        await OutboxJob.update({OutboxJob.available_at: datetime.now(UTC)}).where(OutboxJob.id == row_id)
        await drain()
    raise AssertionError("delivery never failed for good")


async def test_failing_observer_is_recorded_and_retried(town: Any, session_client: Any) -> None:
    with registered(Flaky(), "flaky") as flaky:
        client = session_client
        case = await client.new_case(town)
        await drain()
        [delivery] = [d for d in await deliveries.list_deliveries(failed=True, plugin="flaky") if d["case_id"] == case["id"]]
        assert delivery["status"] == "retrying"
        assert "flaky" in delivery["last_error"] and "the village server is down" in delivery["last_error"]
        row = await _until_failed(delivery["id"])
        assert row["last_error"].startswith("PluginFailed: plugin flaky")
        # The core change stands.
        assert (await Case.select(Case.state).where(Case.id == case["id"]).first())["state"] == "submitted"

        listed = cli("deliveries", "--failed", "--plugin", "flaky")
        assert f"#{delivery['id']}" in listed and "failed" in listed

        flaky.broken = False
        admin_api = await client.login(town.users["supervisor"])
        assert (await admin_api.get("/api/v1/plugins/deliveries?failed=true")).status_code == 403
        assert "1 delivery(ies) queued again" in cli("deliveries", "--retry", str(delivery["id"]))
        await drain()
        row = await OutboxJob.select().where(OutboxJob.id == delivery["id"]).first()
        assert row["status"] == "done" and "submit" in flaky.seen


async def test_raising_veto_blocks_naming_the_plugin(town: Any, session_client: Any) -> None:
    with registered(BrokenVeto(), "broken_veto"):
        client = session_client
        case = await client.new_case(town)
        desk = await client.login(town.users["window"])
        body = await desk.act(case["id"], "note", expect=409, text="一条备注")
        assert body["code"] == "vetoed"
        assert "broken_veto" in body["detail"] and "ValueError" in body["detail"]
        names = [e["name"] for e in await CaseEvent.select(CaseEvent.name).where(CaseEvent.case == case["id"])]
        assert names == ["submit"]


async def test_raising_panel_and_widget_become_notices(town: Any) -> None:
    case = {"id": 1, "org_path": town.town["path"], "state": "submitted"}
    with registered(BrokenPage(), "broken_page"):
        shown = await ui.case_contributions(case, SYSTEM)
        [notice] = [p for p in shown["panels"] if p["plugin"] == "broken_page"]
        assert notice["error"] and "broken_page" in notice["html"]
        assert not [a for a in shown["actions"] if a["plugin"] == "broken_page"]
        [widget] = [w for w in await ui.dashboard_widgets(town.town, SYSTEM) if w["plugin"] == "broken_page"]
        assert widget["error"] and "broken_page" in widget["html"]
        # An official document must not go out missing a section: the error stops it.
        with pytest.raises(Exception, match="broken_page"):
            await ui.document_sections("agreement", case)
