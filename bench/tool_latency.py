"""Tool calls over streamable HTTP against our server, beside a bare server of the same SDK.

Two measurements, servers in their own processes (as a real client sees them):

1. Sequential round trips on one session: `job_retrieval_by_id` beside a bare
   `echo` tool served by the same process (same transport, middleware and
   session), so the ratio shows what our tool adds; and `job_create` p50.
   Goals: ratio <= 1.25, job_create p50 <= 5 ms.
2. Many chats at once: C concurrent clients (100 and 200), each opening its own
   session as its own owner and making 10 `job_retrieval_by_id` calls, against
   our server; the same with 10 `echo` calls against a bare server of the SDK
   with only that tool. Rounds alternate (bare, ours, bare, ours) so both see
   the same machine. Prints calls/s (over the round's wall time, sessions
   included), per-call p50/p99, and the CPU time per call of the server and of
   this client process (which checks every answer against the tool's output
   schema, so a larger answer costs the client too). Client and servers share
   the machine, so CPU per call is the steadier figure on a busy machine.
   Goal: ours >= 0.8 x bare calls/s.

    .venv/bin/python bench/tool_latency.py [--calls 2000] [--clients 100 200] [--rounds 2]
    .venv/bin/python bench/tool_latency.py --creates-only 300     # job_create alone, and its server CPU
    .venv/bin/python bench/tool_latency.py --per-request 300      # server CPU per request kind, both servers
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import machine  # noqa: E402
from sampling import sampled  # noqa: E402

from jobs_mcp.app import build_app  # noqa: E402
from jobs_mcp.config import Settings  # noqa: E402
from jobs_mcp.server import build_http_app, build_server  # noqa: E402
from tests.jobs_mcp.conftest import http_client  # noqa: E402
from tests.support.http import free_port  # noqa: E402
from tests.support.serve_process import wait_for_port  # noqa: E402

CALLS_PER_CLIENT = 10
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- the servers ------------------------------------------------------------------------------


async def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


def serve_ours(port: int, database_url: str) -> None:
    """Our app (engine, search, delivery, as `jobs-mcp serve` builds it) plus the echo tool, under uvicorn
    with the settings `jobs-mcp serve` gives it (jobs_mcp/runtime.py: the slow-client deadline, keep-alive)."""
    import uvicorn

    from jobs_mcp.logs import configure_logging
    from jobs_mcp.runtime import uvicorn_config

    # As `jobs-mcp serve` does first (else the SDK's rich handler logs the engine's INFO lines).
    configure_logging(os.environ.get("JOBS_MCP_LOG_LEVEL", "WARNING"))
    # Quotas on (their check is part of every create) but high: the benchmark creates hundreds of jobs a minute.
    settings = Settings(database_url=database_url, port=port, max_creates_per_minute=10**6, max_active_jobs=10**6)
    server = build_server(build_app(settings))
    server.tool()(echo)
    uvicorn.Server(uvicorn_config(build_http_app(server, settings), settings)).run()


def serve_bare(port: int) -> None:
    """The SDK alone: one echo tool, the SDK's defaults (streamable HTTP with SSE answers, not stateless, its
    rebinding protection for 127.0.0.1), under uvicorn's defaults. It logs nothing per request."""
    import uvicorn
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("bare")
    server.tool()(echo)
    uvicorn.run(server.streamable_http_app(streamable_http_path="/mcp", host="127.0.0.1"), host="127.0.0.1",
                port=port, log_level="warning")


class ServerProcess:
    def __init__(self, *args: str) -> None:
        self.port = free_port()
        env = {**os.environ, "JOBS_MCP_LOG_LEVEL": "WARNING"}
        self.process = subprocess.Popen([sys.executable, __file__, "--serve", *args, str(self.port)], env=env,
                                        stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.process)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


# -- 1. sequential ----------------------------------------------------------------------------


