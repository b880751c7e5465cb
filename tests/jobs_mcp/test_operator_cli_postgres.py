"""The command line on PostgreSQL: tail follows runs written by two nodes, doctor checks the clocks, a change from
the command line wakes the serving nodes (LISTEN/NOTIFY)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta

import anyio
import psycopg
import pytest
from click.testing import CliRunner

from jobs_mcp.app import build_app
from jobs_mcp.cli import main
from jobs_mcp.config import Settings
from scheduler.clock import FakeClock, SystemClock
from scheduler.engine.notify_pg import CHANNEL
from scheduler.jobs.job_input import JobInput
from tests.support.databases import fresh_postgres_database
from tests.support.fake_anthropic import FakeMessagesAPI
from tests.support.http import serve_in_thread

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        assert CliRunner().invoke(main, ["db", "upgrade"], env={"JOBS_MCP_DATABASE_URL": url}).exit_code == 0
        yield url


def test_tail_shows_the_runs_of_every_node(pg_url: str) -> None:
    clock = FakeClock(SystemClock().now() - timedelta(minutes=2))
    nodes = [build_app(Settings(database_url=pg_url, node_id=f"node-{n}"), clock, search=False) for n in (1, 2)]
    try:
        for n in range(6):
            nodes[0].service.create(f"owner-{n % 2}", JobInput(title=f"t{n}", instructions="hi", action="notify",
                                                               run_at=clock.now().isoformat()))

        async def both() -> None:
            async with anyio.create_task_group() as group:
                for node in nodes:
                    group.start_soon(node.engine.poller.tick_until_idle)  # type: ignore[union-attr]

        anyio.run(both)
    finally:
        for node in nodes:
            node.close()
    result = CliRunner().invoke(main, ["tail", "--once", "--json"], env={"JOBS_MCP_DATABASE_URL": pg_url})
    events = [json.loads(line) for line in result.output.splitlines()]
    finished = [e for e in events if e["activity"] == "run.finished"]
    assert len(finished) == 6 and {e["outcome"] for e in finished} == {"succeeded"}
    assert sum(e["activity"] == "delivery.created" for e in events) == 6
    assert {e["worker"] for e in finished} <= {"node-1", "node-2"}


def test_doctor_on_postgres_checks_clock_skew_and_the_llm(pg_url: str) -> None:
    with serve_in_thread(FakeMessagesAPI().app) as base:
        result = CliRunner().invoke(main, ["doctor", "--json"], env={
            "JOBS_MCP_DATABASE_URL": pg_url, "ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": base})
    report = json.loads(result.output)
    assert result.exit_code == 0, report
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["clock skew"]["verdict"] == "ok" and "from the database" in checks["clock skew"]["detail"]
    assert checks["LLM endpoint"]["verdict"] == "ok"


def test_doctor_names_a_node_whose_clock_is_ahead(pg_url: str) -> None:
    app = build_app(Settings(database_url=pg_url), FakeClock(SystemClock().now()), search=False)
    job = app.service.create("o", JobInput(title="t", instructions="x", action="notify", cron="0 9 * * *")).job
    with app.db.begin() as conn:  # a node 10 minutes ahead took a lease
        conn.exec_driver_sql("UPDATE jobs SET claimed_by = 'fast-node', lease_until = now() + interval '10 minutes' "
                             "WHERE id = %(id)s", {"id": job.id})
    app.close()
    result = CliRunner().invoke(main, ["doctor"], env={"JOBS_MCP_DATABASE_URL": pg_url})
    assert result.exit_code == 1
    line = next(line for line in result.output.splitlines() if "clock skew" in line)
    assert line.startswith("FAIL") and "fast-node" in line


def test_a_cancel_from_the_command_line_wakes_the_nodes(pg_url: str) -> None:
    app = build_app(Settings(database_url=pg_url), FakeClock(SystemClock().now()), search=False)
    job = app.service.create("o", JobInput(title="t", instructions="x", action="notify", cron="0 9 * * *")).job
    app.close()
    heard: list[str] = []
    ready = threading.Event()

    def listen() -> None:
        dsn = pg_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            ready.set()
            for note in conn.notifies(timeout=10, stop_after=1):
                heard.append(note.payload)

    listener = threading.Thread(target=listen)
    listener.start()
    assert ready.wait(10)
    result = CliRunner().invoke(main, ["jobs", "cancel", job.id], env={"JOBS_MCP_DATABASE_URL": pg_url})
    listener.join(15)
    assert result.exit_code == 0, result.output
    assert heard and heard[0].startswith(f"{job.id}|CANCELLED|")
