"""Synthetic data at a province's scale: an organisation tree, staff, and N cases with
parties, hash-chained timelines and deadlines, bulk-loaded for the benchmarks.

    .venv/bin/python bench/generate.py --database-url postgresql://postgres@127.0.0.1:5432/jiefen_bench \
        --cases 1000000 --seed 1 --recreate
    .venv/bin/python bench/generate.py --database-url sqlite:///var/bench.db --cases 100000 --recreate

It migrates first (``core.migrate.migrate``), then loads: PostgreSQL with asyncpg
``copy_records_to_table`` (secondary indexes of the big tables dropped for the load and built
again after, foreign-key triggers off for the loading session), SQLite with ``executemany`` in
big transactions. Every timeline is chained with ``core.cases.timeline.event_hash``, and a
sample is checked with ``verify_chain`` at the end (``jiefen audit verify NUMBER`` agrees).

The shape (see docs/performance.md): ~100 counties → towns → villages, each town with a
committee and three departments; dispute types and channels weighted as a county sees them;
2 parties per case (collective labour cases carry representatives); submissions over three
years, growing; each case walks the lifecycle from its submission and stops where "now" or
its fate stops it, so recent cases are open, old ones mostly closed, and a few stalled ones
are overdue. Bench staff logins: every generated user has the password ``jiefen-bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BENCH_PASSWORD = "jiefen-bench"
YEARS = 3

# Dispute types as a county's figures look: labour 30%, neighbours 18% ...
TYPE_WEIGHTS = [
    ("labour", 30), ("neighbour", 18), ("marriage_family", 12), ("property_management", 8),
    ("debt", 6), ("land_lease", 6), ("traffic", 5), ("consumer", 5), ("construction", 3),
    ("environment", 2), ("demolition", 1.5), ("medical", 1.5), ("minors", 1), ("other", 1),
]
SENSITIVE = {"marriage_family", "medical", "minors"}
TYPE_LABELS = {"labour": "欠薪纠纷", "neighbour": "邻里纠纷", "marriage_family": "婚姻家庭纠纷", "property_management": "物业纠纷",
               "debt": "借贷纠纷", "land_lease": "土地承包纠纷", "traffic": "交通事故纠纷", "consumer": "消费纠纷",
               "construction": "工程款纠纷", "environment": "环境污染纠纷", "demolition": "征地拆迁纠纷",
               "medical": "医疗纠纷", "minors": "涉未成年人纠纷", "other": "其他纠纷"}
CHANNEL_WEIGHTS = [
    ("walk_in", 30), ("grid", 18), ("online", 15), ("hotline_12345", 14), ("phone", 12),
    ("police_110", 5), ("photo_report", 4), ("opinion", 1), ("transfer", 1),
]
RISK_WEIGHTS = [("low", 60), ("medium", 30), ("high", 10)]
# Where a case's life ends (before "now" cuts it short); "stall" stops at a random step for good.
FATE_WEIGHTS = [
    ("closed_agreed", 52), ("closed_failed", 10), ("failed", 3), ("reject", 5), ("withdraw_early", 4),
    ("withdraw_mid", 4), ("referred", 3), ("stall", 3),
]
DESCRIPTIONS = {
    "labour": "申请人在被申请人处务工,被拖欠工资{n}个月,多次催讨未果。",
    "neighbour": "双方因宅基地边界及排水沟问题发生争执,已多次口角。",
    "marriage_family": "夫妻双方因子女抚养及家庭财产分配产生矛盾。",
    "property_management": "业主以服务质量差为由拒交物业费,物业公司要求补缴{n}年费用。",
    "debt": "申请人借款给被申请人,约定期限届满后对方未归还。",
    "land_lease": "土地承包合同到期后双方对续租价格及地上附着物补偿有分歧。",
    "traffic": "电动车与小轿车发生剐蹭,双方对责任划分及赔偿金额有争议。",
    "consumer": "消费者购买的家电出现质量问题,商家拒绝退换。",
    "construction": "包工头与工程方因工程款结算发生纠纷。",
    "environment": "工厂夜间机器噪音扰民,周边居民多次投诉。",
    "demolition": "村民对征地补偿标准有异议。",
    "medical": "患者家属认为医院诊疗存在过错,要求赔偿。",
    "minors": "学生在校内受伤,家长与学校对责任承担有争议。",
    "other": "双方因日常琐事产生纠纷。",
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华建桂志海燕玉兰红梅平刚辉鹏波斌宇浩凯丹萍琳婷雪晨欣然子轩梓涵一诺"
PLACE_CHARS = "清河和平安宁东湖西岭南山北塘柳营新民长乐永丰太平宝石金沙桃源青松白云龙泉凤凰石桥杨柳梅花荷塘双溪三江五里高坪大坝"
COMPANY = ["制衣厂", "五金厂", "电子厂", "建材公司", "物业服务有限公司", "食品厂", "运输公司", "家具厂"]


# ---------------------------------------------------------------- the organisation tree


@dataclass
class Village:
    id: int
    path: str
    name: str
    staff: int  # the village's mediator / grid worker (a staff user id)


@dataclass
class Town:
    id: int
    path: str
    name: str
    county: County
    committee: int = 0
    committee_path: str = ""
    depts: list[tuple[int, str, int]] = field(default_factory=list)  # (org id, path, handler user)
    window: int = 0
    supervisor: int = 0
    mediators: list[tuple[int, int]] = field(default_factory=list)  # (user id, mediator id)
    villages: list[Village] = field(default_factory=list)


@dataclass
class County:
    id: int
    path: str
    name: str
    committee: int = 0
    committee_path: str = ""
    supervisor: int = 0
    window: int = 0
    towns: list[Town] = field(default_factory=list)


@dataclass
class Tree:
    counties: list[County]
    orgs: list[tuple[Any, ...]]  # (id, name, short_name, type_code, parent, path, level)
    users: list[tuple[Any, ...]]  # (id, username, display_name, organisation, roles json)
    mediators: list[tuple[Any, ...]]  # (id, user, name, organisation, specialties json, grade)
    villages: list[Village]
    village_town: dict[int, Town]
    village_weights: list[float]


def _place_name(rng: random.Random) -> str:
    return rng.choice(PLACE_CHARS) + rng.choice(PLACE_CHARS)


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")


def build_tree(n_counties: int, seed: int, org_base: int, user_base: int, mediator_base: int) -> Tree:
    """Counties of very different sizes (a Zipf-like spread), ~8–20 towns each, ~6–25 villages a town."""
    rng = random.Random(f"tree:{seed}")
    orgs: list[tuple[Any, ...]] = []
    users: list[tuple[Any, ...]] = []
    mediators: list[tuple[Any, ...]] = []
    next_org = [org_base]
    next_user = [user_base]
    next_med = [mediator_base]
    types = [t for t, _ in TYPE_WEIGHTS]

    def org(name: str, type_code: str, level: str, parent: tuple[int, str] | None, short: str = "") -> tuple[int, str]:
        oid = next_org[0]
        next_org[0] += 1
        path = (parent[1] if parent else "/") + f"{oid}/"
        orgs.append((oid, name, short or name[:40], type_code, parent[0] if parent else None, path, level))
        return oid, path

    def user(org_id: int, roles: list[str], name: str) -> int:
        uid = next_user[0]
        next_user[0] += 1
        users.append((uid, f"b{uid}", name, org_id, roles))
        return uid

    def mediator(uid: int, org_id: int, name: str) -> int:
        mid = next_med[0]
        next_med[0] += 1
        mediators.append((mid, uid, name, org_id, rng.sample(types[:8], 2), rng.choice([1, 2, 3, 3, 4])))
        return mid

    counties: list[County] = []
    villages: list[Village] = []
    village_town: dict[int, Town] = {}
    weights: list[float] = []
    for c in range(n_counties):
        cname = _place_name(rng) + ("县" if rng.random() < 0.7 else "区")
        cid, cpath = org(cname, "county", "county", None, cname[:2])
        county = County(cid, cpath, cname)
        county.committee, county.committee_path = org(f"{cname}人民调解委员会", "committee", "county", (cid, cpath))
        county.supervisor = user(cid, ["supervisor"], f"{cname}综治中心 {_person(rng)}")
        county.window = user(cid, ["window_staff"], f"{cname}窗口 {_person(rng)}")
        for _ in range(2):
            name = _person(rng)
            mediator(user(county.committee, ["mediator"], name), county.committee, name)
        county_weight = 1.0 / (c + 1) ** 0.5
        n_towns = rng.randint(8, 20)
        town_w = [rng.lognormvariate(0, 0.5) for _ in range(n_towns)]
        town_sum = sum(town_w)
        for t in range(n_towns):
            tname = _place_name(rng) + ("镇" if rng.random() < 0.7 else "街道")
            tid, tpath = org(tname, "town", "town", (cid, cpath), tname[:2])
            town = Town(tid, tpath, tname, county)
            town.committee, town.committee_path = org(f"{tname}人民调解委员会", "committee", "town", (tid, tpath))
            for dname in ("人社分局", "住建所", "派出所"):
                did, dpath = org(f"{tname}{dname}", "department", "town", (tid, tpath))
                town.depts.append((did, dpath, user(did, ["handler"], f"{dname} {_person(rng)}")))
            town.window = user(tid, ["window_staff"], f"窗口 {_person(rng)}")
            town.supervisor = user(tid, ["supervisor"], f"分管领导 {_person(rng)}")
            for _ in range(3):
                name = _person(rng)
                uid = user(town.committee, ["mediator"], name)
                town.mediators.append((uid, mediator(uid, town.committee, name)))
            n_villages = rng.randint(6, 25)
            vill_w = [rng.lognormvariate(0, 0.8) for _ in range(n_villages)]
            vill_sum = sum(vill_w)
            for v in range(n_villages):
                vname = _place_name(rng) + ("村" if rng.random() < 0.75 else "社区")
                vid, vpath = org(vname, "village", "village", (tid, tpath))
                village = Village(vid, vpath, vname, user(vid, ["grid_worker", "mediator"], f"网格员 {_person(rng)}"))
                town.villages.append(village)
                villages.append(village)
                village_town[vid] = town
                weights.append(county_weight * town_w[t] / town_sum * vill_w[v] / vill_sum)
            county.towns.append(town)
        counties.append(county)
    return Tree(counties, orgs, users, mediators, villages, village_town, weights)


# ---------------------------------------------------------------- time and numbers


class Clock:
    """Submission i of n happens at a time that grows denser towards now (volume rises ~3x)."""

    def __init__(self, n: int, now: datetime, zone_name: str = "Asia/Shanghai") -> None:
        self.n = n
        self.end = now - timedelta(minutes=10)
        self.start = self.end - timedelta(days=365 * YEARS)
        self.span = (self.end - self.start).total_seconds()
        # The first index of each local calendar year, for per-year case numbers (as next_number).
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(zone_name)
        self.zone = zone
        self.year_first: dict[int, int] = {}
        for year in range(self.start.astimezone(zone).year, self.end.astimezone(zone).year + 1):
            boundary = datetime(year, 1, 1, tzinfo=zone)
            self.year_first[year] = self._first_index_at_or_after(boundary)

    def _fraction(self, i: int) -> float:
        # Cumulative share x of cases by time u is F(u) = (u + u²)/2 (density rises 0.5 → 1.5).
        x = (i + 0.5) / self.n
        return (-1 + math.sqrt(1 + 8 * x)) / 2

    def at(self, i: int) -> datetime:
        return self.start + timedelta(seconds=self.span * self._fraction(i))

    def _first_index_at_or_after(self, when: datetime) -> int:
        lo, hi = 0, self.n
        while lo < hi:
            mid = (lo + hi) // 2
            if self.at(mid) < when:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def year_seq(self, i: int, when: datetime) -> tuple[int, int]:
        year = when.astimezone(self.zone).year
        return year, i - self.year_first.get(year, 0) + 1


# ---------------------------------------------------------------- one chunk of cases

CASE_COLUMNS = (
    "id", "number", "channel", "dispute_type", "title", "description", "amount", "state", "risk_level",
    "version", "place", "place_path", "org", "org_path", "assigned_org", "assigned_org_path", "assignee",
    "in_pool", "is_collective", "sensitive", "rights_notified_at", "consent_at", "outcome",
    "failure_advice", "attempts_at_level", "next_due_at", "source_key", "created_by", "submitted_at",
    "registered_at", "first_contact_at", "closed_at", "updated_at",
)
PARTY_COLUMNS = (
    "case", "role", "kind", "name", "phone", "id_number", "address", "gender", "birth_year",
    "is_representative", "represented_count",
)
EVENT_COLUMNS = (
    "case", "seq", "name", "from_state", "to_state", "actor", "actor_label", "at", "payload",
    "prev_hash", "hash",
)
DEADLINE_COLUMNS = ("case", "kind", "started_at", "due_at", "state", "stopped_at", "extensions")
H = 3600.0
D = 86400.0


@dataclass
class Ctx:
    tree: Tree
    clock: Clock
    now: datetime
    seed: int
    prefix: str
    number_format: str
    case_base: int
    frequent_phones: list[str]
    cum_village: list[float]


def _phone(rng: random.Random) -> str:
    return f"1{'3578'[rng.getrandbits(2)]}{rng.getrandbits(30) % 10**9:09d}"


def _id_number(rng: random.Random) -> str:
    # Region, birth date, sequence and check character (the check is not computed).
    bits = rng.getrandbits(40)
    return (f"{110000 + bits % 550000}{1950 + (bits >> 20) % 56}{1 + (bits >> 26) % 12:02d}"
            f"{1 + (bits >> 30) % 28:02d}{(bits >> 35) % 1000:03d}{'0123456789X'[rng.getrandbits(3)]}")


def generate_chunk(ctx: Ctx, lo: int, hi: int) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple]]:
    """Rows for cases lo..hi-1; deterministic from (seed, lo) so chunks can be made anywhere."""
    from msgspec.json import encode as encode_json

    from core.cases.timeline import GENESIS, event_hash

    rng = random.Random(f"{ctx.seed}:{lo}")
    k = hi - lo
    tree, clock, now = ctx.tree, ctx.clock, ctx.now
    villages = rng.choices(tree.villages, cum_weights=ctx.cum_village, k=k)
    types = rng.choices([t for t, _ in TYPE_WEIGHTS], weights=[w for _, w in TYPE_WEIGHTS], k=k)
    channels = rng.choices([c for c, _ in CHANNEL_WEIGHTS], weights=[w for _, w in CHANNEL_WEIGHTS], k=k)
    risks = rng.choices([r for r, _ in RISK_WEIGHTS], weights=[w for _, w in RISK_WEIGHTS], k=k)
    fates = rng.choices([f for f, _ in FATE_WEIGHTS], weights=[w for _, w in FATE_WEIGHTS], k=k)
    cases: list[tuple] = []
    parties: list[tuple] = []
    events: list[tuple] = []
    deadlines: list[tuple] = []
    td = timedelta
    for j in range(k):
        i = lo + j
        case_id = ctx.case_base + i
        village = villages[j]
        town = tree.village_town[village.id]
        county = town.county
        dtype, channel, risk, fate = types[j], channels[j], risks[j], fates[j]
        submitted = clock.at(i)
        year, seq = clock.year_seq(i, submitted)
        number = ctx.number_format.format(prefix=ctx.prefix, year=year, seq=seq)
        r = rng.random()
        if channel == "online" or r < 0.75:
            org_id, org_path, desk, lead = town.id, town.path, town.window, town.supervisor
        elif r < 0.9:
            org_id, org_path, desk, lead = village.id, village.path, village.staff, town.supervisor
        else:
            org_id, org_path, desk, lead = county.id, county.path, county.window, county.supervisor
        place_id, place_path = (village.id, village.path) if rng.random() < 0.92 else (None, "")

        # Parties: applicant and respondent; a collective labour case has representatives.
        collective = dtype == "labour" and rng.random() < 0.08
        n_reps = rng.randint(2, 6) if collective else 0
        # One applicant in twenty comes back (a repeat dispute): the phone search finds several cases.
        app_phone = rng.choice(ctx.frequent_phones) if rng.random() < 0.05 else _phone(rng)
        app_name = _person(rng)
        if collective:
            for n in range(n_reps):
                parties.append((case_id, "applicant", "person", app_name if n == 0 else _person(rng),
                                app_phone if n == 0 else _phone(rng), _id_number(rng), f"{village.name}",
                                rng.choice(("male", "female")), rng.randint(1960, 2004), True, rng.randint(10, 130)))
        else:
            parties.append((case_id, "applicant", "person", app_name, app_phone, _id_number(rng), village.name,
                            rng.choice(("male", "female", "")), rng.randint(1950, 2005), False, 1))
        if dtype in ("labour", "property_management", "construction", "consumer", "environment", "medical"):
            parties.append((case_id, "respondent", "company", f"{town.name[:2]}{rng.choice(COMPANY)}", _phone(rng), "",
                            town.name, "", None, False, 1))
        else:
            parties.append((case_id, "respondent", "person", _person(rng), _phone(rng),
                            _id_number(rng) if rng.random() < 0.5 else "", village.name,
                            rng.choice(("male", "female", "")), rng.randint(1950, 2005), False, 1))
        n_parties = (n_reps or 1) + 1

        # Who would handle it.
        r = rng.random()
        if r < 0.6:
            m_user, m_id = rng.choice(town.mediators)
            target = {"assignee_id": m_user, "mediator_id": m_id, "organisation_id": town.committee, "to_pool": False}
            a_org, a_path, handler, pool = town.committee, town.committee_path, m_user, False
        elif r < 0.85:
            d_id, d_path, d_user = town.depts[0 if dtype == "labour" else (1 if dtype == "property_management" else rng.randrange(3))]
            target = {"assignee_id": None, "mediator_id": None, "organisation_id": d_id, "to_pool": True}
            a_org, a_path, handler, pool = d_id, d_path, d_user, True
        else:
            target = {"assignee_id": village.staff, "mediator_id": None, "organisation_id": village.id, "to_pool": False}
            a_org, a_path, handler, pool = village.id, village.path, village.staff, False

        # The steps this case's fate would take, each (name, to_state or None, actor, hours after the last, payload).
        submit_actor = None if channel == "online" else (village.staff if channel in ("grid", "photo_report") else desk)
        steps: list[tuple[str, str | None, int | None, float, dict[str, Any]]] = [
            ("submit", "submitted", submit_actor, 0.0, {"channel": channel, "parties": n_parties}),
        ]
        if fate == "reject":
            steps.append(("reject", "rejected", desk, rng.uniform(1, 72), {"reason": "不属于人民调解受理范围"}))
        else:
            steps.append(("accept", "registered", desk, rng.uniform(0.3, 48),
                          {"rights_notified": True, "consent": True, "risk_level": risk, "dispute_type": None}))
            if fate == "withdraw_early":
                steps.append(("withdraw", "withdrawn", desk, rng.uniform(2, 120), {"reason": "申请人撤回调解申请"}))
            else:
                steps.append(("dispatch", "assigned", desk, rng.uniform(0.5, 24), dict(target)))
                steps.append(("take", "in_mediation", handler, rng.uniform(0.5, 48), {"grabbed_from_pool": True} if pool else {}))
                steps.append(("first_contact", None, handler, rng.uniform(0.2, 48), {"method": "phone", "result": "已电话联系双方当事人"}))
                if fate == "referred":
                    steps.append(("refer", "referred", handler, rng.uniform(24, 240),
                                  {"plugin": rng.choice(("psych", "legal_aid")), "reason": "需要专业机构介入"}))
                    if rng.random() < 0.5:
                        steps.append(("close", "closed", handler, rng.uniform(72, 720), {}))
                else:
                    sid = case_id * 4
                    steps.append(("schedule_session", None, handler, rng.uniform(1, 72),
                                  {"session_id": sid, "mode": rng.choice(("in_person", "in_person", "video")), "scheduled_at": None}))
                    steps.append(("record_session", None, handler, rng.uniform(24, 168), {"session_id": sid, "attempt": 1}))
                    if fate == "withdraw_mid":
                        steps.append(("withdraw", "withdrawn", desk, rng.uniform(24, 240), {"reason": "双方自行和解,申请人撤回"}))
                    elif fate in ("closed_failed", "failed"):
                        steps.append(("fail", "failed", handler, rng.uniform(1, 240), {"advice": rng.choice(("arbitration", "litigation"))}))
                        if fate == "closed_failed":
                            steps.append(("close", "closed", handler, rng.uniform(1, 168), {}))
                    elif fate in ("closed_agreed", "stall"):
                        steps.append(("agree", "agreed", handler, rng.uniform(1, 240), {"agreement_id": case_id, "terms_count": rng.randint(1, 3)}))
                        steps.append(("follow_up", None, handler, rng.uniform(7 * 24, 20 * 24),
                                      {"follow_up_id": case_id, "performed": True, "rating": rng.choice((4, 5, 5))}))
                        steps.append(("close", "closed", handler, rng.uniform(1, 48), {}))
        if fate == "stall":
            # Stuck for good somewhere between registration and the agreement (these go overdue).
            cut = rng.randint(2, min(len(steps) - 3, 8))
            steps = steps[:cut]
            if len(steps) >= 5 and rng.random() < 0.7:
                steps.append(("urge", None, lead, 31 * 24.0, {"message": "请尽快推进调解"}))
                steps.append(("supervise", None, lead, 7 * 24.0, {"message": "已超期,列入督办"}))

        # Walk the steps until now; from_state → to_state as the lifecycle writes them.
        state: str | None = None
        at = submitted
        prev = GENESIS
        seqno = 0
        times: dict[str, datetime] = {}
        assignee = None
        assigned_org, assigned_path, in_pool = None, "", False
        attempts = 0
        outcome = failure_advice = ""
        for name, to_state, actor, hours, payload in steps:
            if seqno:
                at = at + td(seconds=hours * H + rng.random())
            if at > now:
                break
            seqno += 1
            frm = state
            state = to_state or state
            if name == "schedule_session":
                payload["scheduled_at"] = (at + td(days=2)).astimezone(UTC).isoformat()
            label = "party" if actor is None else f"staff:{actor}"
            digest = event_hash(case_id=case_id, seq=seqno, name=name, from_state=frm, to_state=state, actor_id=actor,
                                actor_label=label, at=at, payload=payload, prev_hash=prev)
            events.append((case_id, seqno, name, frm, state, actor, label, at, encode_json(payload).decode(), prev, digest))
            prev = digest
            times.setdefault(name, at)
            if name == "dispatch":
                assignee, assigned_org, assigned_path, in_pool = target["assignee_id"], a_org, a_path, pool
            elif name == "take":
                assignee, in_pool = handler, False
            elif name == "record_session":
                attempts += 1
            elif name in ("agree", "withdraw"):
                outcome = "agreed" if name == "agree" else "withdrawn"
            elif name == "fail":
                outcome, failure_advice = "failed", f"{payload['advice']}:告知当事人可申请仲裁或起诉"
        if seqno == 1 and submitted + td(minutes=20) < now:
            # A lone submission gets the desk's note (every timeline has at least two events).
            at = submitted + td(minutes=rng.uniform(5, 20))
            seqno += 1
            payload = {"text": "已电话核实申请人身份"}
            digest = event_hash(case_id=case_id, seq=seqno, name="note", from_state=state, to_state=state, actor_id=desk,
                                actor_label=f"staff:{desk}", at=at, payload=payload, prev_hash=prev)
            events.append((case_id, seqno, "note", state, state, desk, f"staff:{desk}", at, encode_json(payload).decode(), prev, digest))

        # Deadlines, as core.deadlines would compute them from these events.
        next_due = None
        live_states = ("running", "overdue")
        if channel == "online":
            stop = times.get("first_contact") or times.get("record_session") or times.get("reject") or times.get("withdraw")
            due = submitted + td(hours=72)
            st = ("met" if stop <= due else "met_late") if stop else ("overdue" if due <= now else "running")
            deadlines.append((case_id, "first_contact", submitted, due, st, stop, 0))
            if st in live_states:
                next_due = due
        if "take" in times:
            start = times["take"]
            stop = next((times[n] for n in ("agree", "fail", "withdraw", "close") if n in times), None)
            due = start + td(days=30)
            if state == "referred":
                st = "paused"
            else:
                st = ("met" if stop <= due else "met_late") if stop else ("overdue" if due <= now else "running")
            deadlines.append((case_id, "mediation", start, due, st, stop, 0))
            if st in live_states and (next_due is None or due < next_due):
                next_due = due
        if "agree" in times:
            start = times["agree"]
            stop = times.get("follow_up") or times.get("close")
            due = start + td(days=15)
            st = ("met" if stop <= due else "met_late") if stop else ("overdue" if due <= now else "running")
            deadlines.append((case_id, "follow_up", start, due, st, stop, 0))
            if st in live_states and (next_due is None or due < next_due):
                next_due = due

        amount = Decimal(rng.randint(2, 400) * 500) if rng.random() < 0.6 else None
        accepted = times.get("accept")
        created_by = None if submit_actor is None else submit_actor
        cases.append((
            case_id, number, channel, dtype, f"{village.name}{TYPE_LABELS.get(dtype, '')}"[:200],
            DESCRIPTIONS[dtype].format(n=rng.randint(2, 6)), amount, state, risk, seqno,
            place_id, place_path, org_id, org_path, assigned_org, assigned_path, assignee, in_pool, collective,
            dtype in SENSITIVE, accepted, accepted, outcome, failure_advice, attempts, next_due,
            "party" if submit_actor is None else f"staff:{submit_actor}", created_by, submitted, accepted,
            times.get("first_contact") or times.get("record_session"), times.get("close"), at,
        ))
    return cases, parties, events, deadlines


_CTX: Ctx | None = None
_PG: tuple[asyncio.AbstractEventLoop, Any] | None = None


def _init_worker(ctx: Ctx, pg_url: str) -> None:
    """A worker keeps the context and, for PostgreSQL, its own loop and COPY connection."""
    global _CTX, _PG
    _CTX = ctx
    if pg_url:
        loop = asyncio.new_event_loop()
        loader = PostgresLoader(pg_url, keep_indexes=True)
        loop.run_until_complete(loader.open(connections=1))
        _PG = (loop, loader)


def _chunk_in_worker(lo: int, hi: int) -> tuple[list[tuple], ...] | tuple[int, ...]:
    """SQLite: hand the rows back (one writer). PostgreSQL: COPY them here, hand back counts."""
    assert _CTX is not None
    rows = generate_chunk(_CTX, lo, hi)
    if _PG is None:
        return rows
    loop, loader = _PG
    loop.run_until_complete(loader.copy_chunk(*rows))
    return tuple(len(part) for part in rows)


# ---------------------------------------------------------------- loaders


class PostgresLoader:
    """COPY through asyncpg on a few connections; indexes rebuilt once at the end."""

    BIG = ("dispute_case", "party", "case_event", "case_deadline")

    def __init__(self, url: str, keep_indexes: bool) -> None:
        self.url = url
        self.keep_indexes = keep_indexes
        self.conns: list[Any] = []
        self.dropped: list[tuple[str, str]] = []

    async def open(self, connections: int = 2) -> None:
        import asyncpg

        for _ in range(connections):
            conn = await asyncpg.connect(self.url)
            # Our rows are consistent by construction: skip FK triggers and wait for no fsync.
            await conn.execute("SET session_replication_role = replica")
            await conn.execute("SET synchronous_commit = off")
            self.conns.append(conn)

    async def scalar(self, sql: str) -> Any:
        return await self.conns[0].fetchval(sql)

    async def drop_indexes(self) -> None:
        if self.keep_indexes:
            return
        rows = await self.conns[0].fetch(
            """SELECT i.indexname, i.indexdef, i.tablename FROM pg_indexes i
               WHERE i.schemaname = 'public' AND i.tablename = ANY($1::text[])
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
            list(self.BIG),
        )
        for row in rows:
            self.dropped.append((row["indexname"], row["indexdef"]))
            await self.conns[0].execute(f'DROP INDEX IF EXISTS "{row["indexname"]}"')

    async def rebuild_indexes(self) -> float:
        started = time.perf_counter()
        for conn in self.conns[:2]:
            await conn.execute("SET maintenance_work_mem = '256MB'")
        # Two at a time: this machine has two cores.
        queue = list(self.dropped)

        async def worker(conn: Any) -> None:
            while queue:
                name, definition = queue.pop(0)
                t = time.perf_counter()
                await conn.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1).replace(
                    "CREATE UNIQUE INDEX", "CREATE UNIQUE INDEX IF NOT EXISTS", 1))
                print(f"  index {name} {time.perf_counter() - t:.1f}s", flush=True)

        await asyncio.gather(*(worker(c) for c in self.conns[:2]))
        return time.perf_counter() - started

    async def copy(self, table: str, columns: tuple[str, ...], rows: list[tuple], conn_no: int = 0) -> None:
        if rows:
            await self.conns[conn_no].copy_records_to_table(table, records=rows, columns=list(columns))

    async def copy_chunk(self, cases: list, parties: list, events: list, deadlines: list) -> None:
        for table, columns, rows in (("dispute_case", CASE_COLUMNS, cases), ("party", PARTY_COLUMNS, parties),
                                     ("case_event", EVENT_COLUMNS, events), ("case_deadline", DEADLINE_COLUMNS, deadlines)):
            await self.copy(table, columns, rows)

    async def finish(self, counters: dict[str, int]) -> None:
        conn = self.conns[0]
        for table in ("organisation", "staff_user", "mediator", "dispute_case"):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))")
        for scope, value in counters.items():
            await conn.execute(
                "INSERT INTO case_counter (scope, value) VALUES ($1, $2) ON CONFLICT (scope) DO UPDATE SET value = GREATEST(case_counter.value, EXCLUDED.value)",
                scope, value,
            )

    async def analyze(self) -> None:
        await self.conns[0].execute("ANALYZE")

    async def close(self) -> None:
        for conn in self.conns:
            await conn.close()


