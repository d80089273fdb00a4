"""The demo town: a fictional county and town with villages, departments, a committee,
30 mediators and a few hundred cases spread over every state, made through the real
lifecycle so every timeline is genuine."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from core.actors import Actor
from core.auth.service import actor_for_user, hash_password
from core.auth.tables import StaffUser
from core.cases import schemas as s
from core.cases.lifecycle import transition
from core.cases.service import create_case
from core.cases.tables import DispatchRule
from core.clock import backdated
from core.orgs.tables import Organisation
from core.roster.tables import Mediator

DEMO_PASSWORD = "jiefen-demo"
DEMO_USERS = [
    # username, name, org key, roles
    ("admin", "系统管理员", "county", ["admin", "supervisor"]),
    ("county_lead", "县综治中心主任", "county", ["supervisor"]),
    ("window", "窗口 王晓敏", "town", ["window_staff"]),
    ("lead", "镇分管领导 李建国", "town", ["supervisor"]),
    ("renshe", "人社分局 张强", "dept_labour", ["handler"]),
    ("zhujian", "住建所 陈立", "dept_housing", ["handler"]),
    ("grid", "网格员 刘芳", "village0", ["grid_worker"]),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "华", "建华", "桂英", "志强", "海燕", "玉兰"]
TYPES = [("labour", 30), ("neighbour", 18), ("marriage_family", 12), ("property_management", 9), ("land_lease", 7), ("traffic", 6), ("consumer", 6), ("debt", 6), ("construction", 3), ("environment", 2), ("demolition", 1)]
CHANNELS = [("walk_in", 30), ("phone", 12), ("hotline_12345", 15), ("grid", 18), ("online", 15), ("police_110", 5), ("photo_report", 5)]
DESCRIPTIONS = {
    "labour": "申请人在被申请人工厂务工,被拖欠工资{n}个月,多次催讨未果。",
    "neighbour": "双方因宅基地边界及排水沟问题发生争执,已多次口角。",
    "marriage_family": "夫妻双方因子女抚养及家庭财产分配产生矛盾。",
    "property_management": "业主以服务质量差为由拒交物业费,物业公司要求补缴。",
    "land_lease": "土地承包合同到期后双方对续租价格及地上附着物补偿有分歧。",
    "traffic": "电动车与小轿车发生剐蹭,双方对责任划分及赔偿金额有争议。",
    "consumer": "消费者购买的家电出现质量问题,商家拒绝退换。",
    "debt": "申请人借款给被申请人,约定期限届满后对方未归还。",
    "construction": "包工头与工程方因工程款结算发生纠纷。",
    "environment": "工厂夜间机器噪音扰民,周边居民多次投诉。",
    "demolition": "村民对征地补偿标准有异议。",
}


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng: random.Random) -> str:
    return "1" + rng.choice("3578") + "".join(rng.choice("0123456789") for _ in range(9))


async def _org(name: str, type_code: str, level: str, parent: dict[str, Any] | None, short: str = "") -> dict[str, Any]:
    row = (await Organisation.insert(
        Organisation(name=name, short_name=short or name, type_code=type_code, level=level, parent=parent["id"] if parent else None)
    ).returning(*Organisation.all_columns()))[0]
    row["path"] = (parent["path"] if parent else "/") + f"{row['id']}/"
    await Organisation.update({Organisation.path: row["path"]}).where(Organisation.id == row["id"])
    return row


async def seed_demo(cases: int = 300, force: bool = False, seed: int = 20261123, days: float | None = None) -> str:
    if await StaffUser.exists().where(StaffUser.username == "admin") and not force:
        return demo_logins(already=True)
    rng = random.Random(seed)
    orgs: dict[str, dict[str, Any]] = {}
    orgs["county"] = await _org("清河县", "county", "county", None, "清河")
    orgs["town"] = await _org("和平镇", "town", "town", orgs["county"], "和平")
    orgs["town2"] = await _org("安宁街道", "town", "town", orgs["county"], "安宁")
    for i, name in enumerate(["东湖村", "西岭村", "南山社区", "北塘村", "柳营村", "新民社区"]):
        orgs[f"village{i}"] = await _org(name, "village", "village", orgs["town"])
    orgs["committee"] = await _org("和平镇人民调解委员会", "committee", "town", orgs["town"], "和平调委会")
    orgs["county_committee"] = await _org("清河县人民调解委员会", "committee", "county", orgs["county"])
    orgs["dept_labour"] = await _org("和平镇人社分局", "department", "town", orgs["town"])
    orgs["dept_housing"] = await _org("和平镇住建所", "department", "town", orgs["town"])
    orgs["police"] = await _org("和平派出所", "department", "town", orgs["town"])
    orgs["tribunal"] = await _org("和平人民法庭", "court", "town", orgs["town"])

    password = hash_password(DEMO_PASSWORD)
    users: dict[str, int] = {}
    for username, name, org_key, roles in DEMO_USERS:
        users[username] = (await StaffUser.insert(
            StaffUser(username=username, display_name=name, password_hash=password, organisation=orgs[org_key]["id"], roles=roles)
        ).returning(StaffUser.id))[0]["id"]

    mediator_users: list[int] = []
    specialties_pool = [t for t, _ in TYPES]
    for i in range(30):
        org = orgs["committee"] if i < 14 else orgs[f"village{i % 6}"] if i < 26 else orgs["county_committee"]
        username = "mediator" if i == 0 else f"mediator{i:02d}"
        name = "调解员 赵文静" if i == 0 else _name(rng)
        uid = (await StaffUser.insert(
            StaffUser(username=username, display_name=name, password_hash=password, organisation=org["id"], roles=["mediator"], phone=_phone(rng))
        ).returning(StaffUser.id))[0]["id"]
        mediator_users.append(uid)
        await Mediator.insert(
            Mediator(
                user=uid, name=name, phone=_phone(rng), organisation=org["id"],
                specialties=(["labour", "debt"] if i == 0 else rng.sample(specialties_pool, 2)),
                grade=1 if i in (0, 26) else rng.choice([2, 3, 3, 4]), max_open_cases=rng.choice([10, 15, 20]),
                rating=round(rng.uniform(4.0, 5.0), 1), rating_count=rng.randint(3, 80),
                is_expert=i in (5, 12, 27), expert_field={5: "医疗", 12: "金融", 27: "征地拆迁"}.get(i, ""),
                bio="从事人民调解工作多年,熟悉相关法律法规。",
            )
        )
    await DispatchRule.insert(
        DispatchRule(owner=orgs["town"]["id"], dispute_type="labour", target=orgs["dept_labour"]["id"], to_pool=True, priority=10),
        DispatchRule(owner=orgs["town"]["id"], dispute_type="property_management", target=orgs["dept_housing"]["id"], to_pool=True, priority=10),
        DispatchRule(owner=orgs["town"]["id"], target=orgs["committee"]["id"], place=orgs["town"]["id"], to_pool=True, priority=50),
    )

    desk = await actor_for_user(users["window"])
    assert desk is not None
    committee_mediators = [u for u, i in zip(mediator_users, range(30), strict=True) if i < 14]
    from core.db import write_transaction

    # Submissions spread evenly (with jitter) over the last SPREAD_DAYS, oldest first, so case
    # numbers follow submission order and the dashboard's charts show weeks, not one spike.
    # Times come from their own generator: the states the cases reach stay as they were.
    times = random.Random(seed + 1)
    now = datetime.now(UTC)
    spread = timedelta(days=SPREAD_DAYS if days is None else days)
    start = now - spread
    for n in range(cases):
        submitted = start + spread * ((n + times.random()) / max(cases, 1))
        # One transaction per case: on SQLite that is one connection instead of dozens.
        async with write_transaction():
            await _one_case(rng, n, orgs, desk, users, committee_mediators, _Steps(submitted, now, times))
    extra = await _seed_plugins(orgs)
    extra += await _signing_keys(orgs)
    return demo_logins() + ("\n" + "\n".join(f"    {line}" for line in extra) if extra else "")


SPREAD_DAYS = 60


class _Steps:
    """The moments of one case's steps: from its submission on, each a little after the one
    before, never past the real now (a recent case's later steps all happen "now")."""

    def __init__(self, submitted: datetime, now: datetime, rng: random.Random) -> None:
        self.at = min(submitted, now)
        self.now = now
        self.rng = rng

    def after(self, low_minutes: float, high_minutes: float) -> Any:
        self.at = min(self.at + timedelta(minutes=self.rng.uniform(low_minutes, high_minutes)), self.now)
        return backdated(self.at)


async def _signing_keys(orgs: dict[str, Any]) -> list[str]:
    """Development signing keys for the demo's agreement-issuing bodies (committees, and the
    plugins' associations), as ``jiefen keys create --committee ID`` makes them, so receipts,
    records and agreements come out signed in ``make run``. Existing keys are kept."""
    import asyncio

    from core.agreements.keys import create_for
    from core.orgs.tables import OrganisationType

    issuing = [r["code"] for r in await OrganisationType.select(OrganisationType.code).where(OrganisationType.issues_agreements == True)]  # noqa: E712
    bodies = await Organisation.select(Organisation.id, Organisation.name, Organisation.path).where(
        Organisation.path.like(orgs["county"]["path"] + "%") & Organisation.type_code.is_in(issuing or ["-"])
    ).order_by(Organisation.id)
    for body in bodies:
        await asyncio.to_thread(create_for, body)
    names = "、".join(b["name"] for b in bodies)
    return [f"  签章密钥 Signing keys (development only): {names}"] if bodies else []


async def _seed_plugins(orgs: dict[str, Any]) -> list[str]:
    """Each bundled plugin seeds its own demo data (and switches itself on for the demo town)."""
    import importlib
    import logging

    lines: list[str] = []
    for name in ("psych", "legal_aid", "industry_assoc", "judicial_confirm"):
        try:
            module = importlib.import_module(f"plugins.{name}.demo")
        except ModuleNotFoundError:
            continue
        try:
            if hasattr(module, "seed_demo"):
                lines += list(await module.seed_demo(orgs) or [])
            else:
                lines += [line for line in str(await module.seed(orgs["town"]["name"]) or "").splitlines() if line.strip()]
        except Exception:  # a plugin's demo must never stop the town from loading
            logging.getLogger("jiefen.demo").exception("demo data of plugin %s failed", name)
    return lines


async def _one_case(
    rng: random.Random, n: int, orgs: dict[str, Any], desk: Actor, users: dict[str, int], mediators: list[int], at: _Steps,
) -> None:
    dtype = _weighted(rng, TYPES)
    village = orgs[f"village{rng.randrange(6)}"]
    collective = dtype == "labour" and rng.random() < 0.1
    parties = [
        s.PartyIn(name=_name(rng), role="applicant", phone=_phone(rng), id_number=f"4419{rng.randint(10**13, 10**14 - 1)}",
                  is_representative=collective, represented_count=rng.randint(10, 130) if collective else 1),
        s.PartyIn(name=_name(rng) if dtype != "labour" else f"和平{rng.choice(['制衣厂', '五金厂', '电子厂', '建材公司'])}", role="respondent",
                  kind="company" if dtype == "labour" else "person", phone=_phone(rng)),
    ]
    data = s.CaseIn(
        channel=_weighted(rng, CHANNELS), dispute_type=dtype, description=DESCRIPTIONS[dtype].format(n=rng.randint(2, 6)),
        parties=parties, place_id=village["id"], risk_level=rng.choices(["low", "medium", "high"], weights=[60, 30, 10])[0],
        amount=rng.choice([None, rng.randint(2, 400) * 500]),
    )
    with backdated(at.at):
        created = await create_case(data, desk, org_id=orgs["town"]["id"])
    cid = created["id"]
    # How far along this case goes: a spread over every state.
    stage = rng.choices(range(9), weights=[6, 6, 3, 8, 22, 12, 28, 8, 7])[0]
    if stage == 0:
        return
    if stage == 1 and rng.random() < 0.3:
        with at.after(20, 600):
            await transition(cid, "reject", desk, {"reason": "不属于人民调解受理范围,已告知当事人向有关部门反映。"})
        return
    with at.after(10, 240):
        await transition(cid, "accept", desk, {"rights_notified": True, "consent": True})
    if stage == 1:
        return
    mediator_uid = rng.choice(mediators)
    mediator_row = await Mediator.select(Mediator.id).where(Mediator.user == mediator_uid).first()
    try:
        with at.after(10, 1440):
            await transition(cid, "dispatch", desk, {"mediator_id": mediator_row["id"]})
    except Exception:
        return
    if stage == 2:
        return
    worker = await actor_for_user(mediator_uid)
    assert worker is not None
    with at.after(10, 1440):
        await transition(cid, "take", worker, {})
    with at.after(30, 2880):
        await transition(cid, "first_contact", worker, {"method": "phone", "result": "已电话联系双方当事人"})
    if stage == 3:
        return
    with at.after(60, 2880):
        # The session a few days after it is scheduled (for a recent case: in the coming days).
        when = at.at + timedelta(days=rng.randint(1, 7))
        ev = await transition(cid, "schedule_session", worker, {"scheduled_at": when.isoformat(), "place": "和平镇矛盾纠纷调处中心调解室", "mode": rng.choice(["in_person", "in_person", "video"])})
    if stage == 4:
        return
    at.at = min(max(at.at, when), at.now)
    with at.after(60, 180):
        await transition(cid, "record_session", worker, {"session_id": ev["payload"]["session_id"], "record": "双方陈述了各自意见,调解员释法明理。"})
    if stage == 5:
        if rng.random() < 0.5:
            with at.after(60, 4320):
                await transition(cid, "withdraw", desk, {"reason": "申请人撤回调解申请"})
        return
    if stage == 7:
        with at.after(30, 1440):
            await transition(cid, "fail", worker, {"advice": rng.choice(["arbitration", "litigation"]), "detail": "告知当事人可申请劳动仲裁或向人民法院起诉。"})
        if rng.random() < 0.5:
            with at.after(60, 2880):
                await transition(cid, "close", worker, {})
        return
    with at.after(30, 1440):
        await transition(cid, "agree", worker, {
            "facts": DESCRIPTIONS[dtype].format(n=3), "matters": "赔偿数额及履行期限",
            "terms": [{"obligor": parties[1].name, "obligee": parties[0].name, "what": "一次性支付款项", "amount": str(data.amount or 3000), "how": "银行转账", "due_date": (at.at + timedelta(days=15)).date().isoformat()}],
        })
    if stage == 6:
        return
    with at.after(15 * 1440, 20 * 1440):
        await transition(cid, "follow_up", worker, {"method": "phone", "performed": True, "rating": rng.choice([4, 5, 5])})
    with at.after(10, 240):
        await transition(cid, "close", worker, {})


def demo_logins(already: bool = False) -> str:
    lines = ["", "  演示账号 Demo logins (password / 密码: " + DEMO_PASSWORD + ")"]
    for username, name, _, roles in DEMO_USERS:
        lines.append(f"    {username:<12} {name}  [{', '.join(roles)}]")
    lines.append(f"    {'mediator':<12} 调解员 赵文静  [mediator]")
    lines.append("  http://127.0.0.1:8000/admin/   API: http://127.0.0.1:8000/schema")
    if already:
        lines.insert(1, "  (demo town already loaded)")
    return "\n".join(lines)
