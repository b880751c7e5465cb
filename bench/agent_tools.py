"""MCP servers as agent tools: what a connection costs to open and what a call costs through the pool.

The test servers of tests/support/mcp_servers (notes over stdio, a subprocess; tracker over
streamable HTTP on loopback) through scheduler/agent_tools, as a run uses them. Prints the time to
open a connection (stdio: process start, handshake, tools/list) and per-call p50/p99 of sequential
calls on the pooled connection. Nothing is asserted.

    .venv/bin/python bench/agent_tools.py [--calls 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler.agent_tools.catalog import AgentTools  # noqa: E402
from scheduler.agent_tools.pool import ConnectionPool  # noqa: E402
from scheduler.agent_tools.servers import parse_servers  # noqa: E402
from tests.support.mcp_servers.tracker import Tracker  # noqa: E402


async def measure(tools: AgentTools, server: str, tool: str, arguments: dict[str, object], calls: int) -> None:
    started = time.perf_counter()
    box = await tools.toolbox("bench", [server])
    opened = time.perf_counter() - started
    name = f"{server}__{tool}"
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        ok, _text = await box.call(name, arguments)
        times.append((time.perf_counter() - t0) * 1000)
        assert ok
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"{server:8} open {opened * 1000:7.0f} ms   {calls} calls: p50 {statistics.median(times):6.2f} ms  "
          f"p99 {p99:6.2f} ms")


async def main(calls: int) -> None:
    tracker = Tracker()
    with tempfile.TemporaryDirectory() as tmp, tracker.serve() as url:
        document = {"mcpServers": {
            "notes": {"command": sys.executable, "args": ["-m", "tests.support.mcp_servers.notes"], "cwd": str(ROOT),
                      "env": {"NOTES_LOG": str(Path(tmp) / "notes.jsonl"), "PYTHONPATH": str(ROOT)}},
            "tracker": {"url": url}}}
        tools = AgentTools(ConnectionPool(parse_servers(json.dumps(document))))
        try:
            await measure(tools, "notes", "list_notes", {}, calls)
            await measure(tools, "tracker", "open_issue", {"title": "bench"}, calls)
        finally:
            await tools.pool.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    asyncio.run(main(parser.parse_args().calls))
