"""The fault tests' tools: a PostgreSQL cluster of our own to restart (never the shared one on
5432), the real app and worker as subprocesses, clients that retry like a real client, and
the three checks every scenario ends with: what was acknowledged is stored, exactly once,
and every job of the outbox ran (with its effect present)."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.jobs.helpers import PLUGIN_DIR, ROOT, lines, port_open

NUMBER = re.compile(r"〔(\d{4})〕(\d+)号")
# Ports given to these tests; another free one is taken when one is busy (a parallel run).
APP_PORT, PG_PORT, REDIS_PORT = 8105, 5440, 6391


def port(preferred: int) -> int:
    if not port_open(preferred):
        return preferred
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- a PostgreSQL cluster of our own -------------------------------------------------------


def postgres_binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def why_no_cluster() -> str | None:
    """None when a throwaway cluster can be made here, else the reason to skip."""
    if postgres_binaries() is None:
        return "PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) are not installed"
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        return "needs root and runuser to run the cluster as the postgres user"
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError:
        return "no postgres OS user"
    return None


class PostgresCluster:
    """initdb into a temporary directory, run as ``postgres`` on its own port, trust auth."""

    def __init__(self, port_number: int):
        self.port = port_number
        self.bin = postgres_binaries()
        self.dir = Path(tempfile.mkdtemp(prefix="jf-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        shutil.chown(self.dir, "postgres", "postgres")

    def _as_postgres(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, timeout=timeout, capture_output=True)

    def init(self) -> PostgresCluster:
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                          "--no-locale", "--no-sync")
        return self

    def start(self) -> None:
        # Durability is not under test here; fsync off keeps the cluster quick on a busy machine.
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    async def create_database(self, name: str) -> str:
        import asyncpg

        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.url(name)


# --- the app and the worker as subprocesses ----------------------------------------------


def site_env(database_url: str, redis_url: str, queue: str, data_dir: str, **extra: str) -> dict[str, str]:
    """The environment of one deployment: its database, Redis, queue and files."""
    return {
        **os.environ, "JIEFEN_DATABASE_URL": database_url, "JIEFEN_REDIS_URL": redis_url, "JIEFEN_JOBS_QUEUE": queue,
        "JIEFEN_DATA_DIR": data_dir, "JIEFEN_PLUGINS_DIR": str(PLUGIN_DIR), "JIEFEN_INTAKE_RATE_LIMIT_PER_MINUTE": "100000",
        "JIEFEN_JOBS_RELAY_INTERVAL": "0.5", "PYTHONPATH": str(ROOT), **extra,
    }


def prepare_site(env: dict[str, str]) -> dict[str, Any]:
    """Migrate the deployment's database and make a town in it (in a subprocess: this
    process's database is the test database)."""
    out = subprocess.run([sys.executable, "-m", "tests.faults.deployment"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-4000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


class Process:
    """A subprocess whose output goes to a log we can show when a check fails."""

    def __init__(self, args: list[str], env: dict[str, str], name: str):
        self.args, self.env, self.name = args, env, name
        self.log = Path(tempfile.mkstemp(prefix=f"jf-{name}-", suffix=".log")[1])
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=out, stderr=out)
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            self.proc = None

    def output(self) -> str:
        return f"--- {self.name} log ---\n" + self.log.read_text(errors="replace")[-6000:]


def app_process(env: dict[str, str], port_number: int) -> Process:
    return Process([sys.executable, "-m", "uvicorn", "core.api.asgi:app", "--host", "127.0.0.1", "--port", str(port_number),
                    "--no-access-log"], env, "app")


def worker_process(env: dict[str, str]) -> Process:
    return Process([sys.executable, "-m", "core.cli", "worker"], env, "worker")


async def wait_for_http(url: str, timeout: float = 60, proc: Process | None = None) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return
            if proc is not None and not proc.alive:
                raise AssertionError(f"{proc.name} exited\n{proc.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not answer" + (f"\n{proc.output()}" if proc else ""))
            await asyncio.sleep(0.2)


# --- clients that retry as a real one would ----------------------------------------------


@dataclass
class Ledger:
    """What the clients saw: each key's acknowledgement, and every other answer on the way."""

    acked: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> the 2xx body
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> what was sent
    statuses: Counter[int] = field(default_factory=Counter)
    connection_errors: int = 0
    unavailable: list[dict[str, Any]] = field(default_factory=list)  # 503 problems seen
    server_errors: list[str] = field(default_factory=list)  # 500s: never acceptable
    retried_keys: set[str] = field(default_factory=set)
    acked_at: dict[str, float] = field(default_factory=dict)  # key -> time.monotonic()


async def send_until_acknowledged(
    send: Callable[[], Awaitable[Any]], key: str, ledger: Ledger, *, deadline: float, pause: float = 0.3,
) -> dict[str, Any]:
    """Send one request (always the same Idempotency-Key) until it is acknowledged: on a lost
    connection or a 5xx the client cannot know whether it was stored, so it sends it again."""
    import httpx

    tries = 0
    while True:
        tries += 1
        if tries > 1:
            ledger.retried_keys.add(key)
        try:
            resp = await send()
        except httpx.TransportError:
            ledger.connection_errors += 1
        else:
            ledger.statuses[resp.status_code] += 1
            if 200 <= resp.status_code < 300:
                ledger.acked[key] = resp.json()
                ledger.acked_at[key] = time.monotonic()
                return resp.json()
            if resp.status_code == 503:
                ledger.unavailable.append(resp.json())
            elif resp.status_code >= 500:
                ledger.server_errors.append(resp.text[:500])
            else:
                raise AssertionError(f"refused {resp.status_code}: {resp.text[:500]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"key {key} not acknowledged in time; answers so far {dict(ledger.statuses)}, "
                                 f"{ledger.connection_errors} lost connections, last 5xx {(ledger.server_errors or ledger.unavailable or [''])[-1]}")
        await asyncio.sleep(pause)


def new_key() -> str:
    return f"fault-{uuid.uuid4()}"


# --- the three checks ----------------------------------------------------------------------

Fetch = Callable[..., Awaitable[list[dict[str, Any]]]]


def asyncpg_fetch(conn: Any) -> Fetch:
    """Queries written with ``{}`` placeholders, run on an asyncpg connection."""

    async def fetch(sql: str, *params: Any) -> list[dict[str, Any]]:
        counter = iter(range(1, len(params) + 1))
        text = re.sub(r"\{\}", lambda _: f"${next(counter)}", sql)
        return [dict(r) for r in await conn.fetch(text, *params)]

    return fetch


async def piccolo_fetch(sql: str, *params: Any) -> list[dict[str, Any]]:
    """The same queries on this process's test database (either engine)."""
    from core.cases.tables import Case

    return list(await Case.raw(sql, *params))


def _in(ids: list[int]) -> str:
    return "(" + ",".join(str(int(i)) for i in ids) + ")" if ids else "(NULL)"


async def assert_stored_exactly_once(fetch: Fetch, ledger: Ledger, marker_of: Callable[[str], str]) -> list[int]:
    """Every acknowledged key has its case, under the number it was told, and only one case
    carries its request's marker (a retry after a lost answer made no second case)."""
    assert ledger.acked, "nothing was acknowledged"
    case_ids = []
    for key, answer in ledger.acked.items():
        rows = await fetch("SELECT id, number FROM dispute_case WHERE description = {}", marker_of(key))
        assert len(rows) == 1, f"{key}: {len(rows)} cases stored for one acknowledged request"
        assert rows[0]["id"] == answer["id"] and rows[0]["number"] == answer["number"], (key, rows, answer)
        case_ids.append(answer["id"])
    assert len(set(case_ids)) == len(case_ids), "two keys were answered with one case"
    numbers = [r["number"] for r in await fetch(f"SELECT number FROM dispute_case WHERE id IN {_in(case_ids)}")]
    assert len(set(numbers)) == len(numbers), "a case number was given twice"
    return case_ids


def assert_gapless(numbers: list[str]) -> None:
    seqs = sorted(int(NUMBER.search(n).group(2)) for n in numbers)
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"numbers have gaps: {seqs}"


async def assert_timelines_once(fetch: Fetch, case_ids: list[int], expected: dict[str, int] | Callable[[int], dict[str, int]]) -> None:
    """Each case has each event once (``expected``: event name -> count) and a gapless chain."""
    rows = await fetch(f'SELECT "case" AS case_id, name, seq FROM case_event WHERE "case" IN {_in(case_ids)} ORDER BY "case", seq')
    by_case: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        by_case.setdefault(r["case_id"], []).append(r)
    for cid in case_ids:
        events = by_case.get(cid, [])
        want = expected(cid) if callable(expected) else expected
        assert dict(Counter(e["name"] for e in events)) == want, (cid, [e["name"] for e in events])
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), (cid, [e["seq"] for e in events])


