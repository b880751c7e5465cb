"""Where the time goes: py-spy samples (collapsed stacks) summed per hop of a due job or a tool call.

Each sample is charged to the innermost frame that belongs to a known hop (our
modules, the MCP SDK, the HTTP server, the event loop), so library work (SQLAlchemy,
pydantic, json) counts for the hop that asked for it. Samples of threads that only
wait (a worker thread's idle queue, the selector, a condition) are shown apart.
Produce the input with `bench/burst.py --profile DIR` or `bench/tool_latency.py --profile DIR`.

    .venv/bin/python bench/profile_hops.py DIR/burst-sqlite-10000-node0.txt [more files...]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# (hop, frame patterns), matched against "function (file:line)"; the first hop of the innermost matching frame wins.
HOPS: list[tuple[str, tuple[str, ...]]] = [
    ("engine: reminder lane (store/reminders.py)", ("store/reminders.py", "scheduler/engine/reminders.py")),
    ("engine: claim (store/claims.py)", ("store/claims.py",)),
    ("outbox rows (store/outbox.py writer)", ("OutboxWriter.",)),
    ("engine: finish (store/runs.py)", ("store/runs.py",)),
    ("engine: batched finisher", ("scheduler/engine/finisher.py",)),
    ("engine: runner (context, action, verdict)", ("scheduler/engine/runner.py", "scheduler/engine/verdicts.py",
                                                 "scheduler/engine/actions.py", "scheduler/engine/retry.py")),
    ("engine: poller, loop, settle", ("scheduler/engine/", "apscheduler/")),
    ("delivery: webhook dispatcher", ("scheduler/delivery/", "DeliveryStore.")),
    ("delivery: inbox notifications", ("jobs_mcp/delivery_setup.py", "mcp/server/subscriptions")),
    ("search: embedder / index", ("scheduler/search/", "store/embeddings.py", "store/search_keyword.py")),
    ("our tools (arguments, service, results)", ("jobs_mcp/tools_", "jobs_mcp/results.py", "scheduler/jobs/",
                                                 "scheduler/schedules/")),
    ("store: other reads/writes", ("store/",)),
    ("our server glue (errors, state, owner middleware)", ("jobs_mcp/",)),
    ("SDK: tool dispatch, JSON-RPC, validation", ("mcp/server/mcpserver", "mcp/server/lowlevel", "mcp/shared/",
                                                  "mcp_types")),
    ("SDK: streamable HTTP transport, sessions", ("mcp/server/streamable_http", "mcp/server/")),
    ("HTTP server (uvicorn, starlette)", ("uvicorn/", "starlette/", "h11/", "httptools")),
    ("thread hops (to_thread, call_soon_threadsafe)", ("anyio/to_thread", "asyncio/threads.py", "_write_to_self",
                                                       "_read_from_self", "ThreadPoolExecutor.submit")),
    ("event loop, tasks, streams (asyncio/anyio)", ("asyncio/", "anyio/")),
]
WAITING = ("Condition.wait", "_worker (concurrent/futures/thread.py", "EpollSelector.select", "Event.wait",
           "SimpleQueue.get", "Queue.get", "_wait_for_tstate_lock", "sleep", "Connection.wait (psycopg/",
           "PgChannel._send_loop")  # the last two block in C (psycopg's wait for NOTIFY, a SimpleQueue get)
# Shared plumbing (sessions, batched statements, column types) is charged to the hop that called it.
PLUMBING = ("JobRepository.write", "JobRepository.read", "store/bulk.py", "store/run_types.py", "store/types.py",
            "store/engine.py")
_COUNT = re.compile(r"^(.*) (\d+)$")


def hop_of(frames: list[str]) -> str:
    if frames and frames[-1].startswith(WAITING):
        return "(waiting: idle threads, selector)"
    for frame in reversed(frames):
        if any(p in frame for p in PLUMBING):
            continue
        for hop, patterns in HOPS:
            if any(p in frame for p in patterns):
                return hop
    return "other (imports, interpreter, unknown)"


def tally(paths: list[Path], detail: str | None = None) -> tuple[Counter[str], Counter[str]]:
    """Samples per hop; and, for hops whose name contains `detail`, samples per leaf frame."""
    hops: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for path in paths:
        for line in path.read_text().splitlines():
            match = _COUNT.match(line.strip())
            if match:
                frames = match.group(1).split(";")
                hop = hop_of(frames)
                hops[hop] += int(match.group(2))
                if detail and detail in hop:
                    leaves[" <- ".join(reversed(frames[-3:]))] += int(match.group(2))
    return hops, leaves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--detail", default=None, help="also list the leaf frames of the hops whose name has this")
    args = parser.parse_args()
    hops, leaves = tally(args.files, args.detail)
    total = sum(hops.values())
    busy = total - hops.get("(waiting: idle threads, selector)", 0)
    print(f"{total} samples ({busy} busy) from {len(args.files)} file(s)")
    print(f"  {'hop':<52}{'samples':>8}{'of busy':>9}")
    for hop, count in hops.most_common():
        share = "" if hop.startswith("(waiting") else f"{count / busy:8.1%}"
        print(f"  {hop:<52}{count:>8}{share:>9}")
    for leaf, count in leaves.most_common(25):
        print(f"  {count:>6}  {leaf}")


if __name__ == "__main__":
    main()
