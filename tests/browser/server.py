"""The live server the browser tests drive: the app under uvicorn in a process of its own, on a
free loopback port, with its own SQLite file and the demo town; and Debian's headless Chromium
(never a downloaded one).

The demo seed leaves about 300 jobs in the outbox (ten of them PDFs). With ``drain`` they run
before the test's own changes and before the server starts (``jiefen jobs drain``); otherwise
the server's runner works through them while the first tests load their pages, and a job that
writes an event recomputes the deadlines a test has just set."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "artifacts" / "screenshots"
PASSWORD = "jiefen-demo"
SECRET_KEY = "browser-test-secret-0123456789"
# Longest wait for an element, an action's answer or a page (ms). Every wait is for something
# the page must show, so it ends as soon as that is there; the bound only says how long a broken
# page is waited for. Answers come from a server that renders PDFs in its own process and shares
# two cores with the rest of the suite: 15 s was once too short for an HTMX answer under load.
WAIT_MS = 60_000


def have_chromium() -> bool:
    return Path(CHROMIUM).exists()


def free_port(preferred: int | None = None) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred or 0))
        except OSError:
            s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "core.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@contextlib.contextmanager
def live_server(
    name: str, seed: Sequence[str], prepare: Callable[[Path, dict[str, str]], dict[str, Any]] | None = None, port: int | None = None,
    *, drain: bool = True,
) -> Iterator[dict[str, Any]]:
    """Migrate, seed the demo town (``seed``: seed-demo's options), run the outbox (``drain``),
    let ``prepare(db, env)`` change the data and return facts for the tests, then serve.
    Yields ``{"base", "db", "data", "env", "log", **facts}``."""
    data = Path(tempfile.mkdtemp(prefix=f"jiefen-{name}-"))  # kept: server.log tells why a page never came
    db_path = data / f"{name}.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIEFEN_")}
    env.update(JIEFEN_DATA_DIR=str(data), JIEFEN_DATABASE_URL=f"sqlite:///{db_path}", JIEFEN_SECRET_KEY=SECRET_KEY)
    cli(env, "migrate")
    cli(env, "seed-demo", *seed)
    if drain:
        cli(env, "jobs", "drain")
    facts = prepare(db_path, env) if prepare else {}
    port = free_port(port)
    # Its output goes to a file: a pipe nobody reads fills up and stops the server mid-run.
    log = data / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "core.api.asgi:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    raise RuntimeError("the server did not start:\n" + log.read_text(errors="replace")[-3000:]) from None
                time.sleep(0.2)
        yield {"base": base, "db": db_path, "data": data, "env": env, "log": log, **facts}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait(timeout=10)


async def new_page(browser: Any, *, width: int = 1280, height: int = 900, js: bool = True, **context: Any) -> Any:
    """A page in a fresh context; its script errors collect in ``page.js_errors``."""
    ctx = await browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", java_script_enabled=js, **context)
    page = await ctx.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.js_errors = errors  # type: ignore[attr-defined]
    return page


async def sign_in(page: Any, base: str, user: str, password: str = PASSWORD, *, wait_until: str = "load") -> None:
    """The admin's sign-in form; done when the queue's page is there (``wait_until``: which of
    its events; a page without JavaScript needs its document only)."""
    await page.goto(base + "/admin/login", wait_until=wait_until)
    await page.fill("input[name=username]", user)
    await page.fill("input[name=password]", password)
    await page.click("form.stack button[type=submit]")
    await page.wait_for_url("**/admin/cases", wait_until=wait_until)
