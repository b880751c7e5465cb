"""Fire lateness: run start minus scheduled time, for 10,000 jobs firing over one minute.

ONE_OFF notify jobs (the action boundary is the stub: no delivery yet), fires
spread evenly over 60 s starting 15 s after the nodes start (time for them to
come up). Real server processes: one on a SQLite file, three on one PostgreSQL.

    .venv/bin/python bench/lateness.py [jobs] [spread_s]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from engine_common import (
    as_datetime,
    database,
    have_postgres,
    insert_jobs,
    open_store,
    percentile,
    rows,
    start_nodes,
    succeeded,
)

LEAD_S = 15.0


def measure(kind: str, nodes: int, jobs: int, spread_s: float) -> None:
    with database(kind) as url, tempfile.TemporaryDirectory() as logs:
        engine, repo = open_store(url)
        base = time.time() + LEAD_S
        fires = [datetime.fromtimestamp(base + spread_s * n / (jobs - 1), UTC) for n in range(jobs)]
        insert_jobs(repo, fires, recurring=False)
        started = start_nodes(url, nodes, Path(logs), max_concurrent=8)
        try:
            deadline = time.monotonic() + LEAD_S + spread_s + 120
            while succeeded(engine) < jobs and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            for node in started:
                node.terminate()
        pairs = rows(engine, "SELECT started_at, scheduled_for FROM job_runs WHERE outcome = 'succeeded'")
        late_ms = [(as_datetime(start) - as_datetime(fire)).total_seconds() * 1000 for start, fire in pairs]
        print(f"{kind:>8} x{nodes} node(s): {len(late_ms)} runs, lateness p50 {percentile(late_ms, 0.5):7.1f} ms, "
              f"p99 {percentile(late_ms, 0.99):7.1f} ms, max {max(late_ms):7.1f} ms", flush=True)
        engine.dispose()



def main() -> None:
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    spread_s = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    print(f"lateness: {jobs} notify jobs firing over {spread_s:.0f} s (JOBS_MCP_MAX_CONCURRENT_RUNS=8)")
    measure("sqlite", 1, jobs, spread_s)
    if have_postgres():
        measure("postgres", 3, jobs, spread_s)


if __name__ == "__main__":
    main()
