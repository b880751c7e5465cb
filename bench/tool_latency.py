"""Round trip of job_retrieval_by_id over streamable HTTP, beside a bare echo tool on the same SDK.

Both tools are served by one server process (same transport, middleware and
session), so the ratio shows what our tool adds: argument validation, the
owner lookup, the store read and the result model. The server runs in its own
process, as it does for a real client. Goal: ratio <= 1.25.

    .venv/bin/python bench/tool_latency.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jobs_mcp.config import Settings  # noqa: E402
from jobs_mcp.server import build_http_app, build_server, build_state  # noqa: E402
from tests.jobs_mcp.conftest import http_client  # noqa: E402
from tests.support.http import free_port  # noqa: E402
from tests.support.serve_process import wait_for_port  # noqa: E402


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(url: str, calls: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"echo": [], "job_retrieval_by_id": []}
    async with http_client(url) as client:
        created = await client.call_tool("job_create",
                                         {"title": "Bench", "instructions": "x", "cron": "0 9 * * *"})
        job_id = created.structured_content["job"]["id"]  # type: ignore[index]
        calls_by_tool = {"echo": {"text": job_id}, "job_retrieval_by_id": {"job_id": job_id, "runs": 5}}
        for _ in range(100):  # warm-up
            for tool, args in calls_by_tool.items():
                await client.call_tool(tool, args)
        for _ in range(calls):
            # Interleave so both see the same machine load.
            for tool, args in calls_by_tool.items():
                start = time.perf_counter()
                result = await client.call_tool(tool, args)
                timings[tool].append((time.perf_counter() - start) * 1000)
                assert not result.is_error
    return timings


def serve(port: int, database_url: str) -> None:
    """The server side: our app plus a bare echo tool, under uvicorn."""
    import uvicorn

    settings = Settings(database_url=database_url, port=port)
    server = build_server(build_state(settings))

    @server.tool()
    async def echo(text: str) -> str:
        """Return the text unchanged."""
        return text

    uvicorn.run(build_http_app(server, settings), host="127.0.0.1", port=port, log_level="warning")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "DATABASE_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1])
        return
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {**os.environ, "JOBS_MCP_LOG_LEVEL": "WARNING"}
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), f"sqlite:///{tmp}/bench.db"],
                                  env=env, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port, server)
            timings = anyio.run(measure, f"http://127.0.0.1:{port}/mcp", args.calls)
        finally:
            server.terminate()
            server.wait()
    echo_p50, job_p50 = statistics.median(timings["echo"]), statistics.median(timings["job_retrieval_by_id"])
    print(f"calls per tool: {args.calls} (streamable HTTP, SQLite, server and client in separate processes)")
    print(f"{'tool':<22}{'p50 ms':>10}{'p99 ms':>10}")
    for tool, samples in timings.items():
        print(f"{tool:<22}{statistics.median(samples):>10.2f}{percentile(samples, 0.99):>10.2f}")
    print(f"ratio p50 job_retrieval_by_id / echo: {job_p50 / echo_p50:.2f} (goal <= 1.25)")
    p99_ratio = percentile(timings["job_retrieval_by_id"], 0.99) / percentile(timings["echo"], 0.99)
    print(f"ratio p99: {p99_ratio:.2f}")


if __name__ == "__main__":
    main()
