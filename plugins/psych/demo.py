"""Demo data for the demo town: a counselling station with its pool, and a few referrals in
every stage, made through the plugin's own services so every timeline is genuine.

Call it from ``core.demo.seed_demo`` after the cases exist::

    from plugins.psych.demo import seed_demo as seed_psych
    lines = await seed_psych(orgs)   # orgs: the demo's {"county", "town", …} rows

It turns the plugin on for ``orgs["town"]`` and returns the logins it made (one per line).
Running it twice does nothing the second time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

DEMO_PASSWORD = "jiefen-demo"
USERS = [
    # username, name, roles, specialties (None: not a counsellor)
    ("counsellor", "心理咨询师 林静", ["counsellor"], ["marriage_family", "youth"]),
    ("counsellor2", "心理咨询师 郑宇", ["counsellor"], ["crisis"]),
    ("station_lead", "心灵驿站站长 何梅", ["supervisor"], None),
]


def _logins(suffix: str) -> list[str]:
    return [f"    {u + suffix:<12} {n}  [{', '.join(r)}]" for u, n, r, _ in USERS]


async def seed_demo(orgs: dict[str, dict[str, Any]], *, password: str = DEMO_PASSWORD, suffix: str = "") -> list[str]:
    """``suffix`` is appended to the usernames (tests seed more than one town)."""
    from core.actors import SYSTEM
    from core.auth.service import actor_for_user, hash_password
    from core.auth.tables import StaffUser
    from core.cases.tables import Case, Party
    from core.orgs.tables import Organisation
    from core.plugins.switches import set_switch
    from plugins.psych import services

    town = orgs["town"]
    if await Organisation.exists().where((Organisation.parent == town["id"]) & (Organisation.type_code == "counselling_station")):
        return _logins(suffix)
    station = (await Organisation.insert(
        Organisation(name=f"{town['name']}心灵驿站", short_name="心灵驿站", type_code="counselling_station", level="town", parent=town["id"],
                     phone="0769-22880000", address="和平镇综治中心二楼")
    ).returning(*Organisation.all_columns()))[0]
    station["path"] = f"{town['path']}{station['id']}/"
    await Organisation.update({Organisation.path: station["path"]}).where(Organisation.id == station["id"])
    await set_switch(SYSTEM, "psych", town["id"], True, "演示:和平镇启用心理咨询转介")

    hashed = hash_password(password)
    users: dict[str, int] = {}
    for username, name, roles, _ in USERS:
        users[username] = (await StaffUser.insert(
            StaffUser(username=username + suffix, display_name=name, password_hash=hashed, organisation=station["id"], roles=roles)
        ).returning(StaffUser.id))[0]["id"]
    pool: dict[str, int] = {}
    for i, (username, name, _, specialties) in enumerate(USERS):
        if specialties is not None:
            row = await services.add_counsellor(SYSTEM, station["id"], name.split()[-1], phone=f"1370769{i:04d}", specialties=specialties, user_id=users[username])
            pool[username] = row["id"]
    await services.add_counsellor(SYSTEM, station["id"], "外聘咨询师 曹敏", phone="13707690099", specialties=["marriage_family"], max_load=3)

    # Three cases in mediation: a green referral already ended, a yellow one in counselling, a
    # red one (the crisis alert fires, the case shows the banner and cannot close).
    cases = await Case.select(Case.id, Case.assignee, Case.dispute_type).where(
        (Case.org == town["id"]) & (Case.state == "in_mediation") & Case.assignee.is_not_null()
    ).order_by(Case.id).limit(12)
    cases.sort(key=lambda c: c["dispute_type"] != "marriage_family")
    plans = [
        ("green", "双方多次争吵,申请人情绪焦虑,同意接受心理疏导", pool["counsellor"], "improved"),
        ("yellow", "申请人长期失眠、情绪低落,家属担心其状态", pool["counsellor"], None),
        ("red", "当事人在调解中扬言“不活了”,情绪激动", pool["counsellor2"], None),
    ]
    now = datetime.now(UTC)
    for case_row, (grade, reason, counsellor_id, result) in zip(cases, plans, strict=False):
        worker = await actor_for_user(case_row["assignee"])
        party = await Party.select(Party.id).where((Party.case == case_row["id"]) & (Party.role == "applicant") & (Party.kind == "person")).first()
        if worker is None or party is None:
            continue
        from core.cases.service import get_case

        case = await get_case(case_row["id"], worker)
        ref = await services.refer(case, worker, party_id=party["id"], consent=True, grade=grade, reason=reason,
                                   consent_method="written", consent_note="心理咨询知情同意书已签署", counsellor_id=counsellor_id)
        counsellor = await actor_for_user(users["counsellor2" if grade == "red" else "counsellor"])
        assert counsellor is not None
        await services.record_session(ref["id"], counsellor, held_at=now - timedelta(days=2), mode="in_person", minutes=50,
                                      notes="(演示)首次面谈:建立关系,评估情绪状态,约定下次咨询时间。")
        if result:
            await services.end(ref["id"], counsellor, result=result, note="(演示)情绪明显好转,可继续参加调解。")
        elif grade == "yellow":
            await services.make_follow_ups_due(now + timedelta(days=8))
    return _logins(suffix)
