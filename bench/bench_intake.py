"""Benchmark: the public intake endpoint against a bare Litestar endpoint inserting one row.

    .venv/bin/python bench/bench_intake.py --database-url postgresql://postgres@127.0.0.1:5432/jiefen_bench \
        [--clients 64] [--seconds 20] [--rounds 2] [--workers 2]

Starts the real app (uvicorn with ``--workers`` processes, on a free 127.0.0.1 port,
JIEFEN_DATABASE_URL the bench database, the intake rate limit out of the way) and a bare Litestar
app, with as many processes, that decodes the same JSON body and inserts one row through the
same driver (asyncpg pool / aiosqlite); the pool of 20 connections is shared out among the
processes (JIEFEN_DB_POOL = 20 / workers each, for both). Each is
driven in turn, ``--rounds`` times, by ``--clients`` keep-alive connections on loopback for
``--seconds`` (or ``--max-requests``), with a distinct Idempotency-Key per request. Prints
requests/s, p50 and p99 for both, the ratio app/bare (target >= 0.5; p99 <= 100 ms on
PostgreSQL), each server's CPU per answered request (from /proc: unlike requests/s it does not
depend on the machine's other load), and the resident size of each server process after the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import benchlib  # noqa: E402

BARE_TABLE = "bench_bare_intake"
TYPES = ["labour", "neighbour", "marriage_family", "property_management", "debt", "traffic", "consumer"]


# ---------------------------------------------------------------- the bare app (run by uvicorn --factory)


def create_bare_app() -> Any:
    """POST /bare: decode the JSON body, insert one row, answer 201 with its id."""
    from litestar import Litestar, get, post

    url = os.environ["BENCH_BARE_DATABASE_URL"]
    state: dict[str, Any] = {}

    async def startup() -> None:
        if url.startswith("sqlite:///"):
            import aiosqlite

            conn = await aiosqlite.connect(url.removeprefix("sqlite:///"), timeout=60)
            await conn.execute("PRAGMA journal_mode=WAL")
            state["sqlite"] = conn
            state["lock"] = asyncio.Lock()
        else:
            import asyncpg

            state["pool"] = await asyncpg.create_pool(url, min_size=2, max_size=int(os.environ.get("JIEFEN_DB_POOL", "20")))

    async def shutdown() -> None:
        if "pool" in state:
            await state["pool"].close()
        if "sqlite" in state:
            await state["sqlite"].close()

    @post("/bare", status_code=201)
    async def bare(data: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(data, ensure_ascii=False)
        if "pool" in state:
            row_id = await state["pool"].fetchval(f"INSERT INTO {BARE_TABLE} (body) VALUES ($1) RETURNING id", body)
        else:
            async with state["lock"]:
                cursor = await state["sqlite"].execute(f"INSERT INTO {BARE_TABLE} (body) VALUES (?)", (body,))
                await state["sqlite"].commit()
                row_id = cursor.lastrowid
        return {"id": row_id}

    @get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"ok": True}

    return Litestar([bare, healthz], on_startup=[startup], on_shutdown=[shutdown])


# ---------------------------------------------------------------- set-up


async def prepare(url: str) -> list[tuple[int, list[int]]]:
    """Migrate, make the bare table, and find centres (towns) with their villages."""
    os.environ["JIEFEN_DATABASE_URL"] = url
    from core import db
    from core.migrate import migrate
    from core.orgs.tables import Organisation

    if db.is_sqlite():
        await db.startup()
    await migrate()
    engine = db.engine()
    if db.is_sqlite():
        await engine.run_ddl(f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} (id INTEGER PRIMARY KEY, body TEXT NOT NULL, "
                             "created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)")
    else:
        await engine.run_ddl(f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} (id SERIAL PRIMARY KEY, body JSON NOT NULL, "
                             "created_at TIMESTAMPTZ NOT NULL DEFAULT now())")
    towns = await Organisation.select(Organisation.id, Organisation.path).where(Organisation.type_code == "town").limit(50)
    if not towns:
        # An empty database: one town with two villages is enough to apply to.
        county = (await Organisation.insert(Organisation(name="基准县", type_code="county", level="county")).returning(Organisation.id))[0]["id"]
        await Organisation.update({Organisation.path: f"/{county}/"}).where(Organisation.id == county)
        town = (await Organisation.insert(Organisation(name="基准镇", type_code="town", level="town", parent=county)).returning(Organisation.id))[0]["id"]
        await Organisation.update({Organisation.path: f"/{county}/{town}/"}).where(Organisation.id == town)
        for name in ("东村", "西村"):
            v = (await Organisation.insert(Organisation(name=name, type_code="village", level="village", parent=town)).returning(Organisation.id))[0]["id"]
            await Organisation.update({Organisation.path: f"/{county}/{town}/{v}/"}).where(Organisation.id == v)
        towns = await Organisation.select(Organisation.id, Organisation.path).where(Organisation.type_code == "town").limit(50)
    centres = []
    for town in towns:
        villages = await Organisation.select(Organisation.id).where(
            (Organisation.type_code == "village") & Organisation.path.like(town["path"] + "%")
        )
        centres.append((town["id"], [v["id"] for v in villages] or [town["id"]]))
    if db.is_sqlite():
        await db.shutdown()
    return centres


def request_maker(path: str, centres: list[tuple[int, list[int]]], seed: int) -> Any:
    rng = random.Random(seed)

    def make(n: int) -> bytes:
        centre, villages = rng.choice(centres)
        body = {
            "channel": "online", "dispute_type": rng.choice(TYPES), "centre_id": centre, "place_id": rng.choice(villages),
            "description": "申请人在被申请人处务工,被拖欠工资三个月,多次催讨未果,请求调解。",
            "risk_level": rng.choice(["low", "low", "medium"]),
            "parties": [
                {"name": "张伟", "role": "applicant", "phone": f"139{rng.randrange(10**8):08d}"},
                {"name": "和平制衣厂", "role": "respondent", "kind": "company", "phone": f"0769{rng.randrange(10**7):07d}"},
            ],
        }
        return benchlib.http_post(path, json.dumps(body, ensure_ascii=False).encode(), {"Idempotency-Key": uuid.uuid4().hex})

    return make


# ---------------------------------------------------------------- main


async def drive(args: argparse.Namespace, centres: list[tuple[int, list[int]]]) -> None:
    url = args.database_url
    env = {
        "JIEFEN_DATABASE_URL": url, "BENCH_BARE_DATABASE_URL": url,
        "JIEFEN_INTAKE_RATE_LIMIT_PER_MINUTE": "100000000", "PYTHONPATH": str(benchlib.ROOT),
        "JIEFEN_DB_POOL": str(max(2, -(-20 // args.workers))),
        **dict(kv.split("=", 1) for kv in args.app_env),
    }
    uvicorn = [benchlib.PYTHON, "-m", "uvicorn", "--host", "127.0.0.1", "--no-access-log", "--log-level", "warning",
               "--workers", str(args.workers)]
    app_port, bare_port = benchlib.free_port(), benchlib.free_port()
    logs = Path(args.log_dir)
    logs.mkdir(parents=True, exist_ok=True)
    totals = {"bare": benchlib.LoadResult("bare"), "app": benchlib.LoadResult("app")}
    rss: dict[str, float] = {}
    cpu = {"bare": 0.0, "app": 0.0}
    print(f"intake_db {'sqlite' if url.startswith('sqlite') else 'postgresql'} app_env {args.app_env} workers {args.workers} "
          f"(each side, pool {env['JIEFEN_DB_POOL']} per process) clients {args.clients} "
          f"seconds {args.seconds} rounds {args.rounds} load_before {benchlib.load_average()}", flush=True)
    with benchlib.server([*uvicorn, "--port", str(app_port), "core.api.asgi:app"], env, app_port, log=logs / "intake_app.log") as app, \
         benchlib.server([*uvicorn, "--port", str(bare_port), "--app-dir", str(Path(__file__).parent), "--factory",
                          "bench_intake:create_bare_app"], env, bare_port, log=logs / "intake_bare.log") as bare:
        warm = dict(clients=min(8, args.clients), seconds=1.0, max_requests=100)
        await benchlib.run_load("warm", bare_port, request_maker("/bare", centres, 0), **warm)
        await benchlib.run_load("warm", app_port, request_maker("/api/v1/public/applications", centres, 0), **warm)
        for r in range(args.rounds):
            for name, port, path, proc in (("bare", bare_port, "/bare", bare), ("app", app_port, "/api/v1/public/applications", app)):
                before = benchlib.tree_cpu_seconds(proc.pid)
                res = await benchlib.run_load(name, port, request_maker(path, centres, args.seed + r), clients=args.clients,
                                              seconds=args.seconds, max_requests=args.max_requests)
                cpu[name] += benchlib.tree_cpu_seconds(proc.pid) - before
                print(f"  round {r + 1} {name}: {res.rps:.1f} req/s, p50 {benchlib.pct(res.latencies_ms, 50):.1f} ms, "
                      f"p99 {benchlib.pct(res.latencies_ms, 99):.1f} ms, statuses {res.statuses}", flush=True)
                totals[name].merge(res)
        # With several workers the parent only supervises: the largest process is the figure.
        rss["app"] = max(benchlib.tree_rss_mb(app.pid))
        rss["bare"] = max(benchlib.tree_rss_mb(bare.pid))
    for res in totals.values():
        print(res.line())
    ratio = totals["app"].rps / totals["bare"].rps if totals["bare"].rps else float("nan")
    print(f"intake_ratio_app_to_bare {ratio:.3f} (workers {args.workers} each)")
    # The servers' own CPU per answered request (not PostgreSQL's): the part of the ratio the
    # machine's other load does not move.
    per = {k: 1000 * cpu[k] / max(1, len(totals[k].latencies_ms)) for k in cpu}
    print(f"bare_cpu_ms_per_request {per['bare']:.2f}\napp_cpu_ms_per_request {per['app']:.2f}\n"
          f"intake_cpu_ratio_bare_to_app {per['bare'] / per['app'] if per['app'] else float('nan'):.3f}")
    print(f"app_rss_mb {rss['app']:.1f}\nbare_rss_mb {rss['bare']:.1f}\nload_after {benchlib.load_average()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("JIEFEN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/jiefen_bench"))
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20.0, help="per app per round")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="per app per round")
    parser.add_argument("--rounds", type=int, default=2, help="bare then app, this many times (noise hits both)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn processes for the app and, as many, for the bare app")
    parser.add_argument("--app-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the app, e.g. JIEFEN_REDIS_URL=redis://127.0.0.1:6379/15 (jobs to Redis)")
    parser.add_argument("--log-dir", default=str(benchlib.ROOT / "var" / "bench"))
    args = parser.parse_args()
    centres = asyncio.run(prepare(args.database_url))
    asyncio.run(drive(args, centres))


if __name__ == "__main__":
    main()
