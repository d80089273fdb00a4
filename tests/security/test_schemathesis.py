"""Schemathesis against the API's own OpenAPI document (/schema/openapi.json).

A real uvicorn process serves the app on the test database; the attack suite's world (town A
with a case in every state the routes need, plugin objects, keys) gives each path parameter a
real id besides the generated ones. Every operation is run signed in as town A's staff (session
cookie plus CSRF header) and anonymously, with schema-valid and schema-violating data. Checks:
no 5xx, the status code is documented, the content type is the documented one, the body matches
the documented schema (the problem schema for errors). Bounded and deterministic: Hypothesis
is derandomised, a few examples per operation (JIEFEN_SCHEMATHESIS_EXAMPLES)."""

from __future__ import annotations

import collections
import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.world import World

pytestmark = [pytest.mark.db, pytest.mark.slow]

EXAMPLES = int(os.environ.get("JIEFEN_SCHEMATHESIS_EXAMPLES", "3"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Path parameters whose world entry has another name.
ALIASES = {"name": "open311_name", "token": "ics_token"}
# Signing out would end the session the rest of the run uses.
SKIP_SIGNED_IN = frozenset({"POST /api/v1/auth/logout"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app in its own process on the same database (sessions and the world are rows there)."""
    port = int(os.environ.get("JIEFEN_TEST_SERVER_PORT") or _free_port())
    log = tmp_path_factory.mktemp("schemathesis") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "core.api.asgi:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=os.environ.copy(), stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}")
        yield base, log
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@dataclass
class Run:
    operations: set[str] = field(default_factory=set)
    examples: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)

    def report(self) -> str:
        return "\n\n".join(f"{op}: {title}\n{detail}" for (op, title), detail in sorted(self.failures.items()))


def _fuzz(schema: Any, base: str, run: Run, *, headers_for: Any, mode: GenerationMode, examples: int, ids: dict[str, Any], skip: frozenset[str] = frozenset()) -> None:
    http = requests.Session()
    for result in schema.get_all_operations():
        op = result.ok()
        if op.label in skip:
            continue
        names = re.findall(r"{(\w+)}", op.path)
        real = {n: ids[ALIASES.get(n, n)] for n in names if ids.get(ALIASES.get(n, n)) not in (None, 0, "0")}
        strategy = op.as_strategy(generation_mode=mode)
        if names and len(real) == len(names):
            strategy = st.one_of(op.as_strategy(generation_mode=mode, path_parameters=real), strategy)
        run.operations.add(op.label)
        with contextlib.suppress(Unsatisfiable):  # nothing in this operation can be made invalid
            _examples(op.label, strategy, base, http, headers_for(op.path), run, mode, examples)


def _examples(label: str, strategy: Any, base: str, http: requests.Session, headers: dict[str, str], run: Run, mode: GenerationMode, examples: int) -> None:
    @settings(
        max_examples=examples, derandomize=True, database=None, deadline=None, phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
    )
    @given(case=strategy)
    def one(case: Any) -> None:
        response = case.call(base_url=base, session=http, headers=headers, timeout=60)
        run.examples += 1
        run.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                run.failures.setdefault(
                    (label, failure.title),
                    f"{mode.value}, status {response.status_code}: {failure.message[:600]}\n"
                    f"{case.as_curl_command(headers=headers)[:800]}\nbody: {response.content[:400].decode(errors='replace')}",
                )

    one()


def test_schemathesis_finds_no_server_errors_and_no_schema_mismatches(world: World, server: tuple[str, Path]) -> None:
    base, log = server
    schema = schemathesis.openapi.from_url(f"{base}/schema/openapi.json")
    staff = {k: v for k, v in world.sessions.items() if k.startswith("a:")}

    def signed_in(path: str) -> dict[str, str]:
        # Actions as the case's mediator, everything else as the county's admin and supervisor.
        who = "a:committee_mediator" if "/actions/" in path else "a:county_admin"
        return dict(staff[who].headers)

    run = Run()
    started = time.monotonic()
    for mode, examples in ((GenerationMode.POSITIVE, EXAMPLES), (GenerationMode.NEGATIVE, max(2, EXAMPLES // 2))):
        _fuzz(schema, base, run, headers_for=signed_in, mode=mode, examples=examples, ids=world.ids, skip=SKIP_SIGNED_IN)
        # Anonymous: one example each way is enough to see the 401s documented and no 5xx.
        _fuzz(schema, base, run, headers_for=lambda path: {}, mode=mode, examples=1, ids=world.ids)
    elapsed = time.monotonic() - started
    print(
        f"\nschemathesis: {len(run.operations)} operations, {run.examples} requests in {elapsed:.0f} s; "
        f"statuses {dict(sorted(run.statuses.items()))}; {len(run.failures)} distinct failures"
    )
    assert len(run.operations) > 150
    # Signed-in requests reached the handlers: successes, not only 401s.
    assert sum(n for status, n in run.statuses.items() if status < 300) > 100
    server_log = log.read_text(errors="replace")
    assert not run.failures, run.report() + "\n\nserver log (tail):\n" + server_log[-4000:]


@pytest.mark.parametrize(("language", "detail"), [("zh-CN", "部分字段缺失或有误。"), ("en", "Some fields are missing or wrong.")])
async def test_an_id_past_64_bits_is_a_clear_problem_not_a_server_error(world: World, language: str, detail: str) -> None:
    # Found by schemathesis: SQLite raised OverflowError (asyncpg a DataError) and the answer was a 500.
    admin = world.sessions["a:county_admin"]
    for url in (f"/api/v1/reports?organisation_id={2**90}", f"/api/v1/cases/{2**70}", f"/api/v1/cases?organisation_id={2**64}"):
        resp = await admin.get(url, headers={"Accept-Language": language})
        assert resp.status_code == 422, (url, resp.status_code, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
        body = resp.json()
        assert body["code"] == "validation_failed" and body["detail"] == detail and body["instance"] == url.split("?")[0]