class SqliteLoader:
    """executemany in one big transaction per chunk, with the journal relaxed for the load."""

    def __init__(self, path: str) -> None:
        self.path = path

    async def open(self) -> None:
        import sqlite3

        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("PRAGMA cache_size=-200000")
        self.db.execute("PRAGMA foreign_keys=OFF")

    async def scalar(self, sql: str) -> Any:
        return self.db.execute(sql).fetchone()[0]

    async def drop_indexes(self) -> None:
        # The case-count triggers would write ~4 delta rows per case; the counts are rebuilt
        # in one pass at the end instead (PostgreSQL's COPY runs with triggers off anyway).
        from core.reports import day_figures, due_counts

        for trigger in ("case_count_insert", "case_count_delete", "case_count_update", *day_figures.SQLITE_TRIGGERS,
                        *due_counts.SQLITE_TRIGGERS):
            self.db.execute(f"DROP TRIGGER IF EXISTS {trigger}")

    async def rebuild_indexes(self) -> float:
        return 0.0

    @staticmethod
    def _plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return str(value.astimezone(UTC))
        if isinstance(value, Decimal):
            return float(value)
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, list):
            import json

            return json.dumps(value, ensure_ascii=False)
        return value

    def _insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        cols = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        plain = self._plain
        self.db.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', ([plain(v) for v in row] for row in rows))

    async def copy(self, table: str, columns: tuple[str, ...], rows: list[tuple], conn_no: int = 0) -> None:
        self.db.execute("BEGIN")
        self._insert(table, columns, rows)
        self.db.execute("COMMIT")

    async def copy_chunk(self, cases: list, parties: list, events: list, deadlines: list) -> None:
        self.db.execute("BEGIN")
        self._insert("dispute_case", CASE_COLUMNS, cases)
        self._insert("party", PARTY_COLUMNS, parties)
        self._insert("case_event", EVENT_COLUMNS, events)
        self._insert("case_deadline", DEADLINE_COLUMNS, deadlines)
        self.db.execute("COMMIT")

    async def finish(self, counters: dict[str, int]) -> None:
        for scope, value in counters.items():
            self.db.execute(
                "INSERT INTO case_counter (scope, value) VALUES (?, ?) ON CONFLICT (scope) DO UPDATE SET value = MAX(value, excluded.value)",
                (scope, value),
            )

    async def analyze(self) -> None:
        self.db.execute("ANALYZE")

    async def close(self) -> None:
        self.db.close()


