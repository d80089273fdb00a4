"""The demo data: ``seed_demo(orgs)`` turns the plugin on and leaves referrals in every stage."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from plugins.psych.demo import seed_demo
from plugins.psych.tables import Counsellor, Referral
from tests.plugins_psych.conftest import case_in_mediation

pytestmark = [pytest.mark.db, pytest.mark.plugin_psych]


async def test_seed_demo(town: Any, api: Any) -> None:
    cases = [(await case_in_mediation(api, town, dispute_type=t))[0]["id"] for t in ("marriage_family", "neighbour", "debt")]
    suffix = f"_{uuid.uuid4().hex[:6]}"
    logins = await seed_demo({"county": town.county, "town": town.town}, suffix=suffix)
    assert [line.split()[0] for line in logins] == [f"counsellor{suffix}", f"counsellor2{suffix}", f"station_lead{suffix}"]
    refs = await Referral.select(Referral.case_id, Referral.status, Referral.grade).where(Referral.case_id.is_in(cases)).order_by(Referral.id)
    assert [(r["status"], r["grade"]) for r in refs] == [("ended", "green"), ("open", "yellow"), ("open", "red")]
    assert await Counsellor.count().where(Counsellor.station_path.like(town.town["path"] + "%")) == 3
    # The red case shows the banner to its mediator; a second run changes nothing.
    mediator = await api.login(town.mediators[0]["user"])
    panel = (await mediator.get(f"/admin/plugins/psych/cases/{refs[2]['case_id']}/panel")).text
    assert "红色预警" in panel
    assert await seed_demo({"county": town.county, "town": town.town}, suffix=suffix) == logins
    assert await Referral.count().where(Referral.case_id.is_in(cases)) == 3
