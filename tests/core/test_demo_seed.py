"""The demo town loads through the real lifecycle, in every state, with intact timelines,
submissions spread over the last two months, and its committees' signing keys in place."""

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

# Issue one receipt of the seeded town with the same job the outbox runs; print its signer.
SIGN_RECEIPT = """
import asyncio, sys
async def main():
    from core import db
    from core.agreements.issue import read_document
    from core.agreements.jobs import render_document
    from core.agreements.tables import DocumentRecord
    from core.cases.tables import Case
    await db.startup()
    try:
        case = await Case.select(Case.id).where(Case.state == "registered").order_by(Case.id).first()
        await render_document({"kind": "receipt", "source_id": case["id"], "case_id": case["id"]})
        rec = await DocumentRecord.select().where((DocumentRecord.kind == "receipt") & (DocumentRecord.case == case["id"])).first()
        open(sys.argv[1], "wb").write(read_document(rec["storage_key"]))
        print(rec["signer_name"])
    finally:
        await db.shutdown()
asyncio.run(main())
"""


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
        submitted = [datetime.fromisoformat(r[0]) for r in db.execute("select submitted_at from dispute_case order by id")]
        # Registration numbers a case, in the order of registration; the rest keep their reference.
        numbers = [r[0] for r in db.execute("select number from dispute_case where registered_at is not null order by registered_at")]
        references = [r[0] for r in db.execute("select number from dispute_case where registered_at is null")]
        committees = [r for r in db.execute("select id, name from organisation where type_code = 'committee'")]
        late_events = db.execute(
            "select count(*) from case_event e join dispute_case c on c.id = e.\"case\" where e.at < c.submitted_at"
        ).fetchone()[0]
    assert {"submitted", "registered", "in_mediation", "agreed", "closed"} <= states
    assert mediators >= 30

    # Spread over ~60 days, oldest first: no day holds more than a tenth of the cases, and the
    # last 30 days (the dashboard's chart) hold about half of them on many different days.
    now = datetime.now(UTC)
    submitted = [t if t.tzinfo else t.replace(tzinfo=UTC) for t in submitted]
    assert min(submitted) < now - timedelta(days=50) and max(submitted) <= now
    # Gapless from 1 (the demo registers each case a few hours after it came in, so two cases
    # of one afternoon may take their numbers in the other order than their backdated times).
    assert submitted == sorted(submitted) and sorted(int(re.search(r"〕(\d+)号", n).group(1)) for n in numbers) == list(range(1, len(numbers) + 1))
    assert references and all(n.startswith("申") for n in references)
    per_day = Counter(t.date() for t in submitted)
    assert max(per_day.values()) <= 6 and len(per_day) >= 40
    recent = [t for t in submitted if t > now - timedelta(days=30)]
    assert 20 <= len(recent) <= 40 and len({t.date() for t in recent}) >= 15
    assert late_events == 0  # no event before its case's submission

    # Each committee has its development key, and a receipt comes out signed by it.
    assert committees
    for org_id, _name in committees:
        assert (tmp_path / "keys" / f"org-{org_id}" / "committee-key.pem").is_file()
    pdf = tmp_path / "receipt.pdf"
    signed = subprocess.run([sys.executable, "-c", SIGN_RECEIPT, str(pdf)], env=env, capture_output=True, text=True, timeout=600)
    assert signed.returncode == 0, signed.stderr[-2000:]
    assert signed.stdout.strip().splitlines()[-1] == "和平镇人民调解委员会"
    if shutil.which("pdfsig"):
        report = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True).stdout
        assert "Signer Certificate Common Name: 和平镇人民调解委员会" in report and "Signature is Valid." in report
    else:  # pragma: no cover - poppler-utils is part of the test image
        assert b"/ByteRange" in pdf.read_bytes()
