"""Demo data for the demo town: the county's legal-aid centre and its staff, screenings with
each kind of result, and handoffs at each stage (a collective wage case with a lawyer and a
payment order, one waiting for the centre), made through the plugin's own services.

Call it from ``core.demo.seed_demo`` after the cases exist::

    from plugins.legal_aid.demo import seed_demo as seed_legal_aid
    lines = await seed_legal_aid(orgs)   # orgs: the demo's {"county", "town", …} rows

It turns the plugin on for ``orgs["town"]`` and the centre, and returns the logins it made.
It renders a few PDFs (WeasyPrint), so it takes some seconds. A second run does nothing.
"""

from __future__ import annotations

from typing import Any

DEMO_PASSWORD = "jiefen-demo"
USERS = [("legal_aid", "法律援助中心 周律", ["legal_aid_staff"])]
WORKERS = [
    {"name": "黄小兵", "id_number": "522401199503041234", "phone": "13800769001", "claim_amount": "8600"},
    {"name": "吴海燕", "id_number": "522401199711052345", "phone": "13800769002", "claim_amount": "7900"},
    {"name": "冯建军", "id_number": "430521199001013456", "phone": "13800769003", "claim_amount": "9200"},
]
EXEMPT = {"matter": "labour_pay", "exempt_category": "migrant_worker_wages"}


def _logins(suffix: str) -> list[str]:
    return [f"    {u + suffix:<12} {n}  [{', '.join(r)}]" for u, n, r in USERS]


async def seed_demo(orgs: dict[str, dict[str, Any]], *, password: str = DEMO_PASSWORD, suffix: str = "") -> list[str]:
    """``suffix`` is appended to the usernames (tests seed more than one town)."""
    from core.actors import SYSTEM
    from core.auth.service import actor_for_user, hash_password
    from core.auth.tables import StaffUser
    from core.cases.service import get_case
    from core.cases.tables import Case, Party
    from core.orgs.tables import Organisation
    from core.plugins.switches import set_switch
    from plugins.legal_aid import services

    county, town = orgs["county"], orgs["town"]
    if await Organisation.exists().where((Organisation.parent == county["id"]) & (Organisation.type_code == "legal_aid_centre")):
        return _logins(suffix)
    centre = (await Organisation.insert(
        Organisation(name=f"{county['name']}法律援助中心", short_name="县法援中心", type_code="legal_aid_centre", level="county", parent=county["id"],
                     phone="0769-12348", address="清河县公共法律服务中心一楼")
    ).returning(*Organisation.all_columns()))[0]
    centre["path"] = f"{county['path']}{centre['id']}/"
    await Organisation.update({Organisation.path: centre["path"]}).where(Organisation.id == centre["id"])
    await set_switch(SYSTEM, "legal_aid", town["id"], True, "演示:和平镇启用法律援助转交")
    await set_switch(SYSTEM, "legal_aid", centre["id"], True, "演示:县法律援助中心接收转交")
    hashed = hash_password(password)
    staff_id = 0
    for username, name, roles in USERS:
        staff_id = (await StaffUser.insert(
            StaffUser(username=username + suffix, display_name=name, password_hash=hashed, organisation=centre["id"], roles=roles)
        ).returning(StaffUser.id))[0]["id"]
    staff = await actor_for_user(staff_id)
    assert staff is not None

    labour = await Case.select(Case.id, Case.assignee, Case.is_collective).where(
        (Case.org == town["id"]) & Case.state.is_in(["in_mediation", "failed"]) & (Case.dispute_type == "labour") & Case.assignee.is_not_null()
    ).order_by(Case.id).limit(10)
    labour.sort(key=lambda c: not c["is_collective"])  # a collective case first, if the demo has one
    for n, row in enumerate(labour[:3]):
        worker = await actor_for_user(row["assignee"])
        party = await Party.select(Party.id).where((Party.case == row["id"]) & (Party.role == "applicant")).first()
        if worker is None or party is None:
            continue
        case = await get_case(row["id"], worker)
        if n == 0:
            # A wage claim for the representative and three named workers: exempt, handed over,
            # accepted, a lawyer assigned, a payment order applied for.
            screened = await services.screen(case, worker, [{"party_id": party["id"], "claim_amount": "9000"}, *WORKERS], EXEMPT)
            handoff = await services.hand_off(case, worker, centre_id=centre["id"], screening_ids=[s["id"] for s in screened],
                                              note="群体性讨薪案件,请尽快指派律师。")
            await services.accept(handoff["id"], staff)
            await services.assign_lawyer(handoff["id"], staff, name="陈卫东", phone="13902690001", firm="清河县正平律师事务所")
            await services.report_route(handoff["id"], staff, "payment_order")
        elif n == 1:
            # Not a migrant worker and above the local line: not eligible, with the reason.
            await services.screen(case, worker, [{"party_id": party["id"]}],
                                  {"matter": "labour_pay", "household_size": 3, "household_monthly_income": "12600"})
        else:
            # Means-tested and eligible, waiting for the centre's decision.
            screened = await services.screen(case, worker, [{"party_id": party["id"], "claim_amount": "6800"}],
                                             {"matter": "labour_pay", "household_size": 4, "household_monthly_income": "5200"})
            await services.hand_off(case, worker, centre_id=centre["id"], screening_ids=[screened[0]["id"]])
    return _logins(suffix)
