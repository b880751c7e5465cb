"""No-op runs per second through the full lifecycle: claim, run row, verdict, next fire.

Recurring notify jobs, all due at once, each run once (through the reminder lane);
real server processes on a SQLite file (1 node) and on PostgreSQL (1 and 3 nodes).
Runs/s is the number of runs over the time from the first run's start until the
benchmark sees them all committed.

As in bench/burst.py, the jobs are made due only once the nodes are up and idle
(`engine_common.due_together`): due before the nodes started, the first batches ran while each
node was still starting (uvicorn, the garbage collector's first passes), which measured the
start-up as much as the engine.

    .venv/bin/python bench/throughput.py [jobs] [max_concurrent_runs]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import machine
from engine_common import (
    FAR,
    as_datetime,
    database,
    due_together,
    have_postgres,
    insert_jobs,
    open_store,
    rows,
    start_nodes,
    succeeded,
)

POLL_S = 0.02  # "all committed" is seen at most this late
GOAL_RUNS_S = 10_000


def measure(kind: str, nodes: int, jobs: int, max_concurrent: int) -> None:
    with database(kind) as url, tempfile.TemporaryDirectory() as logs:
        engine, repo = open_store(url)
        insert_jobs(repo, [FAR] * jobs, recurring=True)
        started = start_nodes(url, nodes, Path(logs), max_concurrent)
        try:
            due_together(engine, "anchor_at", "next_run_at")
            deadline = time.monotonic() + 300
            while succeeded(engine) < jobs and time.monotonic() < deadline:
                time.sleep(POLL_S)
            seen_all = datetime.now(UTC)
        finally:
            for node in started:
                node.terminate()
        first, done = rows(engine, "SELECT min(started_at), count(*) FROM job_runs WHERE outcome = 'succeeded'")[0]
        # From the first run's start until this benchmark saw every run committed (a reminder batch's runs
        # all carry the batch's start instant, so the last finished_at would leave the last batch out).
        elapsed = (seen_all - as_datetime(first)).total_seconds()
        line = (f"{kind:>8} x{nodes} node(s): {done:>6} runs in {elapsed:6.2f} s = {done / elapsed:8.0f} runs/s "
                f"(max_concurrent_runs={max_concurrent})")
        if kind == "sqlite" and nodes == 1:
            met = "met" if done / elapsed >= GOAL_RUNS_S else "NOT met"
            line += f"; goal >= {GOAL_RUNS_S:,} runs/s on one SQLite node: {met}"
        print(line, flush=True)
        engine.dispose()



def main() -> None:
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    max_concurrent = int(sys.argv[2]) if len(sys.argv) > 2 else 256
    print(f"throughput: {jobs} recurring no-op (notify) jobs due at once")
    measure("sqlite", 1, jobs, max_concurrent)
    if have_postgres():
        measure("postgres", 1, jobs, max_concurrent)
        measure("postgres", 3, jobs, max_concurrent)


if __name__ == "__main__":
    main()
    print(machine.line())