async def outbox_of(fetch: Fetch, case_ids: list[int]) -> list[dict[str, Any]]:
    return await fetch(f"SELECT id, job, status, attempts, last_error, dedupe_key, case_id FROM outbox_job WHERE case_id IN {_in(case_ids)} ORDER BY id")


async def wait_drained(fetch: Fetch, case_ids: list[int], timeout: float, on_timeout: Callable[[], str] = lambda: "") -> list[dict[str, Any]]:
    """Until every outbox row of these cases is done; then the rows."""
    deadline = time.monotonic() + timeout
    while True:
        rows = await outbox_of(fetch, case_ids)
        if rows and all(r["status"] == "done" for r in rows):
            return rows
        if time.monotonic() > deadline:
            stuck = [r for r in rows if r["status"] != "done"]
            raise AssertionError(f"outbox not drained: {stuck[:10]}\n{on_timeout()}")
        await asyncio.sleep(0.3)


async def assert_jobs_ran(fetch: Fetch, case_ids: list[int], accepted: set[int], sent_file: str | None) -> dict[str, int]:
    """Every row done, one ``deliver_event`` per event, the acceptance's jobs queued by it, and
    their effects: each party told once (one inbox row), each outside delivery sent at most
    once (``uncertain`` when a crash hit mid-send), none still waiting."""
    rows = await outbox_of(fetch, case_ids)
    assert rows and {r["status"] for r in rows} == {"done"}, [r for r in rows if r["status"] != "done"][:5]
    keys = [r["dedupe_key"] for r in rows if r["dedupe_key"]]
    assert len(keys) == len(set(keys))
    events = await fetch(f'SELECT id, "case" AS case_id, name FROM case_event WHERE "case" IN {_in(case_ids)}')
    delivered = {r["dedupe_key"] for r in rows if r["job"] == "deliver_event"}
    assert delivered == {f"event:{e['id']}" for e in events}, "an event's deliver_event job is missing or extra"
    from core.notifications.jobs import TELLING_EVENTS

    notify = {r["dedupe_key"] for r in rows if r["job"] == "notify_event"}
    assert notify == {f"event:{e['id']}:notify" for e in events if e["name"] in TELLING_EVENTS}, "a telling event was not told, or twice"
    jobs = Counter((r["case_id"], r["job"]) for r in rows)
    for cid in accepted:
        assert jobs[(cid, "render_document")] >= 1, (cid, jobs)  # the receipt, queued by the acceptance
    notes = await fetch(f"SELECT id, case_id, party_id, kind, dedupe_key FROM notification WHERE case_id IN {_in(case_ids)}")
    told = Counter((n["case_id"], n["party_id"]) for n in notes if n["kind"] == "case_accepted")
    parties = await fetch(f"""SELECT id, "case" AS case_id FROM party WHERE "case" IN {_in(sorted(accepted))} AND role IN ('applicant', 'respondent')""")
    assert set(told) == {(p["case_id"], p["id"]) for p in parties} and set(told.values()) <= {1}, "a party was told not once"
    deliveries = await fetch(
        f"SELECT d.id, d.status, d.channel, n.dedupe_key FROM notification_delivery d JOIN notification n ON n.id = d.notification WHERE n.case_id IN {_in(case_ids)}"
    )
    statuses = Counter(d["status"] for d in deliveries)
    assert set(statuses) <= {"sent", "uncertain"}, statuses
    assert deliveries or not accepted, "the acceptances were told through no outside channel"
    if sent_file is not None:
        sent = Counter(lines(sent_file))
        ours = {f"{d['dedupe_key']}:{d['channel']}": d for d in deliveries if d["channel"] == "jftest_sms"}
        assert ours, "no message went through the capture channel"
        assert all(sent[k] == 1 for k, d in ours.items() if d["status"] == "sent"), "a sent message is missing or went twice"
        assert all(sent[k] <= 1 for k in ours), "a message went out twice"
    return dict(statuses)
