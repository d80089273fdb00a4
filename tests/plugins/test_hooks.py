"""The hooks not covered elsewhere, each through the host call site that uses it: domain data,
numbering and dispatch defaults overridden per town, templates and static files, cron entries,
channels, the document signer, start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core import hookimpl
from core.plugins import host, render_template
from core.plugins.manager import PluginLoadError, call_first, hook_for_path
from core.plugins.ui import document_sections
from tests.plugins.conftest import registered, switch

STATIC = Path(__file__).parent / "static"
TEMPLATES = Path(__file__).parent / "templates"


class Channel:
    name = "everything_sms"

    async def send(self, message: Any) -> str:
        return "sms-1"


class Everything:
    def __init__(self) -> None:
        self.started: list[Any] = []

    @hookimpl
    def dispute_types(self) -> list[dict[str, Any]]:
        return [{"code": "fishery", "label_zh": "渔业纠纷", "label_en": "Fishery", "sensitive": False}]

    @hookimpl
    def organisation_types(self) -> list[dict[str, Any]]:
        return [{"code": "fishery_assoc", "label_zh": "渔业协会", "label_en": "Fishery association", "issues_agreements": True}]

    @hookimpl
    def case_number(self, year: int, seq: int) -> str:
        return f"EV-{year}-{seq:05d}"

    @hookimpl
    def dispatch_target(self, case: dict[str, Any]) -> dict[str, Any]:
        return {"organisation_id": -7, "to_pool": True, "reason": "everything"}

    @hookimpl
    def rank_mediators(self, candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**c, "score": 0, "reasons": ["reversed"]} for c in reversed(candidates)]

    @hookimpl
    def template_dirs(self) -> list[Path]:
        return [TEMPLATES]

    @hookimpl
    def static_dirs(self) -> dict[str, Path]:
        return {"css": STATIC}

    @hookimpl
    def jobs(self) -> dict[str, Any]:
        async def nightly(payload: dict[str, Any]) -> None:
            return None

        return {"everything.nightly": nightly}

    @hookimpl
    def cron_jobs(self) -> list[dict[str, Any]]:
        return [{"name": "everything_nightly", "job": "everything.nightly", "minute": {5}, "hour": {2}}]

    @hookimpl
    def notification_channels(self) -> list[Any]:
        return [Channel()]

    @hookimpl
    def document_sections(self, document: str) -> list[dict[str, Any]]:
        return [{"title": "评理团意见", "html": f"<p>{document}</p>"}] if document == "agreement" else []

    @hookimpl
    def document_signer(self, organisation: dict[str, Any]) -> Any:
        return Channel()  # anything with the right methods; identity is what the test checks

    @hookimpl
    async def startup(self, app: Any) -> None:
        self.started.append(app)


@pytest.fixture
def everything() -> Any:
    with registered(Everything(), "everything") as plugin:
        yield plugin


@pytest.mark.db
async def test_domain_data_is_added_by_migrate(everything: Everything) -> None:
    from core.migrate import ensure_reference_data
    from core.orgs.tables import OrganisationType
    from core.roster.tables import DisputeType

    await ensure_reference_data()
    assert await DisputeType.exists().where(DisputeType.code == "fishery")
    row = await OrganisationType.select().where(OrganisationType.code == "fishery_assoc").first()
    assert row["issues_agreements"] is True


@pytest.mark.db
async def test_a_town_plugin_overrides_the_defaults_only_where_on(everything: Everything, town: Any, session_client: Any) -> None:
    client = session_client
    case = await client.new_case(town, accept_now=True, rights_notified=True, consent=True)
    assert case["number"].startswith("EV-")  # numbering (at registration) is deployment-wide
    row = {"id": case["id"], "org_path": town.town["path"], "dispute_type": "labour", "place_path": ""}
    candidates = [{"id": 1}, {"id": 2}]
    assert (await call_first("dispatch_target", row, case=row))["reason"] == "everything"
    assert [c["id"] for c in await call_first("rank_mediators", row, case=row, candidates=candidates)] == [2, 1]
    await switch("everything", town.town, False)
    assert await call_first("dispatch_target", row, case=row) is None  # the built-in rules: none set
    ranked = await call_first("rank_mediators", row, case=row, candidates=[{"id": 1, "open_cases": 0}, {"id": 2, "open_cases": 9}])
    assert "reversed" not in ranked[0]["reasons"]
    assert await document_sections("agreement", row) == []
    # The built-in signer (core.defaults.signer) answers there instead.
    assert "everything" not in [name for name, _ in await hook_for_path("document_signer", town.committee["path"])]


@pytest.mark.db
async def test_documents_and_signer_where_on(everything: Everything, town: Any) -> None:
    row = {"id": 1, "org_path": town.town["path"]}
    assert [s["title"] for s in await document_sections("agreement", row)] == ["评理团意见"]
    assert isinstance(await host.document_signer(town.committee), Channel)


@pytest.mark.db
async def test_templates_and_static_files(everything: Everything, make_client: Any) -> None:
    assert render_template("everything/hello.html", who="<b>") == "<p>hello &lt;b&gt;</p>"
    client = await make_client()
    resp = await client.http.get("/static/plugins/everything/css/site.css")
    assert resp.status_code == 200 and "color" in resp.text


async def test_jobs_cron_channels_startup(everything: Everything) -> None:
    from core.jobs.registry import JOBS

    assert getattr(JOBS["everything.nightly"], "plugin", None) == "everything"
    assert host.notification_channels()["everything_sms"].name == "everything_sms"
    await host.run_startup(app="the app")
    assert everything.started == ["the app"]
    try:
        from core.jobs.cron import entries
    except ImportError:  # the scheduler is another area's; check it when it is there
        return
    assert any(e.name == "everything_nightly" and e.hour == frozenset({2}) for e in entries())


def test_a_cron_entry_for_an_unknown_job_stops_the_start() -> None:
    class BadCron:
        @hookimpl
        def cron_jobs(self) -> list[dict[str, Any]]:
            return [{"name": "x", "job": "bad_cron.missing"}]

    with pytest.raises(PluginLoadError, match="bad_cron"), registered(BadCron(), "bad_cron"):
        pass


@pytest.mark.db
async def test_switch_api(town: Any, session_client: Any) -> None:
    from tests.factories import make_user

    with registered(Everything(), "everything"):
        client = session_client
        county_admin = await client.login(await make_user(town.county, ["admin"]))
        town_admin = await client.login(await make_user(town.town, ["admin"]))
        supervisor = await client.login(town.users["supervisor"])
        body = {"plugin": "everything", "organisation_id": town.town["id"], "enabled": False, "note": "本镇暂不使用"}
        assert (await supervisor.client.put("/api/v1/plugins/switches", json=body, headers=supervisor.headers)).status_code == 403
        # A town's admin cannot reach the county above it.
        up = {**body, "organisation_id": town.county["id"]}
        assert (await town_admin.client.put("/api/v1/plugins/switches", json=up, headers=town_admin.headers)).status_code == 404
        resp = await county_admin.client.put("/api/v1/plugins/switches", json=body, headers=county_admin.headers)
        assert resp.status_code == 200, resp.text
        assert resp.json()["switches"][0]["note"] == "本镇暂不使用"
        listed = {p["name"]: p for p in (await town_admin.get("/api/v1/plugins/switches")).json()}
        assert listed["everything"]["enabled_here"] is False
        assert listed["psych"]["default_enabled"] is False
        again = {**body, "enabled": None}
        assert (await county_admin.client.put("/api/v1/plugins/switches", json=again, headers=county_admin.headers)).json()["enabled_here"] is True
        unknown = {**body, "plugin": "nope"}
        assert (await county_admin.client.put("/api/v1/plugins/switches", json=unknown, headers=county_admin.headers)).status_code == 404


async def test_trace_switch_logs_every_hook_call(everything: Everything, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from core.settings import get_settings

    monkeypatch.setenv("JIEFEN_TRACE_PLUGINS", "1")
    get_settings.cache_clear()
    try:
        with caplog.at_level("INFO", logger="jiefen.plugins"):
            await call_first("dispatch_target", None, case={})
    finally:
        monkeypatch.delenv("JIEFEN_TRACE_PLUGINS")
        get_settings.cache_clear()
    assert "hook dispatch_target -> everything" in caplog.text