# ---------------------------------------------------------------- main


async def recreate(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    import asyncpg

    base, _, name = url.rpartition("/")
    if not name.startswith("jiefen_bench"):
        raise SystemExit("--recreate only drops databases named jiefen_bench*")
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def run(args: argparse.Namespace) -> None:
    url = args.database_url
    if args.recreate:
        await recreate(url)
    os.environ["JIEFEN_DATABASE_URL"] = url
    from core import db
    from core.auth.service import hash_password
    from core.migrate import migrate
    from core.settings import get_settings

    t0 = time.perf_counter()
    if db.is_sqlite():
        await db.startup()
    await migrate()
    print(f"migrate_s {time.perf_counter() - t0:.1f}", flush=True)

    sqlite = url.startswith("sqlite:///")
    loader: PostgresLoader | SqliteLoader = SqliteLoader(url.removeprefix("sqlite:///")) if sqlite else PostgresLoader(url, args.keep_indexes)
    await loader.open()
    if await loader.scalar("SELECT COUNT(*) FROM dispute_case"):
        raise SystemExit("the database already has cases: use a fresh one (--recreate)")

    n = args.cases
    counties = args.counties or min(100, max(2, n // 10_000))
    org_base = (await loader.scalar("SELECT COALESCE(MAX(id), 0) FROM organisation")) + 1
    user_base = (await loader.scalar("SELECT COALESCE(MAX(id), 0) FROM staff_user")) + 1
    med_base = (await loader.scalar("SELECT COALESCE(MAX(id), 0) FROM mediator")) + 1
    case_base = (await loader.scalar("SELECT COALESCE(MAX(id), 0) FROM dispute_case")) + 1
    t = time.perf_counter()
    tree = build_tree(counties, args.seed, org_base, user_base, med_base)
    pw = hash_password(BENCH_PASSWORD)
    now = datetime.now(UTC)
    await loader.copy("organisation", ("id", "name", "short_name", "type_code", "parent", "path", "level", "created_at"),
                      [(*o, now - timedelta(days=365 * YEARS + 30)) for o in tree.orgs])
    await loader.copy("staff_user", ("id", "username", "display_name", "organisation", "roles", "password_hash", "created_at"),
                      [(u[0], u[1], u[2], u[3], SqliteLoader._plain(u[4]), pw, now) for u in tree.users])
    await loader.copy("mediator", ("id", "user", "name", "organisation", "specialties", "grade", "created_at"),
                      [(m[0], m[1], m[2], m[3], SqliteLoader._plain(m[4]), m[5], now) for m in tree.mediators])
    print(f"organisations {len(tree.orgs)} (counties {counties}, towns {sum(len(c.towns) for c in tree.counties)}, "
          f"villages {len(tree.villages)})")
    print(f"staff_users {len(tree.users)} mediators {len(tree.mediators)} tree_s {time.perf_counter() - t:.1f}", flush=True)

    settings = get_settings()
    clock = Clock(n, now, settings.time_zone)
    frng = random.Random(f"phones:{args.seed}")
    cum: list[float] = []
    acc = 0.0
    for w in tree.village_weights:
        acc += w
        cum.append(acc)
    ctx = Ctx(tree, clock, now, args.seed, settings.case_number_prefix, settings.case_number_format, case_base,
              [_phone(frng) for _ in range(max(50, n // 200))], cum)

    await loader.drop_indexes()
    totals = {"cases": 0, "parties": 0, "events": 0, "deadlines": 0}
    wait_s = 0.0
    started = time.perf_counter()
    workers = args.workers or max(1, min(2, os.cpu_count() or 1))
    loop = asyncio.get_running_loop()
    bounds = [(lo, min(n, lo + args.chunk)) for lo in range(0, n, args.chunk)]
    # Chunks are made in worker processes (forked with the context); on PostgreSQL each worker
    # COPYs its own chunks on its own connection, on SQLite this process is the one writer.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=_init_worker, initargs=(ctx, "" if sqlite else url)) as pool:
        futures = [loop.run_in_executor(pool, _chunk_in_worker, lo, hi) for lo, hi in bounds[: workers + 1]]
        ahead = len(futures)
        last_print = 0
        for _lo, hi in bounds:
            t = time.perf_counter()
            rows = await futures.pop(0)
            wait_s += time.perf_counter() - t
            if ahead < len(bounds):
                futures.append(loop.run_in_executor(pool, _chunk_in_worker, *bounds[ahead]))
                ahead += 1
            if sqlite:
                await loader.copy_chunk(*rows)
            for key, part in zip(totals, rows, strict=True):
                totals[key] += part if isinstance(part, int) else len(part)
            if hi - last_print >= 100_000 or hi == n:
                last_print = hi
                elapsed = time.perf_counter() - started
                print(f"  {hi:>9} cases  {elapsed:7.1f}s  {sum(totals.values()) / elapsed:9.0f} rows/s", flush=True)
    copy_s = time.perf_counter() - started
    rows_total = sum(totals.values())
    print(" ".join(f"{k} {v}" for k, v in totals.items()))
    print(f"load_s {copy_s:.1f} (workers {workers}, main process waited {wait_s:.1f}s) rows_per_s {rows_total / copy_s:.0f}", flush=True)

    counters: dict[str, int] = {}
    for year, first in clock.year_first.items():
        last = min(n, clock.year_first.get(year + 1, n))
        if last > first:
            counters[str(year)] = last - first
    await loader.finish(counters)
    index_s = await loader.rebuild_indexes()
    t = time.perf_counter()
    await loader.analyze()
    analyze_s = time.perf_counter() - t
    await loader.close()
    # The dashboard's case counts (core/reports/counts.py): triggers back, counts from the cases.
    from core.reports import counts, day_figures, due_counts

    t = time.perf_counter()
    await counts.install()
    count_rows = await counts.rebuild()
    counts_s = time.perf_counter() - t
    t = time.perf_counter()
    await day_figures.install()
    figure_rows = await day_figures.rebuild()
    print(f"day_figures {figure_rows} rows in {time.perf_counter() - t:.1f}s")
    t = time.perf_counter()
    await due_counts.install()
    due_rows = await due_counts.rebuild()
    print(f"due_counts {due_rows} rows in {time.perf_counter() - t:.1f}s")
    total_s = time.perf_counter() - t0
    print(f"index_s {index_s:.1f} analyze_s {analyze_s:.1f} case_counts {count_rows} rows in {counts_s:.1f}s")
    print(f"total_s {total_s:.1f} rows {rows_total} overall_rows_per_s {rows_total / total_s:.0f}", flush=True)

    if args.verify_sample:
        await verify_sample(case_base, n, args.verify_sample, args.seed)


async def verify_sample(case_base: int, n: int, k: int, seed: int) -> None:
    from core.cases.tables import Case
    from core.cases.timeline import verify_chain

    rng = random.Random(f"verify:{seed}")
    ids = sorted({case_base + rng.randrange(n) for _ in range(min(k, n))} | {case_base, case_base + n - 1})
    bad = 0
    for case_id in ids:
        report = await verify_chain(case_id)
        if not report.intact or report.events < 1:
            bad += 1
            print(f"  case {case_id}: BROKEN at {report.first_bad_seq}: {report.problem}")
    sample = await Case.select(Case.number).where(Case.id == ids[len(ids) // 2]).first()
    print(f"verify_sample {len(ids)} broken {bad} (try: jiefen audit verify '{sample['number']}')", flush=True)
    if bad:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("JIEFEN_DATABASE_URL", ""), required=not os.environ.get("JIEFEN_DATABASE_URL"))
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--counties", type=int, default=0, help="default: cases/10,000, between 2 and 100")
    parser.add_argument("--chunk", type=int, default=10_000, help="cases per COPY / transaction")
    parser.add_argument("--workers", type=int, default=0, help="processes making chunks (default: 2 or the CPU count)")
    parser.add_argument("--recreate", action="store_true", help="drop and create the database first (jiefen_bench* / a SQLite file)")
    parser.add_argument("--keep-indexes", action="store_true", help="PostgreSQL: keep indexes during the load")
    parser.add_argument("--verify-sample", type=int, default=200, help="cases whose hash chain is checked at the end")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
