"""No-op runs per second through the full lifecycle: claim, run row, verdict, next fire.

Recurring notify jobs, all due at once, each run once; real server processes on
a SQLite file (1 node) and on PostgreSQL (1 and 3 nodes). Runs/s is the number of
runs over the time from the first run's start to the last run's finish.

    .venv/bin/python bench/throughput.py [jobs] [max_concurrent_runs]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from engine_common import (
    as_datetime,
    database,
    have_postgres,
    insert_jobs,
    open_store,
    rows,
    soon,
    start_nodes,
    succeeded,
)


def measure(kind: str, nodes: int, jobs: int, max_concurrent: int) -> None:
    with database(kind) as url, tempfile.TemporaryDirectory() as logs:
        engine, repo = open_store(url)
        insert_jobs(repo, [soon(-1)] * jobs, recurring=True)
        started = start_nodes(url, nodes, Path(logs), max_concurrent)
        try:
            deadline = time.monotonic() + 300
            while succeeded(engine) < jobs and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            for node in started:
                node.terminate()
        first, last, done = rows(engine, "SELECT min(started_at), max(finished_at), count(*) FROM job_runs "
                                         "WHERE outcome = 'succeeded'")[0]
        elapsed = (as_datetime(last) - as_datetime(first)).total_seconds()
        print(f"{kind:>8} x{nodes} node(s): {done:>6} runs in {elapsed:6.2f} s = {done / elapsed:8.0f} runs/s "
              f"(max_concurrent_runs={max_concurrent})", flush=True)
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
