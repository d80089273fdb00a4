"""Benchmark: server time of the staff queue, the case page and a county dashboard.

    .venv/bin/python bench/bench_queue.py --database-url postgresql://postgres@127.0.0.1:5432/jiefen_bench \
        [--repeat 60] [--explain]

Runs on a database made by bench/generate.py (it migrates first, so new indexes apply).
The real app runs in this process (``create_app``) behind httpx's ASGITransport; a thin ASGI
wrapper times each request from the app being called to its last byte sent, so the figures
are server time (auth, query, shaping, JSON) without network or client. Staff come from the
generated tree with real sessions: the supervisor of the busiest county, the window staff of
its busiest town, and the village staff of its busiest village.

Scenarios: the queue unfiltered, filtered by state / type / overdue, searched by case number
and by phone, cursor pages 2–6, for the county and the village; the case page; and the county
dashboard aggregate (counts by state, type and risk for the subtree) timed in-process.
Prints p50/p99 per scenario (targets at 1,000,000 cases on PostgreSQL: p50 <= 30 ms,
p99 <= 100 ms; dashboard <= 200 ms) and the resident size of this process after the run.
With ``--explain`` (PostgreSQL) prints EXPLAIN ANALYZE of the list queries as the API builds them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import benchlib  # noqa: E402


class TimedApp:
    """ASGI wrapper: the server time of the last HTTP request, in ms."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last_ms = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t = time.perf_counter()
        await self.app(scope, receive, send)
        self.last_ms = (time.perf_counter() - t) * 1000


async def pick_people() -> dict[str, Any]:
    """The busiest county, its busiest town and village, and a staff user for each."""
    import json

    from piccolo.query.functions.aggregate import Count

    from core.auth.tables import StaffUser
    from core.cases.tables import Case, Party
    from core.orgs.tables import Organisation

    counties = await Organisation.select(Organisation.id, Organisation.path).where(
        Organisation.type_code == "county").order_by(Organisation.id).limit(5)
    if not counties:
        raise SystemExit("no generated organisations here: run bench/generate.py first")
    sizes = [(await Case.count().where(Case.place_path.like(c["path"] + "%")), c) for c in counties]
    county_cases, county = max(sizes, key=lambda s: s[0])
    by_place = await Case.select(Case.place, Count(Case.id).as_alias("n")).where(
        Case.place_path.like(county["path"] + "%")).group_by(Case.place).order_by(Count(Case.id), ascending=False).limit(1)
    village = await Organisation.select(Organisation.id, Organisation.path, Organisation.parent).where(
        Organisation.id == by_place[0]["place"]).first()
    town = await Organisation.select(Organisation.id, Organisation.path).where(Organisation.id == village["parent"]).first()

    async def staff(org_id: int, role: str) -> int:
        for user in await StaffUser.select(StaffUser.id, StaffUser.roles).where(StaffUser.organisation == org_id):
            roles = json.loads(user["roles"]) if isinstance(user["roles"], str) else user["roles"]
            if role in roles:
                return int(user["id"])
        raise SystemExit(f"no {role} in organisation {org_id}: was this database made by bench/generate.py?")

    rng = random.Random(7)
    sample = await Case.select(Case.id, Case.number).where(Case.place_path.like(village["path"] + "%")).limit(200)
    sample_county = await Case.select(Case.id).where(Case.org_path.like(county["path"] + "%")).order_by(
        Case.id, ascending=False).limit(2000)
    phones = await Party.select(Party.phone).where(Party.case.is_in([s["id"] for s in sample[:50]]) & (Party.role == "applicant"))
    return {
        "county": county, "county_cases": county_cases, "town": town, "village": village,
        "village_cases": by_place[0]["n"],
        "county_user": await staff(county["id"], "supervisor"), "town_user": await staff(town["id"], "window_staff"),
        "village_user": await staff(village["id"], "grid_worker"),
        "numbers": [s["number"] for s in sample], "phones": [p["phone"] for p in phones if p["phone"]],
        "detail_ids": [r["id"] for r in rng.sample(sample_county, min(200, len(sample_county)))],
    }


async def dashboard(org_path: str) -> dict[str, Any]:
    """Counts by state, type and risk for a subtree: the county dashboard's headline figures,
    read from the kept case counts (core/reports/counts.py)."""
    from core.reports.counts import org_id_of, subtree_counts

    return _by_key(await subtree_counts(org_id_of(org_path) or -1))


