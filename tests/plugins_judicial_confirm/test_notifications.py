"""Whoever applied (and the case's handler) hears when the court asks for material, confirms
the agreement or rejects the application: one inbox message each, in their language; the
court's clerk is not told of their own acts."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth.tables import StaffUser
from core.notifications.tables import Notification
from tests.plugins_judicial_confirm.conftest import (
    API,
    CourtTown,
    agreed_case,
    consent_all,
    run_jobs,
)

pytestmark = [pytest.mark.db, pytest.mark.plugin_judicial_confirm]
NUMBER = "（2026）粤1972民特123号"


async def _inbox(user_id: int) -> list[dict[str, Any]]:
    rows = await Notification.select(Notification.kind, Notification.subject, Notification.body).where(
        Notification.recipient == user_id
    ).order_by(Notification.id)
    return [r for r in rows if r["kind"].startswith("judicial_confirm")]


async def _accepted(court: CourtTown, login: Any) -> tuple[int, Any, int, Any]:
    cid, mediator = await agreed_case(court.town, login)
    app = (await mediator.get(f"{API}/cases/{cid}")).json()["application"]
    app = await consent_all(mediator, app)
    assert (await mediator.post(f"{API}/applications/{app['id']}/submit")).status_code == 200
    clerk = await login(court.clerk)
    assert (await clerk.post(f"{API}/applications/{app['id']}/acceptance", json={"court_case_number": NUMBER})).status_code == 200
    return cid, mediator, app["id"], clerk


async def test_material_request_and_confirmation(court: CourtTown, login: Any) -> None:
    cid, mediator, app_id, clerk = await _accepted(court, login)
    me = court.town.mediators[0]["user"]["id"]
    asked = await clerk.post(f"{API}/applications/{app_id}/material-request", json={"kind": "property"})
    assert asked.status_code == 200, asked.text
    assert (await mediator.post(f"{API}/applications/{app_id}/material-request", json={"kind": "property"})).status_code == 404
    assert (await clerk.post(f"{API}/applications/{app_id}/material-request", json={"kind": "nonsense"})).status_code == 400
    await run_jobs()
    await run_jobs()  # a second run tells nobody again
    [request] = await _inbox(me)
    number = (await mediator.get(f"/api/v1/cases/{cid}")).json()["number"]
    assert request["kind"] == "judicial_confirm_material_requested" and request["subject"] == "法院要求补充材料"
    assert number in request["body"] and "财产权利证明" in request["body"]

    assert (await clerk.post(f"{API}/applications/{app_id}/ruling", json={"ruling": "confirmed"})).status_code == 200
    await run_jobs()
    assert [n["kind"] for n in await _inbox(me)] == ["judicial_confirm_material_requested", "judicial_confirm_confirmed"]
    assert NUMBER in (await _inbox(me))[-1]["body"]
    assert await _inbox(court.clerk["id"]) == []


async def test_rejection_in_english(court: CourtTown, login: Any) -> None:
    me = court.town.mediators[0]["user"]["id"]
    await StaffUser.update({StaffUser.locale: "en"}).where(StaffUser.id == me)
    cid, mediator, app_id, clerk = await _accepted(court, login)
    rejected = await clerk.post(f"{API}/applications/{app_id}/ruling", json={"ruling": "rejected", "next_step": "sue"})
    assert rejected.status_code == 200, rejected.text
    await run_jobs()
    [told] = await _inbox(me)
    assert told["kind"] == "judicial_confirm_rejected" and told["subject"] == "Court did not confirm the agreement"
    assert told["body"].endswith("the parties were told they may sue.")
