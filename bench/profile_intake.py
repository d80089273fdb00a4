"""Where one public intake spends its time: the app in process (httpx ASGITransport), one
application at a time, under cProfile.

    .venv/bin/python bench/profile_intake.py --database-url postgresql://postgres@127.0.0.1:5432/jiefen_bench \
        [--requests 300] [--top 25]

Prints the mean wall time and CPU time per intake, the SQL statements one intake sends (counted
at the driver), and the functions with the most cumulative time. Not a throughput figure: see
bench_intake.py for that.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_intake  # noqa: E402


async def main(args: argparse.Namespace) -> None:
    # Before anything reads the settings.
    os.environ["JIEFEN_INTAKE_RATE_LIMIT_PER_MINUTE"] = "100000000"
    centres = await bench_intake.prepare(args.database_url)
    import httpx

    from core.api.app import create_app

    # Jobs are left in the outbox: this measures the request, not the runner.
    app = create_app(run_jobs=False)
    make = bench_intake.request_maker("/api/v1/public/applications", centres, 7)
    statements: list[str] = []
    # The app in this thread and loop (a test client would run it in another thread, out of
    # the profiler's sight).
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        async def one(n: int) -> None:
            raw = make(n)
            head, body = raw.split(b"\r\n\r\n", 1)
            key = [line.split(b": ", 1)[1] for line in head.split(b"\r\n") if line.lower().startswith(b"idempotency-key")][0]
            resp = await client.post("/api/v1/public/applications", content=body,
                                     headers={"content-type": "application/json", "idempotency-key": key.decode()})
            assert resp.status_code == 201, resp.text

        for n in range(20):  # warm the caches and the pool
            await one(n)
        _count_statements(statements)
        await one(10_000)
        per_intake = list(statements)
        statements.clear()
        # Without the profiler first: its overhead would double the CPU figure.
        plain_wall, plain_cpu = time.perf_counter(), time.process_time()
        for n in range(args.requests):
            await one(30_000 + n)
        plain_wall, plain_cpu = time.perf_counter() - plain_wall, time.process_time() - plain_cpu
        profile = cProfile.Profile()
        wall, cpu = time.perf_counter(), time.process_time()
        profile.enable()
        for n in range(args.requests):
            await one(20_000 + n)
        profile.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"intake_profile requests {args.requests} wall_ms_per_intake {1000 * plain_wall / args.requests:.2f} "
          f"cpu_ms_per_intake {1000 * plain_cpu / args.requests:.2f} (client included) statements_per_intake {len(per_intake)}; "
          f"under cProfile: wall {1000 * wall / args.requests:.2f} cpu {1000 * cpu / args.requests:.2f}")
    for sql in per_intake:
        print("  sql:", " ".join(sql.split())[:140])
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())


def _count_statements(into: list[str]) -> None:
    """Record every statement sent through asyncpg or aiosqlite from now on."""
    try:
        import asyncpg.connection as pgconn

        for name in ("execute", "fetch", "fetchrow", "fetchval", "executemany"):
            original = getattr(pgconn.Connection, name)

            def wrapped(self, query, *a, __original=original, **k):  # type: ignore[no-untyped-def]
                into.append(str(query))
                return __original(self, query, *a, **k)

            setattr(pgconn.Connection, name, wrapped)
    except ImportError:
        pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("JIEFEN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/jiefen_bench"))
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    asyncio.run(main(parser.parse_args()))
