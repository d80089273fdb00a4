"""Benchmark: resident memory of one app process and one job worker after some work.

    .venv/bin/python bench/bench_memory.py --database-url postgresql://postgres@127.0.0.1:5432/jiefen_bench \
        [--redis-url redis://127.0.0.1:6379/15] [--requests 2000]

Starts the app (uvicorn, one process) and, when a Redis answers, ``jiefen worker`` with
JIEFEN_REDIS_URL, which relays the outbox to arq and runs the jobs (without Redis the app runs the jobs
itself and only the app is measured). Drives a mix of public intake, the staff queue and case
pages (a generated county supervisor's session) on loopback, waits for the worker to drain the
outbox, and prints the resident size (VmRSS) of each process: idle, and after the work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import benchlib  # noqa: E402
from bench_intake import prepare, request_maker  # noqa: E402


def redis_up(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


async def staff_session(url: str) -> tuple[str, list[int]]:
    """A session for the supervisor of the first county, and some of its case ids."""
    os.environ["JIEFEN_DATABASE_URL"] = url
    from core import db
    from core.auth.service import start_session
    from core.auth.tables import StaffUser
    from core.cases.tables import Case
    from core.orgs.tables import Organisation

    await db.startup()
    try:
        county = await Organisation.select(Organisation.id, Organisation.path).where(Organisation.type_code == "county").order_by(Organisation.id).first()
        if county is None:
            return "", []
        for user in await StaffUser.select(StaffUser.id, StaffUser.roles).where(StaffUser.organisation == county["id"]):
            roles = json.loads(user["roles"]) if isinstance(user["roles"], str) else user["roles"]
            if "supervisor" in roles:
                token, _ = await start_session(user["id"])
                ids = [r["id"] for r in await Case.select(Case.id).where(Case.place_path.like(county["path"] + "%")).limit(500)]
                return token, ids
        return "", []
    finally:
        await db.shutdown()


async def drive(args: argparse.Namespace) -> None:
    url = args.database_url
    centres = await prepare(url)
    token, case_ids = await staff_session(url)
    use_redis = bool(args.redis_url) and redis_up(args.redis_url)
    env = {"JIEFEN_DATABASE_URL": url, "JIEFEN_INTAKE_RATE_LIMIT_PER_MINUTE": "100000000", "PYTHONPATH": str(benchlib.ROOT)}
    if use_redis:
        env["JIEFEN_REDIS_URL"] = args.redis_url
    port = benchlib.free_port()
    logs = Path(args.log_dir)
    logs.mkdir(parents=True, exist_ok=True)
    print(f"memory_db {'sqlite' if url.startswith('sqlite') else 'postgresql'} redis {use_redis} "
          f"load_before {benchlib.load_average()}", flush=True)
    worker = None
    if use_redis:
        worker = subprocess.Popen([benchlib.PYTHON, "-m", "core.cli", "worker"], env={**os.environ, **env}, cwd=benchlib.ROOT,
                                  stdout=open(logs / "memory_worker.log", "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115
    try:
        with benchlib.server([benchlib.PYTHON, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                              "--log-level", "warning", "core.api.asgi:app"], env, port, log=logs / "memory_app.log") as app:
            time.sleep(2)
            print(f"app_idle_rss_mb {benchlib.rss_mb(app.pid):.1f}")
            if worker and worker.poll() is None:
                print(f"worker_idle_rss_mb {benchlib.rss_mb(worker.pid):.1f}")
            intake = request_maker("/api/v1/public/applications", centres, 5)
            rng = random.Random(5)

            def staff_get(path: str) -> bytes:
                return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: jiefen_session={token}\r\n\r\n").encode()

            def mixed(n: int) -> bytes:
                if not token or n % 3 == 0:
                    return intake(n)
                if n % 3 == 1:
                    return staff_get(rng.choice(["/api/v1/cases", "/api/v1/cases?state=in_mediation", "/api/v1/cases?overdue=true"]))
                return staff_get(f"/api/v1/cases/{rng.choice(case_ids)}" if case_ids else "/api/v1/cases")

            res = await benchlib.run_load("mixed", port, mixed, clients=16, seconds=args.seconds, max_requests=args.requests)
            print(f"mixed_requests {sum(res.statuses.values())} statuses {dict(sorted(res.statuses.items()))} errors {res.errors}")
            if worker:
                await asyncio.sleep(args.drain)
            print(f"app_after_rss_mb {benchlib.rss_mb(app.pid):.1f}")
            if worker and worker.poll() is not None:
                print(f"worker_exited {worker.returncode} (see {logs / 'memory_worker.log'})")
            elif worker:
                print(f"worker_after_rss_mb {benchlib.rss_mb(worker.pid):.1f}")
    finally:
        if worker:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
    print(f"load_after {benchlib.load_average()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("JIEFEN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/jiefen_bench"))
    parser.add_argument("--redis-url", default=os.environ.get("JIEFEN_REDIS_URL", "redis://127.0.0.1:6379/15"),
                        help="empty: no worker (jobs run in the app)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--drain", type=float, default=10.0, help="seconds to let the worker run the jobs")
    parser.add_argument("--log-dir", default=str(benchlib.ROOT / "var" / "bench"))
    asyncio.run(drive(parser.parse_args()))


if __name__ == "__main__":
    main()
