"""Time policies (misfire, overlap), retries with backoff, timeouts (SQLite file and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import anyio

from scheduler.engine.actions import ActionResult
from store.enums import RunOutcome
from tests.scheduler.engine.conftest import Engine


async def tick_and_drain(engine: Engine) -> None:
    with anyio.fail_after(10):
        await engine.poller.tick()
        await engine.poller.drain()


async def test_misfire_runs_one_catch_up_and_records_older_fires_as_missed(engine: Engine) -> None:
    job = engine.create(action="notify", interval_seconds=3600)
    first = job.next_run_at
    assert first is not None
    engine.clock.set(first + timedelta(hours=4, minutes=30))  # 5 fires passed; the latest is 30 min old
    await tick_and_drain(engine)
    runs = engine.run_rows(job.id)
    assert [r.outcome for r in runs] == ["missed"] * 4 + ["succeeded"]
    assert [r.scheduled_for for r in runs] == [first + timedelta(hours=h) for h in range(5)]
    after = engine.job(job.id)
    assert after.status == "ACTIVE" and after.next_run_at == first + timedelta(hours=5)
    assert after.run_count == 1


async def test_fires_older_than_the_grace_are_missed_without_a_run(engine: Engine) -> None:
    job = engine.create(action="notify", interval_seconds=3600, misfire_grace_seconds=60)
    first = job.next_run_at
    assert first is not None
    engine.clock.set(first + timedelta(hours=2, minutes=30))
    report = await engine.poller.tick()
    assert report.claimed == 0 and report.missed == 3
    after = engine.job(job.id)
    assert after.status == "ACTIVE" and after.next_run_at == first + timedelta(hours=3)
    assert after.claimed_by is None and after.run_count == 0
    assert engine.outcomes(job.id) == ["missed"] * 3


async def test_a_one_off_missed_beyond_its_grace_fails_and_resume_runs_it(engine: Engine) -> None:
    job = engine.create(action="notify", misfire_grace_seconds=60,
                        run_at=(engine.clock.now() + timedelta(minutes=1)).isoformat())
    engine.clock.advance(hours=1)
    await tick_and_drain(engine)
    failed = engine.job(job.id)
    assert failed.status == "FAILED" and "misfire grace" in (failed.last_error or "")
    assert engine.outcomes(job.id) == ["missed"]
    engine.service.resume("alice", job.id)
    await tick_and_drain(engine)
    assert engine.job(job.id).status == "COMPLETED"
    assert engine.outcomes(job.id) == ["missed", "succeeded"]


async def test_a_long_outage_is_never_a_burst(engine: Engine) -> None:
    job = engine.create(action="notify", interval_seconds=60)
    engine.clock.advance(days=7)
    await tick_and_drain(engine)
    outcomes = engine.outcomes(job.id)
    assert outcomes.count("succeeded") == 1
    assert engine.job(job.id).next_run_at > engine.clock.now()  # type: ignore[operator]


async def test_fires_during_a_run_are_skipped_and_recorded(engine: Engine) -> None:
    job = engine.create(interval_seconds=60)
    first = job.next_run_at
    assert first is not None
    gate = asyncio.Event()
    engine.agent.script = [gate]
    engine.clock.set(first)
    with anyio.fail_after(10):
        await engine.poller.tick()
        await engine.agent.started.wait()
        engine.clock.advance(seconds=150)
        assert (await engine.poller.tick()).claimed == 0  # still running: no second run
        gate.set()
        await engine.poller.drain()
    runs = engine.run_rows(job.id)
    assert sorted((r.scheduled_for, r.outcome) for r in runs) == [
        (first, "succeeded"), (first + timedelta(seconds=60), "skipped"), (first + timedelta(seconds=120), "skipped")]
    assert engine.job(job.id).next_run_at == first + timedelta(seconds=180)


async def test_failures_retry_with_exponential_backoff_then_fail(engine: Engine) -> None:
    job = engine.create(max_attempts=3)
    engine.agent.script = [ActionResult(outcome=RunOutcome.FAILED, error="HTTP 503")] * 3
    delays = []
    for _ in range(3):
        await tick_and_drain(engine)
        current = engine.job(job.id)
        if current.next_run_at is not None:
            delays.append((current.next_run_at - engine.clock.now()).total_seconds())
            engine.clock.set(current.next_run_at)
    assert delays == [30.0, 60.0]  # base 30 s, doubled; jitter fixed at the midpoint by the test's random
    failed = engine.job(job.id)
    assert failed.status == "FAILED" and failed.last_error == "HTTP 503" and failed.attempt == 3
    runs = engine.run_rows(job.id)
    assert [(r.attempt, r.outcome) for r in runs] == [(1, "failed"), (2, "failed"), (3, "failed")]
    assert runs[-1].verdict == "failed"


async def test_a_retry_that_succeeds_resets_the_attempts(engine: Engine) -> None:
    job = engine.create(max_attempts=3)
    engine.agent.script = [RuntimeError("flaky network")]
    await tick_and_drain(engine)
    retrying = engine.job(job.id)
    assert retrying.status == "ACTIVE" and retrying.attempt == 1
    assert retrying.last_error == "RuntimeError: flaky network"
    engine.clock.set(retrying.next_run_at)  # type: ignore[arg-type]
    await tick_and_drain(engine)
    done = engine.job(job.id)
    assert done.status == "COMPLETED" and done.attempt == 0 and done.last_error is None
    assert engine.agent.contexts[1].attempt == 2


async def test_a_run_past_its_timeout_is_stopped_and_retried(engine: Engine) -> None:
    job = engine.create(timeout_seconds=5)  # the test engine scales timeouts by 0.01: 50 ms
    engine.agent.script = [asyncio.Event()]  # never set
    await tick_and_drain(engine)
    [run] = engine.run_rows(job.id)
    assert run.outcome == "timed_out" and run.error == "timed out after 5 s"
    assert engine.job(job.id).status == "ACTIVE"


async def test_a_recurring_retry_never_waits_past_the_next_regular_fire(engine: Engine) -> None:
    job = engine.create(interval_seconds=60, max_attempts=5)
    engine.clock.set(job.next_run_at)  # type: ignore[arg-type]
    engine.agent.script = [ActionResult(outcome=RunOutcome.FAILED, error="boom")] * 3
    first = job.next_run_at
    assert first is not None
    await tick_and_drain(engine)
    assert engine.job(job.id).next_run_at == first + timedelta(seconds=30)  # backoff 30 s < the next fire
    engine.clock.set(first + timedelta(seconds=30))
    await tick_and_drain(engine)
    current = engine.job(job.id)
    assert current.next_run_at == first + timedelta(seconds=60)  # backoff 60 s would pass the 12:02 fire
    assert current.attempt == 2


async def test_a_job_over_its_cost_limit_is_blocked_with_the_reason(engine: Engine) -> None:
    job = engine.create(interval_seconds=3600, max_cost_usd=0.05)
    engine.agent.script = [ActionResult(summary="one", cost_usd=0.03), ActionResult(summary="two", cost_usd=0.03)]
    engine.clock.set(engine.job(job.id).next_run_at)  # type: ignore[arg-type]
    await engine.poller.tick_until_idle()
    assert engine.job(job.id).status == "ACTIVE"  # $0.03 spent, under the limit
    engine.clock.set(engine.job(job.id).next_run_at)  # type: ignore[arg-type]
    await engine.poller.tick_until_idle()
    blocked = engine.job(job.id)
    assert blocked.status == "BLOCKED" and blocked.next_run_at is None
    assert "cost limit exceeded" in (blocked.last_error or "") and "0.0600" in (blocked.last_error or "")
    assert [r.cost_usd for r in engine.run_rows(job.id)] == [0.03, 0.03]  # both runs are recorded
