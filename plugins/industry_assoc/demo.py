"""Demo data for the industry-association plugin, on top of the demo town (``jiefen seed-demo``):
two associations beside 和平镇 (textiles, property management) with their staff and mediators,
the plugin on for the county, and a few cases transferred (one waiting, one accepted, one
declined). Idempotent: a second run does nothing.

    .venv/bin/jiefen seed-demo && .venv/bin/python -m plugins.industry_assoc.demo
"""

from __future__ import annotations

import asyncio
from typing import Any

from core.auth.service import actor_for_user, hash_password
from core.auth.tables import StaffUser
from core.cases.tables import Case
from core.orgs.tables import Organisation
from core.plugins import plugin_actor
from core.roster.tables import Mediator

PASSWORD = "jiefen-demo"
ASSOCIATIONS = [
    # name, short, staff username, mediator username, types
    ("和平镇毛纺织行业协会", "毛纺协会", "maofang", "maofang_tj", ["debt", "consumer", "labour"]),
    ("和平镇物业管理行业协会", "物管协会", "wuguan", "wuguan_tj", ["property_management"]),
]


async def _org(name: str, short: str, parent: dict[str, Any]) -> dict[str, Any]:
    row = (await Organisation.insert(
        Organisation(name=name, short_name=short, type_code="association", level=parent["level"], parent=parent["id"])
    ).returning(*Organisation.all_columns()))[0]
    row["path"] = f"{parent['path']}{row['id']}/"
    await Organisation.update({Organisation.path: row["path"]}).where(Organisation.id == row["id"])
    return row


async def seed(town_name: str = "和平镇") -> str:
    from core.plugins.switches import set_switch
    from plugins.industry_assoc import registry, services

    town = await Organisation.select().where((Organisation.name == town_name) & (Organisation.type_code == "town")).first()
    if town is None:
        return f"industry_assoc demo: no town named {town_name}; run `jiefen seed-demo` first"
    if await StaffUser.exists().where(StaffUser.username == ASSOCIATIONS[0][2]):
        return "industry_assoc demo: already loaded"
    system = plugin_actor("industry_assoc")
    await set_switch(system, "industry_assoc", town["parent"] or town["id"], True, "演示")
    password = hash_password(PASSWORD)
    registered = []
    for name, short, staff_name, mediator_name, types in ASSOCIATIONS:
        org = await _org(name, short, town)
        await StaffUser.insert(
            StaffUser(username=staff_name, display_name=f"{short} 秘书长", password_hash=password, organisation=org["id"], roles=["association_staff"])
        )
        uid = (await StaffUser.insert(
            StaffUser(username=mediator_name, display_name=f"{short} 调解员", password_hash=password, organisation=org["id"], roles=["mediator"])
        ).returning(StaffUser.id))[0]["id"]
        await Mediator.insert(Mediator(user=uid, name=f"{short}调解员", organisation=org["id"], specialties=types, grade=2, bio="熟悉行业惯例的资深会员。"))
        registered.append(await registry.register(system, org["id"], [(t, town["id"]) for t in types], contact="0769-8888 0000"))

    # Three cases in mediation that the textile association takes: waiting, accepted, declined.
    textile = registered[0]
    cases = await Case.select().where(
        (Case.state == "in_mediation") & Case.dispute_type.is_in(ASSOCIATIONS[0][4]) & Case.org_path.like(f"{town['path']}%")
        & Case.assignee.is_not_null()
    ).order_by(Case.id).limit(3)
    staff = await StaffUser.select(StaffUser.id).where(StaffUser.username == ASSOCIATIONS[0][2]).first()
    staff_actor = await actor_for_user(staff["id"])
    for n, case in enumerate(cases):
        worker = await actor_for_user(case["assignee"])
        if worker is None or not services.may_transfer(case, worker):
            continue
        transfer = await services.transfer(case, worker, textile["id"], "涉毛织行业经营纠纷,转协会调解")
        if n == 1:
            await services.accept(staff_actor, transfer["id"], textile["mediators"][0]["id"], "本会调解员承办")
        elif n == 2:
            await services.decline(staff_actor, transfer["id"], "双方均非本会会员,建议由镇调委会调解")
    lines = ["", "  行业协会调解 (industry_assoc) demo logins, password " + PASSWORD]
    lines += [f"    {a[2]:<12} {a[0]} 工作人员 [association_staff]    {a[3]:<12} 调解员 [mediator]" for a in ASSOCIATIONS]
    lines.append("  Inbox: /admin/plugins/industry_assoc/inbox   Stats: /admin/plugins/industry_assoc/stats")
    return "\n".join(lines)


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
