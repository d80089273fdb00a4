"""Test helpers: a Redis server of our own, a real ``jiefen worker`` subprocess, the test
plugin, and one way to "run every job" for either backend (in-process runner or arq)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_DIR = Path(__file__).parent / "jftest_plugins"
SHARED_REDIS = "redis://127.0.0.1:6379/5"


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def redis_available() -> bool:
    return shutil.which("redis-server") is not None and port_open(6379)


class RedisServer:
    """A redis-server we start and stop ourselves (never the shared one on 6379)."""

    def __init__(self, port: int = 6390):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="jf-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert not port_open(self.port), f"port {self.port} is taken"
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not port_open(self.port):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


class Worker:
    """``jiefen worker`` in a subprocess, on the test database, with the test plugin."""

    def __init__(self, redis_url: str, queue: str, **env: str):
        self.log = Path(tempfile.mkstemp(prefix="jf-worker-", suffix=".log")[1])
        self.env = {
            **os.environ, "JIEFEN_REDIS_URL": redis_url, "JIEFEN_JOBS_QUEUE": queue, "JIEFEN_PLUGINS_DIR": str(PLUGIN_DIR),
            "JIEFEN_JOBS_CRON": "false", "JIEFEN_JOBS_RELAY_INTERVAL": "0.5", **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        with self.log.open("ab") as out:
            # SIGUSR2 dumps the worker's threads into its log (see output()).
            boot = "import faulthandler, signal; faulthandler.register(signal.SIGUSR2, all_threads=True); from core.cli import main; main(['worker'])"
            self.proc = subprocess.Popen([sys.executable, "-c", boot], cwd=ROOT, env=self.env, stdout=out, stderr=out)
        return self

    def kill(self) -> None:
        """SIGKILL: no cleanup, as when the machine dies."""
        if self.proc is not None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
            self.proc = None

    def output(self, dump: bool = False) -> str:
        if dump and self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGUSR2)
            time.sleep(0.5)
        return self.log.read_text(errors="replace")[-6000:]


async def wait_until(check: Callable[[], Awaitable[Any]], timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


@contextlib.contextmanager
def test_plugin() -> Iterator[Any]:
    """The test plugin registered in this process, and removed again."""
    import importlib

    from core.jobs.registry import load_jobs
    from core.plugins.jobs import register_jobs, unregister_jobs
    from core.plugins.manager import get_manager

    if str(PLUGIN_DIR) not in sys.path:
        sys.path.insert(0, str(PLUGIN_DIR))
    module = importlib.import_module("jftest")
    load_jobs()
    manager = get_manager()
    manager.register(module, name="jftest")
    register_jobs()
    try:
        yield module
    finally:
        unregister_jobs("jftest")
        manager.unregister(name="jftest")


def temp_file(prefix: str) -> str:
    return tempfile.mkstemp(prefix=prefix)[1]


def lines(path: str) -> list[str]:
    return [line for line in Path(path).read_text().splitlines() if line]


def new_queue() -> str:
    return f"jiefen:test:{uuid.uuid4().hex[:8]}"
