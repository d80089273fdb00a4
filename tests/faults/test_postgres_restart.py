"""PostgreSQL restarted under intake load, with the real app (uvicorn) and a real
``jiefen worker`` on Redis, against a cluster of our own (never the shared one on 5432).

Clients retry with the same Idempotency-Key on a lost connection or a 5xx, as a real client
would. Asserted: every acknowledged intake is stored once, no retry made a second case,
case numbers are gapless, while the database is down the app answers a 503 problem (zh and en)
and never a 500, the app and the worker recover without a restart, every outbox row is done
with its effect present, and the worker's cron ticks (it used to die at its first tick)."""

from __future__ import annotations

import asyncio
import shutil
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.faults import helpers as f
from tests.jobs.helpers import RedisServer, new_queue, temp_file

pytestmark = [pytest.mark.slow, pytest.mark.redis]

INTAKES = 45
CLIENTS = 6


def _body(site: dict[str, Any], key: str, staff: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "walk_in" if staff else "online", "dispute_type": "labour", "description": _marker(key),
        "place_id": site["village_id"],
        "parties": [
            {"name": "张三", "role": "applicant", "phone": "13800138000"},
            {"name": "某某制衣厂", "role": "respondent", "kind": "company", "phone": "076988888888"},
        ],
    }
    if staff:
        return {**body, "accept_now": True, "rights_notified": True, "consent": True}
    return {**body, "centre_id": site["centre_id"]}


def _marker(key: str) -> str:
    return f"数据库重启测试 {key}"


@pytest.fixture
def cluster():
    reason = f.why_no_cluster()
    if reason:
        pytest.skip(reason)
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    pg = f.PostgresCluster(f.port(f.PG_PORT)).init()
    pg.start()
    try:
        yield pg
    finally:
        pg.destroy()


