"""Start-up: from `jobs-mcp serve` to the first tool answer, and the server's memory once the model is ready.

A real `jobs-mcp serve` process (SQLite, fresh database each start) is started and a real
MCP client (streamable HTTP) retries `initialize` + `job_list` until it gets an answer; the
time from the process's start to that answer is the figure. `/readyz` is then polled until
search is `ready`, and the server's RSS (VmRSS) and peak (VmHWM) are read from /proc.

The first start runs with an empty cache directory, so the search model is exported to ONNX
(in a child process, docs/search.md); later starts find it cached. Later starts are of two kinds:
on a new database (the schema is made by the migrations) and restarts on the database of an
earlier start (already at the newest revision: what most starts are).

The server may write its bytecode cache (PYTHONDONTWRITEBYTECODE is taken out of its
environment), as an installed package has one: without it every start compiles the project's
modules again, which no installation does.

    .venv/bin/python bench/startup.py [--later-starts 5] [--jobs-mcp PATH] [--compare PATH]

--jobs-mcp times another installation's command (e.g. an older checkout's, for a before/after);
one without /readyz is measured 10 s after its first answer instead of at "model ready".
--compare PATH times a second command the same way, its starts alternating with the first's, so
both see the same load on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import machine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.jobs_mcp.conftest import http_client  # noqa: E402
from tests.support.http import free_port  # noqa: E402
from tests.support.serve_process import JOBS_MCP, server_env  # noqa: E402


@dataclass(frozen=True)
class Start:
    first_answer_s: float
    first_answer_cpu_s: float  # the server's own CPU time (user + system) until then: less moved by other load
    model_ready_s: float
    rss_mb: float
    peak_mb: float


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def memory_mb(pid: int) -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def first_answer(url: str, process: subprocess.Popen[bytes], deadline_s: float = 120) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"jobs-mcp exited with {process.returncode}")
        try:
            async with http_client(url) as client:
                answer = await client.call_tool("job_list", {})
            if not answer.is_error:
                return
        except Exception:  # noqa: BLE001  (not listening yet: try again)
            await anyio.sleep(0.01)
    raise TimeoutError("no tool answer")


def wait_for_model(port: int, started: float) -> float:
    """Seconds from the start until /readyz says search is ready (or 10 s after now without /readyz)."""
    while True:
        answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        if answer.status_code == 404:
            time.sleep(10)
            return float("nan")
        search = str(answer.json().get("search"))
        if search == "ready":
            return time.monotonic() - started
        if "could not be loaded" in search:
            raise RuntimeError(f"the model did not load: {search}")
        time.sleep(0.05)


def one_start(work: Path, cache: Path, command: str, db: Path | None = None) -> Start:
    """One start on `db` (default: a new database)."""
    port = free_port()
    db = db or work / f"jobs-{port}.db"
    env = server_env(f"sqlite:///{db}", port, XDG_CACHE_HOME=str(cache))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    log = open(work / "server.log", "ab")  # noqa: SIM115
    started = time.monotonic()
    process = subprocess.Popen([command, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        anyio.run(first_answer, f"http://127.0.0.1:{port}/mcp", process)
        answered = time.monotonic() - started
        cpu = cpu_s(process.pid)
        ready = wait_for_model(port, started)
        time.sleep(1)  # let the load's temporaries go
        rss, peak = memory_mb(process.pid)
        return Start(answered, cpu, ready, rss, peak)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def summary(label: str, starts: list[Start]) -> str:
    answers = sorted(s.first_answer_s for s in starts)
    return (f"{label} ({len(starts)}): first tool answer median {statistics.median(answers):.2f} s "
            f"(min {answers[0]:.2f}, max {answers[-1]:.2f}; server CPU median "
            f"{statistics.median(s.first_answer_cpu_s for s in starts):.2f} s, min "
            f"{min(s.first_answer_cpu_s for s in starts):.2f} s), model ready median "
            f"{statistics.median(s.model_ready_s for s in starts):.1f} s, server RSS median "
            f"{statistics.median(s.rss_mb for s in starts):.0f} MB (peak {max(s.peak_mb for s in starts):.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--later-starts", type=int, default=5)
    parser.add_argument("--jobs-mcp", default=JOBS_MCP, help="the jobs-mcp command to time")
    parser.add_argument("--compare", default=None, help="a second jobs-mcp command, timed alternately")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    commands = [args.jobs_mcp, *([args.compare] if args.compare else [])]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        caches = {command: work / f"cache-{i}" for i, command in enumerate(commands)}
        databases = {command: work / f"kept-{i}.db" for i, command in enumerate(commands)}
        fresh: dict[str, list[Start]] = {command: [] for command in commands}
        restarts: dict[str, list[Start]] = {command: [] for command in commands}
        for command in commands:
            cold = one_start(work, caches[command], command, databases[command])
            print(f"{command}\n  first start (model exported): first tool answer {cold.first_answer_s:.2f} s "
                  f"({cold.first_answer_cpu_s:.2f} s of server CPU), model ready "
                  f"{cold.model_ready_s:.1f} s, server RSS {cold.rss_mb:.0f} MB (peak {cold.peak_mb:.0f} MB)")
        for _ in range(args.later_starts):
            for command in commands:
                fresh[command].append(one_start(work, caches[command], command))
                restarts[command].append(one_start(work, caches[command], command, databases[command]))
        for command in commands:
            print(command)
            print("  " + summary("later starts, new database", fresh[command]))
            print("  " + summary("restarts, same database", restarts[command]))
    print(machine.line())


if __name__ == "__main__":
    main()
