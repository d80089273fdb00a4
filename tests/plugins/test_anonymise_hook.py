"""The ``anonymise_case`` hook: called for every installed plugin inside the case's retention
transaction (on or off for the town), its files removed after the commit; a raise rolls the
case back and the run goes on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core import hookimpl
from core.cases.tables import Case, CaseEvent, Party
from core.privacy import retention
from core.privacy.tables import AnonymisedCase
from tests.factories import application
from tests.plugins.conftest import registered
from tests.privacy.helpers import jobs_long_run

pytestmark = pytest.mark.db


class Scrubber:
    """Keeps a note per case in a file of its own, and deletes it with the case's data."""

    def __init__(self, root: Path, fail_for: int | None = None) -> None:
        self.root, self.fail_for, self.calls = root, fail_for, []

    @hookimpl
    async def anonymise_case(self, case_id: int) -> dict[str, Any]:
        self.calls.append(case_id)
        if case_id == self.fail_for:
            raise RuntimeError("scrubber broke")
        note = self.root / f"{case_id}.txt"
        return {"rows": 1, "files": [str(note)] if note.exists() else []}


async def test_every_plugin_scrubs_its_rows_and_files(town, login, tmp_path):
    desk = await login(town.users["window"])
    ids = []
    for _ in range(2):
        cid = (await desk.post("/api/v1/cases", json=application(town))).json()["id"]
        await desk.act(cid, "reject", reason="不属于受理范围")
        (tmp_path / f"{cid}.txt").write_text("张三的联系方式", encoding="utf-8")
        await jobs_long_run(cid)
        ids.append(cid)
    later = datetime.now(UTC) + timedelta(days=4 * 365)
    plugin = Scrubber(tmp_path, fail_for=ids[0])
    # Never switched on for this town: its rows are scrubbed all the same.
    with registered(plugin, "scrubber"):
        result = await retention.run(town_id=town.town["id"], now=later)
    assert sorted(plugin.calls) == ids
    assert result.anonymised == [ids[1]] and [f["id"] for f in result.failed] == [ids[0]]
    assert "scrubber broke" in result.failed[0]["error"]
    assert not (tmp_path / f"{ids[1]}.txt").exists(), "the file went after the commit"
    assert (tmp_path / f"{ids[0]}.txt").exists(), "the failed case kept everything"
    done = await AnonymisedCase.select().where(AnonymisedCase.case_id == ids[1]).output(load_json=True).first()
    assert done["summary"]["plugins"]["scrubber"] == 1
    assert (await Party.select(Party.name).where(Party.case == ids[0]).first())["name"] == "张三"
    assert not await CaseEvent.exists().where((CaseEvent.case == ids[0]) & (CaseEvent.name == "anonymised"))
    assert (await Case.select(Case.description).where(Case.id == ids[0]).first())["description"] == "工厂拖欠三个月工资"
