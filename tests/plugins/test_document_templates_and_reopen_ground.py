"""Two hooks the specialist flows needed: ``document_templates`` (a plugin's whole documents
through the core's pipeline) and ``reopen_ground`` (a plugin's reason to reopen an agreed case
that no follow-up found unperformed, e.g. a court refusing to confirm the agreement)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core import hookimpl
from core.cases.tables import CaseEvent
from tests.plugins.conftest import registered, switch

pytestmark = pytest.mark.db


class CourtNote:
    """Issues a one-page note of its own and knows which cases a court sent back."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.sent_back: set[int] = set()

    @hookimpl
    def document_templates(self) -> list[Path]:
        return [self.directory]

    @hookimpl
    def reopen_ground(self, case: dict[str, Any]) -> str | None:
        return "法院不予确认" if case["id"] in self.sent_back else None


def _template(tmp_path: Path) -> Path:
    (tmp_path / "court_note").mkdir()
    (tmp_path / "court_note" / "note.html").write_text(
        '{% extends "documents/base.html" %}{% block title %}告知书{% endblock %}'
        "{% block body %}<p>{{ text }}</p><p>{{ 36000 | yuan_upper }}</p>{% endblock %}",
        encoding="utf-8",
    )
    # A plugin cannot replace the core's frame.
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "base.html").write_text("hijacked", encoding="utf-8")
    return tmp_path


async def test_a_plugin_document_uses_the_core_pipeline(tmp_path: Path) -> None:
    from core.documents import render_html

    with registered(CourtNote(_template(tmp_path)), "court_note"):
        html = render_html("court_note/note", {"committee": {"name": "某某调委会"}, "case_no": "调〔2026〕1号", "text": "<b>请到庭</b>"})
    assert "告知书" in html and "某某调委会" in html and "叁万陆仟元整" in html
    assert "&lt;b&gt;请到庭&lt;/b&gt;" in html and "hijacked" not in html
    with pytest.raises(ValueError):
        render_html("court_note/missing", {"committee": {"name": "x"}, "case_no": "1"})
    with pytest.raises(ValueError):
        render_html("court_note/note", {"text": "no committee"})
    with pytest.raises(ValueError):
        render_html("../etc/passwd", {"committee": {"name": "x"}, "case_no": "1"})


async def test_a_plugin_ground_lets_an_agreed_case_reopen(tmp_path: Path, town: Any, login: Any) -> None:
    from tests.factories import application

    desk = await login(town.users["window"])
    resp = await desk.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True))
    cid = resp.json()["id"]
    await desk.act(cid, "dispatch", mediator_id=town.mediators[0]["id"])
    mediator = await login(town.users["mediator0"])
    await mediator.act(cid, "take")
    await mediator.act(cid, "agree", facts="欠薪。", matters="数额。", terms=[{"obligor": "厂", "obligee": "张三", "what": "付款"}])
    plugin = CourtNote(tmp_path)
    with registered(plugin, "court_note"):
        # No failed follow-up and no ground: the core's refusal stands.
        assert "回访" in (await mediator.act(cid, "reopen", expect=409, reason="法院驳回"))["detail"]
        plugin.sent_back.add(cid)
        # Off for the town: its ground does not count.
        await switch("court_note", town.county, False)
        await mediator.act(cid, "reopen", expect=409, reason="法院驳回")
        await switch("court_note", town.county, True)
        done = await mediator.act(cid, "reopen", reason="法院驳回")
        assert done["event"]["payload"]["ground"] == "法院不予确认"
        assert done["event"]["payload"]["ground_plugin"] == "court_note"
    last = await CaseEvent.select(CaseEvent.name, CaseEvent.to_state).where(CaseEvent.case == cid).order_by(CaseEvent.seq, ascending=False).first()
    assert last == {"name": "reopen", "to_state": "in_mediation"}
