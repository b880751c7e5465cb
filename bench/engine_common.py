"""Shared by the engine benchmarks: databases, real server processes, job inserts, figures.

Nodes are real server processes (`python -m tests.support.engine_server`: the
production runtime with the engine; notify runs return at once, so the action
boundary is the stub) on a SQLite file or one PostgreSQL database.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, update  # noqa: E402

from jobs_mcp.app import build_app  # noqa: E402
from jobs_mcp.config import Settings  # noqa: E402
from jobs_mcp.engine_wiring import EngineMode  # noqa: E402
from store.enums import JobStatus  # noqa: E402
from store.ids import new_job_id  # noqa: E402
from store.models import Job, JobEvent  # noqa: E402
from store.repository import JobRepository  # noqa: E402
from store.run_types import JOBS  # noqa: E402
from tests.support.databases import fresh_postgres_database, postgres_available  # noqa: E402
from tests.support.nodes import Node, rows, start_node  # noqa: E402

SETTLE_S = 5.0  # after the nodes listen: the search model (where there is one) loads in the background
SAFETY_TICK_S = 10.0  # the engine's safety interval with the default lease (scheduler/engine/loop.py)
FAR = datetime(2100, 1, 1, tzinfo=UTC)  # not due during a benchmark's set-up


def due_together(engine: Engine, *columns: str) -> datetime:
    """Once the nodes are up and idle (SETTLE_S), every job's `columns` set in one statement to the same
    whole second (as people pick), after every node's next safety tick: that tick reads the new earliest
    fire and arms for it. Returns that second."""
    time.sleep(SETTLE_S)
    fire = datetime.fromtimestamp(round(time.time() + SAFETY_TICK_S + 2), UTC)
    with engine.begin() as conn:
        conn.execute(update(JOBS).values(dict.fromkeys(columns, fire)))
    return fire


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'jobs.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


def have_postgres() -> bool:
    reason = postgres_available()
    if reason:
        print(f"  (skipping PostgreSQL: {reason})")
    return reason is None


def open_store(url: str) -> tuple[Engine, JobRepository]:
    """The database as a node opens it (schema included), without running an engine of its own."""
    app = build_app(Settings(database_url=url), engine=EngineMode.OFF, search=False)
    return app.db, app.repo


def insert_jobs(repo: JobRepository, fires: Sequence[datetime], *, recurring: bool) -> None:
    """notify jobs, one per fire; recurring ones fire again an hour later (so each runs once here)."""
    now = datetime.now(UTC)
    for start in range(0, len(fires), 2000):
        jobs = [Job(id=new_job_id(), owner="bench", title=f"job {n}", instructions=f"reminder {n}",
                    job_type="RECURRING" if recurring else "ONE_OFF", action="notify", timezone="UTC",
                    run_at=None if recurring else fire, interval_seconds=3600 if recurring else None,
                    anchor_at=fire if recurring else None, status=JobStatus.ACTIVE.value, next_run_at=fire,
                    created_at=now, updated_at=now)
                for n, fire in enumerate(fires[start:start + 2000], start)]
        with repo.write() as session:
            session.add_all(jobs)
            session.add_all([JobEvent(job_id=j.id, owner="bench", at=now, to_status=j.status, actor="bench")
                             for j in jobs])


def start_nodes(url: str, count: int, log_dir: Path, max_concurrent: int) -> list[Node]:
    env = {"JOBS_MCP_MAX_CONCURRENT_RUNS": str(max_concurrent), "JOBS_TEST_RUN_DELAY": "0"}
    return [start_node(url, log_dir, name=f"node{n}", env=env) for n in range(count)]


def succeeded(engine: Engine) -> int:
    # A deferred (read) transaction: the benchmark must not take SQLite's writer slot from the node.
    return int(rows(engine.execution_options(sqlite_begin="DEFERRED"),  # type: ignore[arg-type]
                    "SELECT count(*) FROM job_runs WHERE outcome = 'succeeded'")[0][0])


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


__all__ = ["database", "have_postgres", "open_store", "insert_jobs", "start_nodes", "succeeded", "percentile",
           "soon", "rows", "statistics", "due_together", "FAR"]


def as_datetime(value: object) -> datetime:
    """A timestamp column as an aware UTC datetime (SQLite hands back text, PostgreSQL naive or aware values)."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
