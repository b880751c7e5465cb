"""Many MCP clients at once against a real `jobs-mcp serve` process: nothing may fail.

Each client is its own owner with its own session (the SDK's `mcp.Client` over
streamable HTTP): it creates a job, then reads it and lists its jobs in turn.
Prints calls/s and the latency percentiles of the calls that succeeded, and
every failure; exits 1 if any call failed.

    .venv/bin/python bench/concurrent_clients.py [--clients 200] [--calls 10]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.load import run_clients  # noqa: E402
from tests.support.serve_process import running_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, \
            running_server(f"sqlite:///{tmp}/bench.db", Path(tmp) / "server.log",
                           JOBS_MCP_LOG_LEVEL="WARNING") as (url, _process):
        anyio.run(run_clients, url, 1, 1)  # warm-up: the first call imports and caches
        load = anyio.run(run_clients, url, args.clients, args.calls)
        server_log = (Path(tmp) / "server.log").read_text(errors="replace")
    print(f"{args.clients} clients x {args.calls} calls at once (jobs-mcp serve, SQLite, streamable HTTP)")
    print(f"calls: {load.calls}, failed: {len(load.failures)}, in {load.elapsed_s:.1f} s "
          f"= {load.calls / load.elapsed_s:.0f} calls/s")
    print(f"latency of successful calls: p50 {load.percentile_ms(0.5):.0f} ms, p99 {load.percentile_ms(0.99):.0f} ms")
    for failure in load.failures[:20]:
        print("  failure:", failure)
    if load.failures:
        print("server log (last 40 lines):", *server_log.splitlines()[-40:], sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