async def dashboard_group_by(org_path: str) -> dict[str, Any]:
    """The same figures by a GROUP BY over the subtree's cases (how they were read before)."""
    from piccolo.query.functions.aggregate import Count

    from core.cases.tables import Case
    from core.reports.service import _in_tree

    rows = await Case.select(Case.state, Case.dispute_type, Case.risk_level, Count(Case.id).as_alias("n")).where(
        _in_tree(org_path)).group_by(Case.state, Case.dispute_type, Case.risk_level)
    return _by_key(rows)


async def dashboard_page(org: dict[str, Any], period: str, kept: bool = True) -> Any:
    """Every figure of the supervision dashboard page (web.supervision.figures), as a supervisor."""
    from web.supervision.figures import dashboard_figures, supervisor_for

    return await dashboard_figures(supervisor_for(org), period=period, kept=kept)


def _by_key(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, dict[str, int]] = {"by_state": {}, "by_type": {}, "by_risk": {}}
    for r in rows:
        for key, col in (("by_state", "state"), ("by_type", "dispute_type"), ("by_risk", "risk_level")):
            out[key][r[col]] = out[key].get(r[col], 0) + r["n"]
    return out


async def explain(people: dict[str, Any]) -> None:
    """EXPLAIN ANALYZE of the list queries, built as core/api/cases.py builds them."""
    from datetime import UTC, datetime

    from core.auth.service import actor_for_user
    from core.cases.access import visible_filter
    from core.cases.tables import Case, Party
    from core.db import engine

    county = await actor_for_user(people["county_user"])
    village = await actor_for_user(people["village_user"])
    assert county and village

    def q(actor: Any, extra: Any = None) -> str:
        where = visible_filter(actor)
        if extra is not None:
            where &= extra
        return str(Case.select().where(where).order_by(Case.id, ascending=False).limit(51))

    term = people["phones"][0]
    party_cases = [r["case"] for r in await Party.select(Party.case).where((Party.phone == term) | (Party.name == term))]
    queries = {
        "county_all": q(county),
        "county_state": q(county, Case.state.is_in(["in_mediation"])),
        "county_overdue": q(county, Case.next_due_at < datetime.now(UTC)),
        "county_search_phone": q(county, (Case.number == term) | Case.id.is_in(party_cases or [-1])),
        "village_all": q(village),
    }
    for name, sql in queries.items():
        rows = await engine().run_ddl(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        print(f"--- explain {name}\n" + "\n".join(r["QUERY PLAN"] for r in rows))


async def run(args: argparse.Namespace) -> None:
    os.environ["JIEFEN_DATABASE_URL"] = args.database_url
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)

    from core import db
    from core.api.app import create_app
    from core.auth.service import start_session
    from core.migrate import migrate

    if db.is_sqlite():
        await db.startup()
    await migrate()
    if not db.is_sqlite():
        await db.startup()
    from core.cases.tables import Case

    total = await Case.count()
    people = await pick_people()
    if args.explain and not db.is_sqlite():
        await explain(people)
    timed = TimedApp(create_app(run_jobs=False))
    # What the app's start-up does (no lifespan runs behind ASGITransport).
    from core.api.app import _freeze_startup_objects

    _freeze_startup_objects()
    print(f"queue_db {'sqlite' if db.is_sqlite() else 'postgresql'} cases {total} county_cases {people['county_cases']} "
          f"village_cases {people['village_cases']} repeat {args.repeat} load_before {benchlib.load_average()}", flush=True)

    clients = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=timed), base_url="http://bench") as base:
        for who in ("county", "town", "village"):
            token, _ = await start_session(people[f"{who}_user"])
            clients[who] = {"cookies": {"jiefen_session": token}}
        rng = random.Random(args.seed)

        async def get(who: str, url: str, params: dict[str, Any] | None = None) -> tuple[float, dict[str, Any]]:
            base.cookies.clear()
            r = await base.get(url, params=params, cookies=clients[who]["cookies"])
            if r.status_code != 200:
                raise SystemExit(f"{url} {params}: {r.status_code} {r.text[:300]}")
            if not url.startswith("/api/"):
                return timed.last_ms, {"html": r.text}  # an admin page
            return timed.last_ms, r.json()

        async def next_cursor(who: str, params: dict[str, Any]) -> str | None:
            return (await get(who, "/api/v1/cases", params))[1]["next_cursor"]

        cursors: list[str] = []
        cursor = await next_cursor("county", {})
        while cursor and len(cursors) < 5:
            cursors.append(cursor)
            cursor = await next_cursor("county", {"cursor": cursor})

        scenarios: dict[str, Any] = {
            "county_all": lambda i: ("county", "/api/v1/cases", {}),
            "county_state": lambda i: ("county", "/api/v1/cases", {"state": "in_mediation"}),
            "county_state_type": lambda i: ("county", "/api/v1/cases", {"state": "registered,assigned", "dispute_type": "labour"}),
            "county_risk_high_open": lambda i: ("county", "/api/v1/cases", {"risk_level": "high", "state": "submitted,registered,assigned,in_mediation"}),
            "county_overdue": lambda i: ("county", "/api/v1/cases", {"overdue": "true"}),
            "county_cursor_pages": lambda i: ("county", "/api/v1/cases", {"cursor": cursors[i % len(cursors)]} if cursors else {}),
            "county_search_number": lambda i: ("county", "/api/v1/cases", {"q": people["numbers"][i % len(people["numbers"])]}),
            "county_search_phone": lambda i: ("county", "/api/v1/cases", {"q": people["phones"][i % len(people["phones"])]}),
            "town_desk_submitted": lambda i: ("town", "/api/v1/cases", {"state": "submitted"}),
            "village_all": lambda i: ("village", "/api/v1/cases", {}),
            "village_state": lambda i: ("village", "/api/v1/cases", {"state": "in_mediation,assigned"}),
            "village_search_phone": lambda i: ("village", "/api/v1/cases", {"q": people["phones"][i % len(people["phones"])]}),
            "case_detail": lambda i: ("county", f"/api/v1/cases/{people['detail_ids'][i % len(people['detail_ids'])]}", None),
            # The whole supervision dashboard page (HTML) for the county supervisor, this year.
            "admin_dashboard_county": lambda i: ("county", "/admin/dashboard", None),
        }
        if args.only:
            scenarios = {k: v for k, v in scenarios.items() if any(k.startswith(o) for o in args.only.split(","))}
        results: dict[str, list[float]] = {}
        for name, make in scenarios.items():
            await get(*make(0))  # warm-up: plans cached, pages in memory
            times = []
            for i in range(args.repeat):
                ms, _ = await get(*make(i))
                times.append(ms)
            results[name] = times
            print(f"{name:24} p50_ms {benchlib.pct(times, 50):7.1f}  p99_ms {benchlib.pct(times, 99):7.1f}  "
                  f"max_ms {max(times):7.1f}", flush=True)
        _ = rng

    county, town = people["county"], people["town"]
    fewer = max(5, args.repeat // 4)
    timed = (
        ("county", lambda: dashboard(county["path"]), args.repeat),
        ("town", lambda: dashboard(town["path"]), args.repeat),
        ("county_group_by", lambda: dashboard_group_by(county["path"]), fewer),
        ("page_county_30d", lambda: dashboard_page(county, "30d"), fewer),
        ("page_county_year", lambda: dashboard_page(county, "year"), fewer),
        # The same page's period figures counted live from the cases (the path before the
        # kept day figures, still used for scopes they cannot serve).
        ("page_county_30d_live", lambda: dashboard_page(county, "30d", kept=False), min(fewer, 10)),
        ("page_county_year_live", lambda: dashboard_page(county, "year", kept=False), min(fewer, 10)),
    )
    if await dashboard(county["path"]) != await dashboard_group_by(county["path"]):
        print("dashboard_counts DIFFER from the GROUP BY over the cases (run jiefen reports rebuild-counts)", flush=True)
    for label, call, repeat in timed:
        await call()
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            await call()
            times.append((time.perf_counter() - t) * 1000)
        print(f"dashboard_{label:17} p50_ms {benchlib.pct(times, 50):7.1f}  p99_ms {benchlib.pct(times, 99):7.1f}  "
              f"max_ms {max(times):7.1f}", flush=True)
    queue = [t for name, t in results.items() if not name.startswith("admin_")] or [[0.0]]
    worst50 = max(benchlib.pct(t, 50) for t in queue)
    worst99 = max(benchlib.pct(t, 99) for t in queue)
    print(f"queue_worst_p50_ms {worst50:.1f}\nqueue_worst_p99_ms {worst99:.1f}")
    print(f"process_rss_mb {benchlib.rss_mb():.1f}\nload_after {benchlib.load_average()}")
    await db.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("JIEFEN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/jiefen_bench"))
    parser.add_argument("--repeat", type=int, default=60, help="requests per scenario")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated prefixes of the HTTP scenarios to run (default: all)")
    parser.add_argument("--explain", action="store_true", help="PostgreSQL: EXPLAIN ANALYZE the list queries first")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
