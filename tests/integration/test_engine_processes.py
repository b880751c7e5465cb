"""Real server processes: SIGKILL mid-run on SQLite, three nodes on one PostgreSQL, SIGTERM."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from store.engine import make_engine
from store.repository import JobRepository
from store.schema import ensure_schema
from tests.jobs_mcp.conftest import http_client
from tests.support.databases import fresh_postgres_database
from tests.support.nodes import insert_reminders, rows, running_nodes, scalar, spread, start_node, wait_until

pytestmark = pytest.mark.slow
FAST_LEASE = {"JOBS_MCP_LEASE_SECONDS": "2", "JOBS_MCP_SHUTDOWN_GRACE_SECONDS": "2"}


def open_store(url: str) -> tuple[Engine, JobRepository]:
    engine = make_engine(url)
    ensure_schema(engine)
    return engine, JobRepository(engine)


def count(engine: Engine, where: str) -> int:
    return int(scalar(engine, f"SELECT count(*) FROM job_runs WHERE {where}"))


def assert_each_fire_ran_once(engine: Engine, job_ids: list[str]) -> None:
    per_job = dict(rows(engine, "SELECT job_id, count(*) FROM job_runs WHERE outcome = 'succeeded' GROUP BY job_id"))
    assert sorted(per_job) == sorted(job_ids)
    assert set(per_job.values()) == {1}
    statuses = dict(rows(engine, "SELECT status, count(*) FROM jobs GROUP BY status"))
    assert statuses == {"COMPLETED": len(job_ids)}
    assert count(engine, "outcome = 'running'") == 0


def test_sigkill_mid_run_on_sqlite_loses_no_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    engine, repo = open_store(url)
    job_ids = insert_reminders(repo, spread(60, 0.5, 1.0))
    env = {**FAST_LEASE, "JOBS_TEST_RUN_DELAY": "0.4", "JOBS_MCP_MAX_CONCURRENT_RUNS": "8"}
    first = start_node(url, tmp_path, name="first", env=env)
    with running_nodes([first]):
        wait_until(lambda: count(engine, "outcome = 'succeeded'") >= 8 and count(engine, "outcome = 'running'") >= 4,
                   30, "runs in flight")
        first.kill()
    in_flight = count(engine, "outcome = 'running'")
    assert in_flight >= 4
    second = start_node(url, tmp_path, name="second", env=env)
    with running_nodes([second]):
        wait_until(lambda: scalar(engine, "SELECT count(*) FROM jobs WHERE status = 'COMPLETED'") == 60, 60,
                   "every job to complete after the restart")
        assert second.terminate(), second.log()
    assert_each_fire_ran_once(engine, job_ids)
    abandoned = rows(engine, "SELECT attempt, error FROM job_runs WHERE outcome = 'abandoned'")
    assert len(abandoned) == in_flight
    assert all(attempt == 1 and "lease expired" in error for attempt, error in abandoned)
    engine.dispose()


def test_three_nodes_on_postgresql_run_each_fire_exactly_once(tmp_path: Path) -> None:
    with fresh_postgres_database() as url:
        engine, repo = open_store(url)
        env = {**FAST_LEASE, "JOBS_TEST_RUN_DELAY": "0.02", "JOBS_MCP_MAX_CONCURRENT_RUNS": "16"}
        nodes = [start_node(url, tmp_path, name=f"node{n}", env=env) for n in range(3)]
        with running_nodes(nodes):
            # Jobs written after the nodes are up, so every node is there when the fires come.
            job_ids = insert_reminders(repo, spread(2000, 1.0, 3.0))
            victim = nodes[1]

            def victim_is_busy() -> bool:
                return count(engine, "outcome = 'succeeded'") >= 600 and all(
                    count(engine, f"worker LIKE '%-{node.process.pid}' AND outcome = 'succeeded'") > 0
                    for node in nodes)

            wait_until(victim_is_busy, 60, "a third of the runs, some on every node")
            victim.kill()
            wait_until(lambda: scalar(engine, "SELECT count(*) FROM jobs WHERE status = 'COMPLETED'") == 2000, 60,
                       "every job to complete")
            for node in (nodes[0], nodes[2]):
                assert node.terminate(), node.log()
        assert_each_fire_ran_once(engine, job_ids)
        workers = dict(rows(engine, "SELECT worker, count(*) FROM job_runs WHERE outcome = 'succeeded' "
                                    "GROUP BY worker"))
        assert len(workers) == 3  # the work was shared, the killed node's included
        abandoned = rows(engine, "SELECT DISTINCT worker FROM job_runs WHERE outcome = 'abandoned'")
        assert len(abandoned) <= 1
        engine.dispose()


def test_real_cli_runs_a_reminder_created_over_mcp_and_stops_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    engine, _repo = open_store(url)
    cli = [str(Path(sys.executable).with_name("jobs-mcp")), "serve"]
    node = start_node(url, tmp_path, name="cli", env=FAST_LEASE, command=cli)
    with running_nodes([node]):
        job_id = asyncio.run(_create_over_mcp(node.url))
        wait_until(lambda: scalar(engine, "SELECT status FROM jobs WHERE id = :id", id=job_id) == "COMPLETED", 30,
                   "the reminder to run")
        assert node.terminate(), node.log()
    [(outcome, output)] = rows(engine, "SELECT outcome, output FROM job_runs WHERE job_id = :id", id=job_id)
    assert (outcome, output) == ("succeeded", "Stretch your legs")
    engine.dispose()


async def _create_over_mcp(url: str) -> str:
    async with http_client(url) as client:
        result = await client.call_tool("job_create", {"title": "Stretch", "instructions": "Stretch your legs",
                                                       "action": "notify", "job_type": "ONE_OFF"})
    assert not result.is_error, result
    payload = result.structured_content or json.loads(result.content[0].text)  # type: ignore[union-attr]
    job = payload.get("job", payload)
    return str(job["id"])
