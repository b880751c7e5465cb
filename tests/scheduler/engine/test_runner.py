"""How a run ends when its action is stopped or misbehaves (SQLite file and PostgreSQL).

The action is awaited inside the run's own task: a stop cancels that task and the run takes the
cancellation back, so these cases must still record exactly one outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

import anyio

from scheduler.clock import FakeClock
from scheduler.engine.actions import ActionResult, RunContext
from store.repository import JobRepository
from store.runs import RunStore
from tests.conftest import START
from tests.scheduler.engine.conftest import Engine, make_engine


async def test_an_action_raising_its_own_timeout_error_is_a_failure_not_a_timeout(engine: Engine) -> None:
    job = engine.create(max_attempts=1)
    engine.agent.script = [TimeoutError("upstream took too long")]
    with anyio.fail_after(10):
        await engine.poller.tick()
        await engine.poller.drain()
    [run] = engine.run_rows(job.id)
    assert run.outcome == "failed" and run.error == "TimeoutError: upstream took too long"


async def test_a_stop_the_action_swallows_still_ends_the_run_as_cancelled(engine: Engine) -> None:
    job = engine.create()
    started = asyncio.Event()

    async def stubborn(context: RunContext) -> ActionResult:
        started.set()
        with contextlib.suppress(asyncio.CancelledError):  # a badly behaved action: it carries on and returns
            await asyncio.Event().wait()
        return ActionResult(summary="finished anyway")

    engine.runner.actions["agent"] = stubborn
    with anyio.fail_after(10):
        await engine.poller.tick()
        await started.wait()
        engine.service.cancel("alice", job.id, "not needed")
        await engine.poller.drain()
    [run] = engine.run_rows(job.id)
    assert run.outcome == "cancelled" and run.error == "cancelled by its owner"
    assert engine.job(job.id).status == "CANCELLED"


async def test_a_run_stopped_before_its_action_began_never_calls_it(engine: Engine) -> None:
    job = engine.create()
    engine.poller.lane = None  # the lane's batch after the claim would let the run task start
    with anyio.fail_after(10):
        report = await engine.poller.tick()  # the run task exists but has not started yet
        engine.runner.stop_run(job.id, "the node shut down")
        await engine.poller.drain()
    assert report.claimed == 1 and engine.agent.contexts == []
    [run] = engine.run_rows(job.id)
    assert run.outcome == "cancelled" and run.error == "the node shut down"


async def test_a_stopped_run_leaves_its_task_able_to_record_the_finish(engine: Engine) -> None:
    job = engine.create()
    engine.agent.script = [asyncio.Event()]  # would never finish by itself
    with anyio.fail_after(10):
        report = await engine.poller.tick()
        await engine.agent.started.wait()
        engine.runner.stop_run(job.id, "the job was cancelled or its lease was taken back")
        await engine.poller.drain()
    [handle] = report.runs
    assert handle.task is not None and handle.task.done() and not handle.task.cancelled()
    assert engine.outcomes(job.id) == ["cancelled"]


class _HistoryUnreadable(RunStore):
    """A run store whose read of one job's run history fails, as a damaged history would."""

    def __init__(self, runs: RunStore, job_id: str) -> None:
        super().__init__(runs.repo, runs.outbox)
        self.job_id = job_id

    def recent_summaries(self, job_id: str, limit: int = 3) -> list[str]:
        if job_id == self.job_id:
            raise ValueError("the run history cannot be read")
        return super().recent_summaries(job_id, limit)


async def test_a_context_that_cannot_be_built_fails_that_run_only(engine: Engine) -> None:
    broken, *healthy = [engine.create(title=f"Agent {n}").id for n in range(3)]
    engine.runner.runs = _HistoryUnreadable(engine.runner.runs, broken)
    with anyio.fail_after(10):
        report = await engine.poller.tick()
        await engine.poller.drain()
    assert report.claimed == 3
    assert [engine.outcomes(job_id) for job_id in healthy] == [["succeeded"], ["succeeded"]]
    [run] = engine.run_rows(broken)
    assert run.outcome == "failed" and run.error == "internal error: ValueError"
    assert engine.job(broken).status == "ACTIVE"  # its attempts are counted like any failed run
    assert broken not in [context.job.id for context in engine.agent.contexts]  # the action never ran


class _MovingClock(FakeClock):
    """A clock that moves a millisecond on every read: a value read twice in one write shows."""

    def now(self) -> datetime:
        return self.advance(0.001)


async def test_each_write_of_a_run_carries_one_instant(repo: JobRepository) -> None:
    clock = _MovingClock(START)
    engine = make_engine(repo, clock)
    job = engine.create(interval_seconds=60)
    assert job.next_run_at is not None
    clock.set(job.next_run_at)
    with anyio.fail_after(10):
        await engine.poller.tick()
        await engine.poller.drain()
    [run] = engine.run_rows(job.id)
    claimed, finished = engine.service.events("alice", job.id)[-2:]
    assert (claimed.to_status, finished.to_status) == ("IN_PROGRESS", "ACTIVE")
    assert claimed.at == run.started_at == engine.agent.contexts[0].now  # the pass's instant
    assert finished.at == run.finished_at == engine.job(job.id).updated_at  # the finish's instant
    assert run.finished_at is not None and run.started_at is not None and run.finished_at > run.started_at
