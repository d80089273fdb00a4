"""Demo data for the judicial-confirmation plugin, on top of the demo town (``jiefen seed-demo``):
the county's basic court on the registry for 和平镇 (its tribunal for the town itself), a clerk,
the plugin on for the county, and the windows of a few agreed cases: one waiting for consents,
one applied (the PDF rendered), one accepted and confirmed. Idempotent.

    .venv/bin/jiefen seed-demo && .venv/bin/python -m plugins.judicial_confirm.demo
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from core.auth.service import hash_password
from core.auth.tables import StaffUser
from core.cases.tables import Case
from core.orgs.tables import Organisation
from core.plugins import plugin_actor

PASSWORD = "jiefen-demo"


async def _court(name: str, short: str, parent: dict[str, Any], level: str) -> dict[str, Any]:
    found = await Organisation.select().where((Organisation.name == name) & (Organisation.type_code == "court")).first()
    if found:
        return found
    row = (await Organisation.insert(
        Organisation(name=name, short_name=short, type_code="court", level=level, parent=parent["id"])
    ).returning(*Organisation.all_columns()))[0]
    row["path"] = f"{parent['path']}{row['id']}/"
    await Organisation.update({Organisation.path: row["path"]}).where(Organisation.id == row["id"])
    return row


async def seed(town_name: str = "和平镇") -> str:
    from core.plugins.switches import set_switch
    from plugins.judicial_confirm import registry, services

    town = await Organisation.select().where((Organisation.name == town_name) & (Organisation.type_code == "town")).first()
    if town is None:
        return f"judicial_confirm demo: no town named {town_name}; run `jiefen seed-demo` first"
    if await StaffUser.exists().where(StaffUser.username == "fayuan"):
        return "judicial_confirm demo: already loaded"
    county = await Organisation.select().where(Organisation.id == (town["parent"] or town["id"])).first()
    system = plugin_actor("judicial_confirm")
    await set_switch(system, "judicial_confirm", county["id"], True, "演示")
    court = await _court(f"{county['name']}人民法院", "县法院", county, "county")
    tribunal = await Organisation.select().where(
        (Organisation.type_code == "court") & Organisation.path.like(f"{town['path']}%")
    ).first() or court
    await registry.set_court(system, county["id"], court["id"], "基层人民法院")
    await registry.set_court(system, town["id"], tribunal["id"], "人民法庭受理本镇调解协议的司法确认")
    password = hash_password(PASSWORD)
    clerk_id = (await StaffUser.insert(
        StaffUser(username="fayuan", display_name=f"{tribunal['name']} 书记员", password_hash=password, organisation=tribunal["id"], roles=["court_clerk"])
    ).returning(StaffUser.id))[0]["id"]

    from core.auth.service import actor_for_user

    clerk = await actor_for_user(clerk_id)
    cases = await Case.select().where((Case.state == "agreed") & Case.org_path.like(f"{town['path']}%")).order_by(Case.id, ascending=False).limit(3)
    for n, case in enumerate(cases):
        app = await services.ensure_for_case(case)
        if app is None or app["status"] != "open" or n == 0 or case["assignee"] is None:
            continue
        worker = await actor_for_user(case["assignee"])
        for party in await services.required_parties(case):
            await services.record_consent(worker, app["id"], party["id"], "in_person", "当事人到场确认")
        await services.submit(worker, app["id"])
        if n == 2:
            await services.record_acceptance(clerk, app["id"], f"（{datetime.now().year}）{county['short_name'] or '县'}法民特{app['id']}号")
            await services.record_ruling(clerk, app["id"], "confirmed", note="调解协议不违反法律、行政法规强制性规定")
    return "\n".join([
        "", f"  司法确认 (judicial_confirm) demo login, password {PASSWORD}",
        f"    fayuan       {tribunal['name']} 书记员 [court_clerk]   court page: /admin/plugins/judicial_confirm/court",
    ])


async def _main() -> None:
    from core import db
    from core.plugins import host

    host.boot()
    await db.startup()
    try:
        print(await seed())
    finally:
        await db.shutdown()


if __name__ == "__main__":
    asyncio.run(_main())
