"""The tutorial's plugin (docs/examples/elders_panel), loaded from a town's plugin folder and
used through the API: its table and migration, the action, the panel, the notification, the
veto, its settings, and a town switching it off and on again without losing anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.cases.tables import CaseEvent
from core.plugins.discovery import piccolo_app_modules
from core.plugins.manager import get_manager
from tests.plugins.conftest import PROJECT, drain, migrate_app, plugins_dir, switch

pytestmark = pytest.mark.db


@pytest.fixture
async def elders(tmp_path: Path) -> Any:
    # A town's plugin folder holding the example (docs/examples also holds other examples).
    (tmp_path / "elders_panel").symlink_to(PROJECT / "docs" / "examples" / "elders_panel")
    with plugins_dir(tmp_path, JIEFEN_PLUGIN_ELDERS_PANEL_MAX_ELDERS="3"):
        get_manager()  # discovery puts the folder on sys.path
        # What `jiefen migrate` runs: the plugin's Piccolo app is found beside it.
        assert "elders_panel.piccolo_app" in piccolo_app_modules()
        await migrate_app("elders_panel.piccolo_app")
        yield


async def _case_in_mediation(client: Any, town: Any) -> tuple[dict[str, Any], Any]:
    case = await client.new_case(town)
    desk = await client.login(town.users["window"])
    accepted = await desk.act(case["id"], "accept", rights_notified=True, consent=True)
    case = {**case, "number": accepted["event"]["payload"]["number"]}
    await desk.act(case["id"], "dispatch", mediator_id=town.mediators[0]["id"])
    mediator = await client.login(town.mediators[0]["user"])
    await mediator.act(case["id"], "take")
    return case, mediator


async def test_elders_panel_end_to_end(elders: None, town: Any, make_client: Any) -> None:
    client = await make_client()
    keeper = await client.login(town.users["window"])
    names = ["王老伯", "李老师", "陈支书", "赵大姐"]
    ids = []
    for name in names:
        resp = await keeper.post("/api/v1/plugins/elders_panel/elders", json={"village_id": town.villages[0]["id"], "name": name, "title": "乡贤"})
        assert resp.status_code == 201, resp.text
        ids.append(resp.json()["id"])
    case, mediator = await _case_in_mediation(client, town)
    cid = case["id"]

    # The case page: an action to invite the panel, and the panel itself.
    shown = (await mediator.get(f"/api/v1/plugins/cases/{cid}")).json()
    assert [a["label"] for a in shown["actions"] if a["plugin"] == "elders_panel"] == ["邀请评理团"]
    [panel] = [p for p in shown["panels"] if p["plugin"] == "elders_panel"]
    assert "本村评理团成员 4 人" in panel["html"]

    # The settings cap a panel at three elders (JIEFEN_PLUGIN_ELDERS_PANEL_MAX_ELDERS).
    too_many = await mediator.post(f"/admin/plugins/elders_panel/cases/{cid}/invite")
    # Its own catalogue; an admin (HTML) route answers with the admin's error page, not JSON.
    assert too_many.status_code == 400 and too_many.headers["content-type"].startswith("text/html")
    assert "<p>评理团每案最多 3 人。</p>" in too_many.text
    invited = await mediator.post(f"/api/v1/plugins/elders_panel/cases/{cid}/invite", json={"elder_ids": ids[:3], "note": "请三位到场"})
    assert invited.status_code == 201, invited.text
    assert [i["name"] for i in invited.json()] == names[:3]
    events = [e["name"] for e in await CaseEvent.select(CaseEvent.name).where(CaseEvent.case == cid).order_by(CaseEvent.seq)]
    assert events[-1] == "elders_panel.invited"

    # After commit the observer tells each elder; the panel shows it.
    await drain()
    detail = (await mediator.get(f"/api/v1/plugins/elders_panel/cases/{cid}")).json()
    assert all(i["notified_at"] and case["number"] in i["notice"] for i in detail["invitations"])
    html = (await mediator.get(f"/admin/plugins/elders_panel/cases/{cid}/panel")).text
    assert html.count("已通知") == 3

    # The veto: no "failed" while the invited elders have not been heard.
    vetoed = await mediator.act(cid, "fail", expect=409, advice="litigation")
    assert "elders_panel" in vetoed["detail"] and "评理团" in vetoed["detail"]

    # The navigation (hook admin_nav): mediators see the entry on every admin page, translated
    # by the plugin's catalogue; a supervisor (not one of its roles) does not.
    listing = (await mediator.get("/admin/cases")).text
    assert '<a href="/admin/plugins/elders_panel/elders">评理团</a>' in listing
    elders_page = await mediator.get("/admin/plugins/elders_panel/elders")
    assert elders_page.status_code == 200 and "王老伯" in elders_page.text and "<h1>评理团</h1>" in elders_page.text
    assert '<a href="/admin/plugins/elders_panel/elders" aria-current="page">' in elders_page.text  # the admin's own layout
    supervisor = await client.login(town.users["supervisor"])
    assert "/admin/plugins/elders_panel/elders" not in (await supervisor.get("/admin/cases")).text

    # The town turns the plugin off: routes 404, nothing on the case page, no navigation entry.
    await switch("elders_panel", town.town, False)
    assert "/admin/plugins/elders_panel/elders" not in (await mediator.get("/admin/cases")).text
    assert (await mediator.get(f"/api/v1/plugins/elders_panel/cases/{cid}")).status_code == 404
    assert (await mediator.get(f"/admin/plugins/elders_panel/cases/{cid}/panel")).status_code == 404
    shown = (await mediator.get(f"/api/v1/plugins/cases/{cid}")).json()
    assert not [x for x in shown["actions"] + shown["panels"] if x["plugin"] == "elders_panel"]

    # And on again: everything it stored is still there.
    await switch("elders_panel", town.town, True)
    detail = (await mediator.get(f"/api/v1/plugins/elders_panel/cases/{cid}")).json()
    assert len(detail["invitations"]) == 3
    heard = await mediator.post(f"/api/v1/plugins/elders_panel/cases/{cid}/opinion", json={"opinion": "厂方应先付一半"})
    assert heard.status_code == 200 and {i["status"] for i in heard.json()} == {"heard"}
    await mediator.act(cid, "fail", advice="litigation")


async def test_panel_output_is_escaped(elders: None, town: Any, make_client: Any) -> None:
    client = await make_client()
    keeper = await client.login(town.users["window"])
    await keeper.post("/api/v1/plugins/elders_panel/elders", json={"village_id": town.villages[0]["id"], "name": "<script>x</script>"})
    case, mediator = await _case_in_mediation(client, town)
    html = (await mediator.post(f"/admin/plugins/elders_panel/cases/{case['id']}/invite")).text
    assert "&lt;script&gt;" in html and "<script>" not in html