async def sequential(url: str, calls: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"echo": [], "job_retrieval_by_id": [], "job_create": []}
    async with http_client(url) as client:
        created = await client.call_tool("job_create",
                                         {"title": "Bench", "instructions": "x", "cron": "0 9 * * *"})
        job_id = created.structured_content["job"]["id"]  # type: ignore[index]
        reads = {"echo": {"text": job_id}, "job_retrieval_by_id": {"job_id": job_id, "runs": 5}}

        def create_args(n: int) -> dict[str, object]:
            return {"title": f"Water the plants {n}", "instructions": "Water the plants on the balcony",
                    "schedule": "every Monday at 9am", "action": "notify"}

        for n in range(100):  # warm-up
            for tool, args in reads.items():
                await client.call_tool(tool, args)
            await client.call_tool("job_create", create_args(-n))
        creates = max(1, calls // 10)  # each creates a job: fewer, but enough for a p50
        for n in range(calls):
            # Interleaved so all see the same machine load.
            steps = list(reads.items()) + ([("job_create", create_args(n))] if n < creates else [])
            for tool, args in steps:
                start = time.perf_counter()
                result = await client.call_tool(tool, args)
                timings[tool].append((time.perf_counter() - start) * 1000)
                assert not result.is_error, result.content
    return timings


async def creates_only(url: str, calls: int, server_cpu_s: Callable[[], float]) -> tuple[list[float], float]:
    """`job_create` alone, back to back on one session (after 100 to warm up): the times, and the server's
    CPU seconds for the timed ones (not the warm-up's, which include the one-off loads after a first answer)."""
    timings = []
    cpu_before = 0.0
    async with http_client(url) as client:
        for n in range(-100, calls):
            if n == 0:
                await anyio.sleep(2)  # the background loads the first answer started (jobs_mcp/warmup.py) finish
                cpu_before = server_cpu_s()
            start = time.perf_counter()
            result = await client.call_tool("job_create", {
                "title": f"Water the plants {n}", "instructions": "Water the plants on the balcony",
                "schedule": "every Monday at 9am", "action": "notify"})
            if n >= 0:
                timings.append((time.perf_counter() - start) * 1000)
            assert not result.is_error, result.content
    return timings, server_cpu_s() - cpu_before


async def per_request(ours: ServerProcess, bare: ServerProcess, count: int) -> None:
    """Server CPU per request of each kind a session sends, on one session per server (after a warm-up)."""
    print(f"3. server CPU per request, {count} of each in a row on one session (/proc utime + stime)")
    for label, server in (("bare", bare), ("ours", ours)):
        async with http_client(server.url) as client:
            job_id = "x"
            if server is ours:
                created = await client.call_tool("job_create", {"title": "Bench", "instructions": "x",
                                                                "cron": "0 9 * * *"})
                job_id = created.structured_content["job"]["id"]  # type: ignore[index]
            kinds: dict[str, Callable[[], object]] = {
                "tools/list": client.list_tools,
                "tools/call echo": lambda j=job_id: client.call_tool("echo", {"text": j}),
            }
            if server is ours:
                kinds["tools/call job_retrieval_by_id"] = lambda j=job_id: client.call_tool(
                    "job_retrieval_by_id", {"job_id": j, "runs": 5})
            for kind, send in kinds.items():
                for _ in range(20):
                    await send()  # type: ignore[misc]
                before = server.cpu_s()
                for _ in range(count):
                    await send()  # type: ignore[misc]
                print(f"   {label:<5} {kind:<32} {(server.cpu_s() - before) / count * 1000:6.2f} ms")


def report_sequential(timings: dict[str, list[float]], calls: int) -> None:
    print(f"1. one session, sequential: {calls} calls per read tool, {len(timings['job_create'])} job_create "
          "(streamable HTTP, SQLite, server and client in separate processes)")
    print(f"   {'tool':<22}{'p50 ms':>10}{'p99 ms':>10}")
    for tool, samples in timings.items():
        print(f"   {tool:<22}{statistics.median(samples):>10.2f}{percentile(samples, 0.99):>10.2f}")
    echo_p50, job_p50 = statistics.median(timings["echo"]), statistics.median(timings["job_retrieval_by_id"])
    p99_ratio = percentile(timings["job_retrieval_by_id"], 0.99) / percentile(timings["echo"], 0.99)
    print(f"   ratio job_retrieval_by_id / echo: p50 {job_p50 / echo_p50:.2f} (goal <= 1.25), p99 {p99_ratio:.2f}")
    print(f"   job_create p50 {statistics.median(timings['job_create']):.2f} ms (goal <= 5 ms)")


# -- 2. many clients at once ------------------------------------------------------------------


@dataclass(frozen=True)
class Round:
    calls: int
    failed: int
    wall_s: float
    server_cpu_s: float
    latencies_ms: list[float]
    client_cpu_s: float = 0.0  # this process: sessions, requests, and the client's check of each answer

    @property
    def calls_per_s(self) -> float:
        return self.calls / self.wall_s

    def line(self, label: str) -> str:
        lat = self.latencies_ms
        return (f"   {label:<6} {self.calls_per_s:8.1f} calls/s  p50 {percentile(lat, 0.5):8.1f} ms  "
                f"p99 {percentile(lat, 0.99):8.1f} ms  CPU per call: "
                f"server {self.server_cpu_s / self.calls * 1000:5.2f} ms, "
                f"client {self.client_cpu_s / self.calls * 1000:5.2f} ms"
                + (f"  ({self.failed} failed)" if self.failed else ""))


async def prepare_owners(url: str, clients: int) -> list[str]:
    """One job per owner, created through the tool (so the owner's reads hit their own job)."""
    job_ids: list[str] = []
    for n in range(clients):
        async with http_client(url, {"X-Jobs-Owner": f"chat-{n}"}) as client:
            created = await client.call_tool("job_create", {"title": f"Chat {n} report", "instructions": "x",
                                                            "cron": "0 9 * * 1", "action": "notify"})
            job_ids.append(created.structured_content["job"]["id"])  # type: ignore[index]
    return job_ids


async def crowd(url: str, clients: int, call: Callable[[int], tuple[str, dict[str, object]]]) -> Round:
    latencies: list[float] = []
    failed = 0

    async def one_chat(n: int) -> None:
        nonlocal failed
        tool, args = call(n)
        try:
            async with http_client(url, {"X-Jobs-Owner": f"chat-{n}"}) as client:
                for _ in range(CALLS_PER_CLIENT):
                    start = time.perf_counter()
                    result = await client.call_tool(tool, args)
                    latencies.append((time.perf_counter() - start) * 1000)
                    failed += bool(result.is_error)
        except Exception:  # noqa: BLE001  (a session that breaks is counted, not fatal)
            failed += 1

    begin, cpu_begin = time.perf_counter(), time.process_time()
    async with anyio.create_task_group() as group:
        for n in range(clients):
            group.start_soon(one_chat, n)
    return Round(clients * CALLS_PER_CLIENT, failed, time.perf_counter() - begin, 0.0, latencies,
                 time.process_time() - cpu_begin)


def measured(server: ServerProcess, clients: int, call: Callable[[int], tuple[str, dict[str, object]]],
             profile: Path | None = None, gil: bool = False) -> Round:
    cpu_before = server.cpu_s()
    with sampled([server.process.pid] if profile else [], [profile] if profile else [], gil=gil):
        result = anyio.run(crowd, server.url, clients, call)
    return Round(result.calls, result.failed, result.wall_s, server.cpu_s() - cpu_before, result.latencies_ms,
                 result.client_cpu_s)


def concurrent(ours: ServerProcess, clients_list: list[int], rounds: int, profile_dir: Path | None,
               gil: bool) -> None:
    bare = ServerProcess("bare")
    try:
        job_ids = anyio.run(prepare_owners, ours.url, max(clients_list))
        for clients in clients_list:
            print(f"2. {clients} concurrent clients x {CALLS_PER_CLIENT} calls, a session and an owner each "
                  f"({rounds} rounds, alternating)")
            results: dict[str, list[Round]] = {"bare": [], "ours": []}
            measured(bare, clients, lambda n: ("echo", {"text": "x"}))  # warm-up
            for number in range(rounds):
                def out(label: str, n: int = number, c: int = clients) -> Path | None:
                    return profile_dir / f"clients-{c}-{label}-{n}.txt" if profile_dir else None

                results["bare"].append(measured(bare, clients, lambda n: ("echo", {"text": job_ids[n]}),
                                                out("bare"), gil))
                print(results["bare"][-1].line("bare"), flush=True)
                results["ours"].append(measured(ours, clients, lambda n: (
                    "job_retrieval_by_id", {"job_id": job_ids[n], "runs": 5}), out("ours"), gil))
                print(results["ours"][-1].line("ours"), flush=True)
            rate = {k: statistics.median(r.calls_per_s for r in v) for k, v in results.items()}
            cpu = {k: statistics.median(r.server_cpu_s / r.calls for r in v) for k, v in results.items()}
            print(f"   ours / bare: calls/s {rate['ours'] / rate['bare']:.2f} (goal >= 0.8); "
                  f"server CPU per call {cpu['ours'] / cpu['bare']:.2f}x")
    finally:
        bare.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--clients", type=int, nargs="*", default=[100, 200])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", type=Path, default=None, metavar="DIR",
                        help="sample both servers with py-spy during the concurrent rounds (see bench/sampling.py)")
    parser.add_argument("--profile-gil", action="store_true", help="sample only the thread holding the GIL")
    parser.add_argument("--creates-only", type=int, default=0, metavar="N",
                        help="only N job_create calls in a row: p50/p90 and the server's CPU per create, then exit")
    parser.add_argument("--per-request", type=int, default=0, metavar="N",
                        help="only the server CPU per request kind (tools/list, echo, job_retrieval_by_id), N each")
    parser.add_argument("--serve", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        if args.serve[0] == "bare":
            serve_bare(int(args.serve[1]))
        else:
            serve_ours(int(args.serve[2]), args.serve[1])
        return
    print(f"CPU cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        ours = ServerProcess("ours", f"sqlite:///{tmp}/bench.db")
        try:
            if args.creates_only:
                out = [args.profile / "creates-ours.txt"] if args.profile else []
                with sampled([ours.process.pid] if out else [], out, gil=args.profile_gil):
                    times, cpu_s = anyio.run(creates_only, ours.url, args.creates_only, ours.cpu_s)
                cpu_ms = cpu_s / args.creates_only * 1000
                print(f"job_create alone, {args.creates_only} in a row: p50 {statistics.median(times):.2f} ms, "
                      f"p90 {percentile(times, 0.9):.2f} ms, p99 {percentile(times, 0.99):.2f} ms; "
                      f"server CPU per create {cpu_ms:.2f} ms (goal p50 <= 5 ms)")
                return
            if args.per_request:
                bare = ServerProcess("bare")
                try:
                    anyio.run(per_request, ours, bare, args.per_request)
                finally:
                    bare.stop()
                return
            if args.calls:
                out = [args.profile / "sequential-ours.txt"] if args.profile else []
                with sampled([ours.process.pid] if out else [], out, gil=args.profile_gil):
                    timings = anyio.run(sequential, ours.url, args.calls)
                report_sequential(timings, args.calls)
            if args.clients:
                concurrent(ours, args.clients, args.rounds, args.profile, args.profile_gil)
        finally:
            ours.stop()


if __name__ == "__main__":
    main()
    print(machine.line())
