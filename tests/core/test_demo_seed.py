"""The demo town loads through the real lifecycle, in every state, with intact timelines."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_seed_demo_in_a_fresh_database(tmp_path: Path) -> None:
    env = {**os.environ, "JIEFEN_DATA_DIR": str(tmp_path), "JIEFEN_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    run = lambda *args: subprocess.run([sys.executable, "-m", "core.cli", *args], env=env, capture_output=True, text=True, timeout=600)  # noqa: E731
    assert run("migrate").returncode == 0
    seeded = run("seed-demo", "--cases", "60")
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    assert "window" in seeded.stdout and "jiefen-demo" in seeded.stdout
    again = run("seed-demo")
    assert "already" in again.stdout
    audit = run("audit", "verify")
    assert audit.returncode == 0 and "0 broken" in audit.stdout
    import sqlite3

    with sqlite3.connect(tmp_path / "demo.db") as db:
        states = {row[0] for row in db.execute("select distinct state from dispute_case")}
        mediators = db.execute("select count(*) from mediator").fetchone()[0]
    assert {"submitted", "registered", "in_mediation", "agreed", "closed"} <= states
    assert mediators >= 30
