"""Small helpers shared by the benchmarks: servers in subprocesses, a raw HTTP/1.1 load loop,
percentiles and resident memory. Nothing here imports the app."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int | None = None) -> float:
    """Resident size in MiB (psutil when installed, else /proc/PID/status VmRSS)."""
    try:
        import psutil  # type: ignore[import-not-found]

        return float(psutil.Process(pid or os.getpid()).memory_info().rss) / 2**20
    except ImportError:
        pass
    try:
        status = Path(f"/proc/{pid or 'self'}/status").read_text()
    except OSError:
        return float("nan")  # the process is gone
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tree_rss_mb(pid: int) -> list[float]:
    """Resident size of ``pid`` and each of its child processes (uvicorn --workers)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [rss_mb(pid), *(rss_mb(int(c)) for c in children)]


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its child processes so far (Linux /proc): a
    request's CPU cost does not depend on what else the machine is running, its rate does."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in [pid, *(int(c) for c in children)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


@contextlib.contextmanager
def server(args: list[str], env: dict[str, str], port: int, *, ready_path: str = "/healthz",
           timeout: float = 60.0, log: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server process, wait until it answers on 127.0.0.1:port, stop it afterwards."""
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(args, env={**os.environ, **env}, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}: {' '.join(args)}" + (f" (see {log})" if log else ""))
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(f"GET {ready_path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                    if s.recv(64).startswith(b"HTTP/1.1 2"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not come up in {timeout}s: {' '.join(args)}")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]


@dataclass
class LoadResult:
    name: str
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0

    @property
    def ok(self) -> int:
        return sum(n for code, n in self.statuses.items() if 200 <= code < 300)

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (f"{self.name}_requests {sum(self.statuses.values())} ok {self.ok} errors {self.errors} "
                f"statuses {dict(sorted(self.statuses.items()))}\n"
                f"{self.name}_rps {self.rps:.1f}\n"
                f"{self.name}_p50_ms {pct(self.latencies_ms, 50):.1f}\n"
                f"{self.name}_p99_ms {pct(self.latencies_ms, 99):.1f}")

    def merge(self, other: LoadResult) -> None:
        self.seconds += other.seconds
        self.latencies_ms.extend(other.latencies_ms)
        for code, n in other.statuses.items():
            self.statuses[code] = self.statuses.get(code, 0) + n
        self.errors += other.errors


async def _one_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def run_load(name: str, port: int, make_request: Callable[[int], bytes], *, clients: int,
                   seconds: float, max_requests: int) -> LoadResult:
    """``clients`` keep-alive connections, each sending one request after another until
    ``seconds`` pass or ``max_requests`` were sent in all (bounded, self-stopping)."""
    result = LoadResult(name)
    counter = iter(range(max_requests))
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for n in counter:
                if time.perf_counter() > deadline:
                    break
                t = time.perf_counter()
                try:
                    status = await asyncio.wait_for(_one_request(reader, writer, make_request(n)), 30)
                except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                    result.errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                result.latencies_ms.append((time.perf_counter() - t) * 1000)
                result.statuses[status] = result.statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    result.seconds = time.perf_counter() - started
    return result


def http_post(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{head}\r\n").encode() + body
