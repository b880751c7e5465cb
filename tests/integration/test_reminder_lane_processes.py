"""The reminder lane in real server processes: kill -9 in the middle of a batch loses and repeats
nothing (SQLite file and PostgreSQL), and an agent job due with a burst of reminders starts in the
first pass, before the reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from scheduler.engine.reminders import BATCH
from tests.integration.test_engine_processes import FAST_LEASE, assert_each_fire_ran_once, count, open_store
from tests.support.databases import fresh_postgres_database
from tests.support.engine_server import HOLDING
from tests.support.nodes import insert_reminders, rows, running_nodes, scalar, start_node, wait_until

pytestmark = pytest.mark.slow
REMINDERS = 2 * BATCH + 200  # batch 1 commits, batch 2 is held uncommitted, the rest waits


def per_job(engine: Engine, sql: str) -> dict[str, int]:
    return {job_id: int(n) for job_id, n in rows(engine, sql)}


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_kill_9_mid_batch_then_restart_runs_every_reminder_exactly_once(tmp_path: Path, kind: str) -> None:
    with _database(kind, tmp_path) as url:
        engine, repo = open_store(url)
        job_ids = insert_reminders(repo, [datetime.now(UTC) + timedelta(seconds=1)] * REMINDERS)
        first = start_node(url, tmp_path, name="first", env={"JOBS_TEST_HOLD_REMINDER_BATCH": "2"})
        with running_nodes([first]):
            wait_until(lambda: HOLDING.format(2) in first.log(), 120, "the second batch written, uncommitted")
            # A read transaction: the node holds SQLite's writer slot.
            reader = engine.execution_options(sqlite_begin="DEFERRED")
            assert count(reader, "outcome = 'succeeded'") == BATCH  # type: ignore[arg-type]  # batch 1 is committed
            first.kill()  # SIGKILL inside the second batch's transaction
        # Nothing of the held batch is left: its jobs are due and untouched, no lease to wait out.
        assert count(engine, "outcome = 'succeeded'") == BATCH
        assert count(engine, "1 = 1") == BATCH
        assert scalar(engine, "SELECT count(*) FROM deliveries") == BATCH
        assert scalar(engine, "SELECT count(*) FROM jobs WHERE status = 'ACTIVE' AND claimed_by IS NULL") \
            == REMINDERS - BATCH
        second = start_node(url, tmp_path, name="second")
        with running_nodes([second]):
            wait_until(lambda: scalar(engine, "SELECT count(*) FROM jobs WHERE status = 'COMPLETED'") == REMINDERS,
                       120, "every reminder to run after the restart")
            assert second.terminate(), second.log()
        assert_each_fire_ran_once(engine, job_ids)
        inbox = per_job(engine, "SELECT job_id, count(*) FROM deliveries WHERE kind = 'inbox' GROUP BY job_id")
        assert sorted(inbox) == sorted(job_ids) and set(inbox.values()) == {1}
        claims = per_job(engine, "SELECT job_id, count(*) FROM job_events WHERE to_status = 'IN_PROGRESS' "
                                 "GROUP BY job_id")
        assert set(claims.values()) == {1} and len(claims) == REMINDERS
        engine.dispose()


def test_an_agent_job_due_with_a_burst_of_reminders_starts_before_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    engine, repo = open_store(url)
    node = start_node(url, tmp_path, name="node", env=FAST_LEASE)  # a 2 s safety tick
    with running_nodes([node]):
        fire = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
        ids = insert_reminders(repo, [fire] * (4 * BATCH + 1))
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE jobs SET action = 'agent' WHERE id = ?", (ids[-1],))
        # The node learns of rows written behind its back at its next safety tick.
        wait_until(lambda: scalar(engine, "SELECT count(*) FROM jobs WHERE status IN ('COMPLETED', 'FAILED')")
                   == len(ids), 120, "the burst to run")
        assert node.terminate(), node.log()
    [(agent_start,)] = rows(engine, "SELECT started_at FROM job_runs WHERE job_id = :id", id=ids[-1])
    first_reminder = scalar(engine, "SELECT min(started_at) FROM job_runs WHERE job_id != :id", id=ids[-1])
    assert agent_start <= first_reminder  # claimed in the pass that fired the first reminder batch, before it
    engine.dispose()


class _database:
    """A SQLite file in tmp_path, or a fresh PostgreSQL database."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind, self.tmp_path = kind, tmp_path
        self._pg = fresh_postgres_database() if kind == "postgres" else None

    def __enter__(self) -> str:
        if self._pg is not None:
            return self._pg.__enter__()
        return f"sqlite:///{self.tmp_path / 'jobs.db'}"

    def __exit__(self, *exc: object) -> None:
        if self._pg is not None:
            self._pg.__exit__(*exc)  # type: ignore[arg-type]
