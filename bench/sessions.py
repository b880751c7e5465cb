"""Memory of never-closed MCP sessions: the server's RSS before, with them open, and after they expire.

A real `jobs-mcp serve` process (SQLite) gets `--sessions` initialize handshakes on
the 2025 wire (the one with session ids), each followed by `initialized`, and
never a DELETE. The server's RSS (/proc) is printed before, after
the sessions were opened, and after the idle expiry; then a second round shows
whether memory grows again or is reused. Sessions beyond the cap get 503.

    .venv/bin/python bench/sessions.py [--sessions 2000] [--idle-seconds 120] [--max-sessions N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.jobs_mcp.test_identity import INITIALIZE  # noqa: E402
from tests.jobs_mcp.test_identity import LEGACY as HEADERS  # noqa: E402
from tests.support.serve_process import running_server  # noqa: E402

CONCURRENCY = 50


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def open_sessions(url: str, count: int) -> dict[int | str, int]:
    """Open `count` sessions, never closed; returns how many initialize answers had each status."""
    statuses: dict[int | str, int] = {}
    limiter = anyio.Semaphore(CONCURRENCY)

    async def one(client: httpx.AsyncClient) -> None:
        async with limiter:
            try:
                opened = await client.post(url, json=INITIALIZE, headers=HEADERS)
                answer: int | str = opened.status_code
                if opened.status_code == 200:
                    session = {**HEADERS, "Mcp-Session-Id": opened.headers["mcp-session-id"]}
                    await client.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                                      headers=session)
            except httpx.HTTPError as exc:
                answer = type(exc).__name__
            statuses[answer] = statuses.get(answer, 0) + 1

    async with (httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=CONCURRENCY)) as client,
                anyio.create_task_group() as group):
        for _ in range(count):
            group.start_soon(one, client)
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=2000)
    # Longer than opening a round takes, so that every session of a round is live at once.
    parser.add_argument("--idle-seconds", type=int, default=120)
    parser.add_argument("--max-sessions", type=int, default=None, help="default: room for every session")
    args = parser.parse_args()
    env = {"JOBS_MCP_SESSION_IDLE_SECONDS": str(args.idle_seconds), "JOBS_MCP_LOG_LEVEL": "WARNING"}
    cap = args.max_sessions or args.sessions + 1
    env["JOBS_MCP_MAX_SESSIONS"] = str(cap)
    with tempfile.TemporaryDirectory() as tmp, \
            running_server(f"sqlite:///{tmp}/bench.db", Path(tmp) / "server.log", **env) as (url, process):
        warm_up = httpx.post(url, json=INITIALIZE, headers=HEADERS)  # the first request imports and caches
        httpx.delete(url, headers={**HEADERS, "Mcp-Session-Id": warm_up.headers["mcp-session-id"]})
        print(f"{args.sessions} sessions per round, idle expiry {args.idle_seconds} s, "
              f"cap {cap} (jobs-mcp serve, SQLite)")
        print(f"server RSS before: {rss_mb(process.pid):7.1f} MB")
        for round_number in (1, 2):
            start = time.perf_counter()
            statuses = anyio.run(open_sessions, url, args.sessions)
            elapsed = time.perf_counter() - start
            answered = ", ".join(f"{count} x {status}" for status, count in sorted(statuses.items(), key=str))
            print(f"round {round_number}: initialize answers {answered} in {elapsed:.1f} s")
            if set(statuses) - {200, 503}:
                server_log = (Path(tmp) / "server.log").read_text(errors="replace")
                print("  server log (last 20 lines):", *server_log.splitlines()[-20:], sep="\n    ")
            print(f"  RSS with the sessions open: {rss_mb(process.pid):7.1f} MB")
            time.sleep(args.idle_seconds + 5)
            print(f"  RSS after the idle expiry:  {rss_mb(process.pid):7.1f} MB")


if __name__ == "__main__":
    main()
