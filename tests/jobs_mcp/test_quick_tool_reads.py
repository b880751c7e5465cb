"""job_retrieval_by_id on SQLite reads on the event loop, without a worker thread (store/quick_reads.py), and
answers correctly while another connection holds the write lock; where the quick read does not apply, the
worker thread answers the same."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from jobs_mcp import tools_jobs
from jobs_mcp.app import App
from jobs_mcp.server import JobsServer
from tests.jobs_mcp.test_tools_http import data, error

CREATE = {"title": "Water the plants", "instructions": "The balcony ones", "cron": "0 9 * * *", "action": "notify"}


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the functions the job tools hand to a worker thread, from here on."""
    handed: list[str] = []
    real = tools_jobs.off_loop

    async def recorded(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        handed.append(getattr(fn, "__name__", repr(fn)))
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(tools_jobs, "off_loop", recorded)
    yield handed


async def test_by_id_read_happens_without_a_worker_thread_on_sqlite(server: JobsServer, hops: list[str]) -> None:
    async with Client(server) as client:
        job_id = data(await client.call_tool("job_create", CREATE))["job"]["id"]
        hops.clear()
        shown = data(await client.call_tool("job_retrieval_by_id", {"job_id": job_id}))
        runs = data(await client.call_tool("job_runs", {"job_id": job_id}))
    assert hops == []
    assert shown["job"]["id"] == job_id and shown["job"]["title"] == "Water the plants"
    assert shown["job"]["instructions"] == "The balcony ones" and shown["runs"] == []
    assert runs["runs"] == [] and runs["job_id"] == job_id


async def test_by_id_read_answers_while_another_connection_holds_the_write_lock(
        server: JobsServer, state: App, hops: list[str]) -> None:
    async with Client(server) as client:
        job_id = data(await client.call_tool("job_create", CREATE))["job"]["id"]
        hops.clear()
        writer = sqlite3.connect(Path(state.db.url.database or ""), isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("UPDATE jobs SET title = 'Not yet' WHERE id = ?", (job_id,))
            shown = data(await client.call_tool("job_retrieval_by_id", {"job_id": job_id}))
        finally:
            writer.execute("ROLLBACK")
            writer.close()
    assert hops == [] and shown["job"]["title"] == "Water the plants"


async def test_by_id_read_keeps_owners_apart(server: JobsServer, state: App, hops: list[str]) -> None:
    job_id = state.service.create("bob", tools_jobs.JobInput(**CREATE)).job.id
    async with Client(server) as client:  # the in-memory client's owner is `local`
        refused = error(await client.call_tool("job_retrieval_by_id", {"job_id": job_id}))
    assert refused.startswith("not_found") and "Water" not in refused and hops == []


async def test_worker_thread_answers_where_no_quick_read_applies(server: JobsServer, state: App,
                                                                 hops: list[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    async with Client(server) as client:
        job_id = data(await client.call_tool("job_create", CREATE))["job"]["id"]
        quick = data(await client.call_tool("job_retrieval_by_id", {"job_id": job_id}))
        monkeypatch.setattr(state.repo, "job_with_runs_now", lambda *_args: None)  # as when SQLite is busy
        hops.clear()
        threaded = data(await client.call_tool("job_retrieval_by_id", {"job_id": job_id}))
        full = data(await client.call_tool("job_retrieval_by_id", {"job_id": job_id, "runs": 0}))
    assert hops == ["job_detail", "job_detail"]
    assert threaded == quick and full["job"]["id"] == job_id
