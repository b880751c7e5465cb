"""The engine loop on the real clock: it wakes at the next due time, and stops gracefully."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import anyio
import pytest

from jobs_mcp.app import build_app
from jobs_mcp.config import Settings
from jobs_mcp.engine_wiring import EngineMode, EngineTuning
from scheduler.engine.actions import ActionResult, RunContext
from scheduler.engine.loop import EngineLoop
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import JobService
from store.models import Job
from tests.scheduler.engine.conftest import NO_QUOTAS


class Hang:
    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def __call__(self, context: RunContext) -> ActionResult:
        self.started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


@pytest.fixture
async def loop_parts(tmp_path: Path) -> AsyncIterator[tuple[EngineLoop, JobService, asyncio.Queue[Job]]]:
    # A safety interval far beyond the test's bound: only a wake-up can make runs happen in time.
    app = build_app(Settings(database_url=f"sqlite:///{tmp_path / 'jobs.db'}", node_id="loop-node", **NO_QUOTAS),
                    engine=EngineMode.LOOP, actions={"agent": Hang()}, search=False,
                    tuning=EngineTuning(safety_interval_s=600, shutdown_grace_s=0.1))
    assert app.engine is not None and app.engine.loop is not None
    loop, runner = app.engine.loop, app.engine.runner
    finished: asyncio.Queue[Job] = asyncio.Queue()
    on_finished = runner.on_finished

    def record(job: Job | None) -> None:
        assert on_finished is not None
        on_finished(job)
        if job is not None:
            finished.put_nowait(job)

    runner.on_finished = record
    async with app.running():
        yield loop, app.service, finished
    app.close()


async def test_the_loop_wakes_at_the_fire_of_a_new_job(loop_parts) -> None:  # type: ignore[no-untyped-def]
    loop, service, finished = loop_parts
    with anyio.fail_after(5):
        await anyio.sleep(0)  # let the loop's first pass find nothing
        run_at = service.clock.now() + timedelta(milliseconds=300)
        job = service.create("alice", JobInput(title="t", instructions="tea is ready", action="notify",
                                               run_at=run_at.isoformat())).job
        # A reminder runs in the reminder lane, not in a slot: its job row tells when it ran.
        while service.get("alice", job.id).status != "COMPLETED":
            await anyio.sleep(0.02)
    [run] = service.runs("alice", job.id)
    assert run.started_at is not None and run.started_at >= run_at
    assert finished.empty()  # no run slot was used


async def test_stop_releases_runs_that_outlast_the_grace(loop_parts) -> None:  # type: ignore[no-untyped-def]
    loop, service, _finished = loop_parts
    hang = loop.runner.actions["agent"]
    assert isinstance(hang, Hang)
    job = service.create("alice", JobInput(title="t", instructions="long task")).job
    with anyio.fail_after(5):
        await hang.started.wait()
        await loop.stop()
    released = service.get("alice", job.id)
    assert released.status == "ACTIVE" and released.claimed_by is None and released.attempt == 0
    assert released.next_run_at == job.next_run_at  # another node takes it at once
    [run] = service.runs("alice", job.id)
    assert run.outcome == "abandoned" and "shut down" in (run.error or "")