async def test_postgres_restarted_under_intake_load(cluster, tmp_path):
    import asyncpg
    import httpx

    redis = RedisServer(f.port(f.REDIS_PORT))
    redis.start()
    app = worker = None
    try:
        url = await cluster.create_database("jiefen")
        sent_file = temp_file("jf-sent-")
        env = f.site_env(url, redis.url, new_queue(), str(tmp_path / "data"), JFTEST_SENT_FILE=sent_file, JIEFEN_JOBS_CRON="true")
        site = await asyncio.to_thread(f.prepare_site, env)
        app_port = f.port(f.APP_PORT)
        base = f"http://127.0.0.1:{app_port}"
        app = f.app_process(env, app_port).start()
        worker = f.worker_process(env).start()
        worker_started = datetime.now(UTC)
        await f.wait_for_http(f"{base}/health", 90, app)
        app_pid = app.proc.pid

        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            login = await http.post("/api/v1/auth/login", json={"username": site["window"], "password": site["password"]})
            assert login.status_code == 200, login.text
            staff_headers = {"Cookie": f"jiefen_session={login.cookies['jiefen_session']}", "X-CSRF-Token": login.json()["csrf_token"]}
            http.cookies.clear()
            ledger, accepted_keys = f.Ledger(), set()
            deadline = time.monotonic() + 120
            gate = asyncio.Semaphore(CLIENTS)

            async def intake(i: int) -> None:
                key, staff = f.new_key(), i % 3 == 0
                body = _body(site, key, staff)
                ledger.bodies[key] = body
                if staff:
                    accepted_keys.add(key)
                path, headers = ("/api/v1/cases", staff_headers) if staff else ("/api/v1/public/applications", {})
                async with gate:
                    await f.send_until_acknowledged(
                        lambda: http.post(path, json=body, headers={**headers, "Idempotency-Key": key}), key, ledger, deadline=deadline,
                    )

            down: dict[str, Any] = {}

            async def restart() -> None:
                while len(ledger.acked) < INTAKES // 3:
                    await asyncio.sleep(0.05)
                await asyncio.to_thread(cluster.stop)
                down["at"] = time.monotonic()
                # While it is down: a clear problem in the asker's language, and not ready.
                down["zh"] = await http.get("/api/v1/public/dispute-types")
                down["en"] = await http.get("/api/v1/public/dispute-types", headers={"Accept-Language": "en"})
                down["ready"] = await http.get("/health/ready")
                down["live"] = await http.get("/health")
                await asyncio.sleep(1.5)  # the clients keep trying meanwhile
                await asyncio.to_thread(cluster.start)
                down["back"] = time.monotonic()

            try:
                await asyncio.gather(restart(), *(intake(i) for i in range(INTAKES)))
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{app.output()}\n{worker.output()}") from None
            ready_after = await http.get("/health/ready")

        failure_log = lambda: app.output() + "\n" + worker.output()  # noqa: E731
        # Never a 500; while down, 503 problems in both languages; liveness still answers.
        assert ledger.server_errors == [], (ledger.server_errors[:3], failure_log())
        for lang, title in (("zh", "服务暂时不可用,请稍后重试。"), ("en", "The service is briefly unavailable. Please try again in a moment.")):
            resp = down[lang]
            assert resp.status_code == 503, (lang, resp.status_code, resp.text)
            problem = resp.json()
            assert resp.headers["content-type"].startswith("application/problem+json") and resp.headers["retry-after"]
            assert problem["code"] == "unavailable" and problem["title"] == title and problem["detail"] == title, problem
            assert "Traceback" not in resp.text and "asyncpg" not in resp.text
        assert all(p["code"] == "unavailable" for p in ledger.unavailable), ledger.unavailable[:3]
        assert down["ready"].status_code == 503 and down["ready"].json()["checks"]["database"]["ok"] is False
        assert down["live"].status_code == 200
        # The clients felt the outage and retried, and the same app process served them after it.
        assert ledger.retried_keys, "no client had to retry: the restart did not hit the load"
        assert any(t > down["back"] for t in ledger.acked_at.values()), "nothing was acknowledged after the restart"
        assert app.alive and app.proc.pid == app_pid, failure_log()
        assert worker.alive, failure_log()
        assert ready_after.status_code == 200, ready_after.text

        conn = await asyncpg.connect(url)
        try:
            fetch = f.asyncpg_fetch(conn)
            assert len(ledger.acked) == INTAKES
            case_ids = await f.assert_stored_exactly_once(fetch, ledger, _marker)
            # Nothing else was stored: every attempt that did not answer 2xx left nothing behind.
            all_cases = await fetch("SELECT id, number, application_ref FROM dispute_case")
            assert len(all_cases) == INTAKES, f"{len(all_cases)} cases for {INTAKES} acknowledged intakes"
            accepted_ids = {ledger.acked[k]["id"] for k in accepted_keys}
            # Registration numbers the case: gapless among the registered, references for the rest.
            f.assert_gapless([r["number"] for r in all_cases if r["id"] in accepted_ids])
            assert all(r["number"] == r["application_ref"] for r in all_cases if r["id"] not in accepted_ids)
            assert (await fetch("SELECT count(*) AS n FROM idempotency_record"))[0]["n"] == INTAKES
            accepted = {ledger.acked[k]["id"] for k in accepted_keys}
            await f.assert_timelines_once(fetch, case_ids, lambda cid: {"submit": 1, "accept": 1} if cid in accepted else {"submit": 1})
            await f.wait_drained(fetch, case_ids, 120, failure_log)
            statuses = await f.assert_jobs_ran(fetch, case_ids, accepted, sent_file)
            assert statuses.get("sent"), statuses

            # The worker's cron ticked (once a minute): a ladder row for a minute after it started, done.
            async def ticked() -> bool:
                rows = await fetch("SELECT status, created_at FROM outbox_job WHERE job = 'deadline_ladder' AND status = 'done'")
                return any(r["created_at"] >= worker_started for r in rows)

            tick_deadline = time.monotonic() + 75
            while not await ticked():
                assert time.monotonic() < tick_deadline, "the worker's cron never ticked\n" + worker.output()
                assert worker.alive, "the worker died\n" + worker.output()
                await asyncio.sleep(1)
        finally:
            await conn.close()
    finally:
        for proc in (app, worker):
            if proc is not None:
                proc.stop()
        redis.stop()
