"""Smoke tests for bench/: the generator makes valid data, and each benchmark runs at a tiny
size and prints its figures. No timing is asserted (figures belong in docs/performance.md)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))


def _run(args: list[str], db_url: str, timeout: float = 240) -> str:
    env = {**os.environ, "JIEFEN_DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def _figures(out: str) -> dict[str, str]:
    return {parts[0]: parts[1] for line in out.splitlines() if len(parts := line.split()) >= 2}


def test_chunk_rows_chain_and_shape() -> None:
    """In memory, no database: timelines chain, numbers are unique, the spread looks alive."""
    import generate as g

    from core.cases.timeline import GENESIS, event_hash

    tree = g.build_tree(2, seed=3, org_base=1, user_base=1, mediator_base=1)
    now = datetime.now(UTC)
    cum, acc = [], 0.0
    for w in tree.village_weights:
        acc += w
        cum.append(acc)
    n = 600
    ctx = g.Ctx(tree, g.Clock(n, now), now, 3, "解纷", "{prefix}调〔{year}〕{seq:04d}号", 1, ["13800000000"] * 50, cum)
    cases, parties, events, deadlines = g.generate_chunk(ctx, 0, n)
    assert len(cases) == n and len({c[1] for c in cases}) == n  # case numbers unique
    assert 2 * n <= len(parties) <= 4 * n
    by_case: dict[int, list[tuple]] = {}
    for e in events:
        by_case.setdefault(e[0], []).append(e)
    import json

    for case_id, rows in by_case.items():
        assert 1 <= len(rows) <= 10
        prev = GENESIS
        for seq, row in enumerate(rows, start=1):
            assert row[1] == seq and row[9] == prev
            digest = event_hash(case_id=case_id, seq=row[1], name=row[2], from_state=row[3], to_state=row[4], actor_id=row[5],
                                actor_label=row[6], at=row[7], payload=json.loads(row[8]), prev_hash=prev)
            assert digest == row[10]
            prev = digest
    states = Counter(c[7] for c in cases)
    assert states["closed"] > n * 0.4 and len(states) >= 6
    types = Counter(c[3] for c in cases)
    assert types.most_common(1)[0][0] == "labour"
    assert any(c[25] is not None and c[25] < now for c in cases)  # some open cases are overdue
    assert all(d[0] in by_case for d in deadlines)


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    path = tmp_path_factory.mktemp("bench") / "bench.db"
    url = f"sqlite:///{path}"
    out = _run([str(BENCH / "generate.py"), "--database-url", url, "--cases", "400", "--chunk", "150",
                "--workers", "1", "--verify-sample", "50"], url)
    return url, out


@pytest.mark.slow
def test_generate_loads_and_verifies(tiny_db: tuple[str, str]) -> None:
    url, out = tiny_db
    figures = _figures(out)
    assert figures["cases"] == "400" and "rows_per_s" in out
    assert "verify_sample" in out and " broken 0 " in out
    db = sqlite3.connect(url.removeprefix("sqlite:///"))
    assert db.execute("SELECT COUNT(*) FROM dispute_case").fetchone()[0] == 400
    assert db.execute("SELECT COUNT(DISTINCT number) FROM dispute_case").fetchone()[0] == 400
    assert db.execute("SELECT MAX(value) FROM case_counter").fetchone()[0] > 0
    # The dashboard's case counts were built for every organisation on any of a case's paths.
    expected: Counter[tuple[int, str, str, str]] = Counter()
    for state, dtype, risk, *paths in db.execute(
        "SELECT state, dispute_type, risk_level, org_path, place_path, assigned_org_path FROM dispute_case"
    ):
        for org in {int(p) for path in paths for p in (path or "").split("/") if p}:
            expected[(org, state, dtype, risk)] += 1
    kept = Counter({tuple(r[:4]): r[4] for r in db.execute(
        "SELECT organisation, state, dispute_type, risk_level, n FROM case_count")})
    assert kept == expected and len(kept) > 50
    # And the overdue figure's due counts: open cases with a deadline by organisation, hour, state.
    due: Counter[tuple[int, int, str]] = Counter()
    for state, next_due_at, *paths in db.execute(
        "SELECT state, next_due_at, org_path, place_path, assigned_org_path FROM dispute_case"
        " WHERE next_due_at IS NOT NULL AND state NOT IN ('rejected', 'withdrawn', 'closed')"
    ):
        hour = int(datetime.fromisoformat(next_due_at).timestamp() // 3600)
        for org in {int(p) for path in paths for p in (path or "").split("/") if p}:
            due[(org, hour, state)] += 1
    kept_due = Counter({tuple(r[:3]): r[3] for r in db.execute("SELECT organisation, due_hour, state, n FROM case_due_count")})
    assert kept_due == due and len(kept_due) > 10
    db.close()
    # The project's own check agrees on every timeline.
    verified = _run(["-m", "core.cli", "audit", "verify"], url)
    assert "400 case(s) checked, 0 broken" in verified


@pytest.mark.slow
def test_bench_queue_runs(tiny_db: tuple[str, str]) -> None:
    url, _ = tiny_db
    out = _run([str(BENCH / "bench_queue.py"), "--database-url", url, "--repeat", "3"], url)
    figures = out.split()
    for name in ("county_all", "county_search_phone", "village_all", "case_detail", "dashboard_county",
                 "dashboard_county_group_by", "dashboard_page_county_year", "process_rss_mb"):
        assert name in figures, out
    assert "DIFFER" not in out  # the kept counts equal the GROUP BY over the cases


@pytest.mark.slow
def test_bench_intake_runs(tiny_db: tuple[str, str]) -> None:
    url, _ = tiny_db
    out = _run([str(BENCH / "bench_intake.py"), "--database-url", url, "--clients", "4", "--seconds", "1",
                "--rounds", "1", "--max-requests", "20", "--log-dir", str(Path(url.removeprefix("sqlite:///")).parent)], url)
    figures = _figures(out)
    assert float(figures["intake_ratio_app_to_bare"]) > 0, out
    assert figures["app_requests"] != "0" and "errors 0" in out
    assert float(figures["app_rss_mb"]) > 0
