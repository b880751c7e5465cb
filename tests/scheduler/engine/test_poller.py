"""tick(now) on every job type: fires, verdicts, run rows and events (SQLite file and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import anyio

from scheduler.engine.actions import ActionResult
from store.enums import RunOutcome, Verdict
from tests.scheduler.engine.conftest import Engine


async def test_one_off_notify_runs_once_and_completes(engine: Engine) -> None:
    job = engine.create(action="notify")
    with anyio.fail_after(10):
        report = await engine.poller.tick()
        await engine.poller.drain()
    assert report.claimed == 1
    done = engine.job(job.id)
    assert done.status == "COMPLETED"
    assert done.next_run_at is None and done.claimed_by is None and done.lease_until is None
    assert done.run_count == 1
    [run] = engine.run_rows(job.id)
    assert run.outcome == "succeeded" and run.verdict == "completed"
    assert run.output == "Water the plants on the balcony"
    assert run.scheduled_for == job.next_run_at and run.started_at == engine.clock.now()
    assert run.worker == "node-a" and run.attempt == 1
    events = [(e.from_status, e.to_status) for e in engine.service.events("alice", job.id)]
    assert events == [(None, "ACTIVE"), ("ACTIVE", "IN_PROGRESS"), ("IN_PROGRESS", "COMPLETED")]
    again = await engine.poller.tick()
    assert again.claimed == 0


async def test_a_job_not_yet_due_is_not_claimed(engine: Engine) -> None:
    job = engine.create(action="notify", run_at=(engine.clock.now() + timedelta(minutes=5)).isoformat())
    assert (await engine.poller.tick()).claimed == 0
    engine.clock.advance(minutes=5)
    with anyio.fail_after(10):
        assert (await engine.poller.tick()).claimed == 1
        await engine.poller.drain()
    assert engine.job(job.id).status == "COMPLETED"


async def test_recurring_job_fires_on_its_grid_and_stays_active(engine: Engine) -> None:
    job = engine.create(action="notify", interval_seconds=3600)
    first = job.next_run_at
    assert first is not None
    engine.clock.set(first + timedelta(seconds=3))  # a late start does not shift later fires
    with anyio.fail_after(10):
        await engine.poller.tick()
        await engine.poller.drain()
    after = engine.job(job.id)
    assert after.status == "ACTIVE" and after.run_count == 1
    assert after.next_run_at == first + timedelta(hours=1)
    assert engine.run_rows(job.id)[0].verdict == "continue"


async def test_scheduled_job_completes_after_max_runs(engine: Engine) -> None:
    job = engine.create(action="notify", cron="0 * * * *", max_runs=2)
    for _ in range(2):
        engine.clock.set(engine.job(job.id).next_run_at)  # type: ignore[arg-type]
        with anyio.fail_after(10):
            await engine.poller.tick()
            await engine.poller.drain()
    done = engine.job(job.id)
    assert done.status == "COMPLETED" and done.run_count == 2 and done.next_run_at is None
    assert engine.outcomes(job.id) == ["succeeded", "succeeded"]


async def test_recurring_job_completes_at_end_at(engine: Engine) -> None:
    end = engine.clock.now() + timedelta(minutes=90)
    job = engine.create(action="notify", interval_seconds=3600, end_at=end.isoformat())
    engine.clock.set(job.next_run_at)  # type: ignore[arg-type]
    with anyio.fail_after(10):
        await engine.poller.tick()
        await engine.poller.drain()
    assert engine.job(job.id).status == "COMPLETED"


async def test_ongoing_job_runs_until_the_verdict_says_done(engine: Engine) -> None:
    job = engine.create(interval_seconds=3600, job_type="ONGOING", end_condition="the price is below 100")
    engine.agent.script = [ActionResult(summary="price 120", verdict=Verdict.CONTINUE, new_state={"last": 120}),
                           ActionResult(summary="price 95", verdict=Verdict.COMPLETED)]
    for _ in range(2):
        engine.clock.set(engine.job(job.id).next_run_at)  # type: ignore[arg-type]
        with anyio.fail_after(10):
            await engine.poller.tick()
            await engine.poller.drain()
    done = engine.job(job.id)
    assert done.status == "COMPLETED" and done.run_count == 2
    assert done.state == {"last": 120}
    second = engine.agent.contexts[1]
    assert second.run_number == 2 and second.recent_summaries == ["price 120"]


async def test_ongoing_job_on_a_wall_clock_rule_fires_on_it_until_done(engine: Engine) -> None:
    # Now is Tuesday 2026-11-24 12:00 UTC = 13:00 in Berlin: the first fire is tomorrow at 08:00 CET.
    job = engine.create(job_type="ONGOING", schedule="every day at 8am", timezone="Europe/Berlin",
                        end_condition="the kettle costs under 30 EUR")
    assert (job.job_type, job.cron) == ("ONGOING", "0 8 * * *")
    engine.agent.script = [ActionResult(summary="34 EUR", verdict=Verdict.CONTINUE),
                           ActionResult(summary="32 EUR", verdict=Verdict.CONTINUE),
                           ActionResult(summary="29 EUR", verdict=Verdict.COMPLETED)]
    fired = []
    for _ in range(3):
        due = engine.job(job.id).next_run_at
        assert due is not None
        engine.clock.set(due - timedelta(seconds=1))  # nothing is due a second early
        with anyio.fail_after(10):
            assert (await engine.poller.tick()).claimed == 0
        engine.clock.set(due)
        with anyio.fail_after(10):
            await engine.poller.tick()
            await engine.poller.drain()
        fired.append(due.isoformat())
    assert fired == ["2026-11-25T07:00:00+00:00", "2026-11-26T07:00:00+00:00", "2026-11-27T07:00:00+00:00"]
    done = engine.job(job.id)
    assert done.status == "COMPLETED" and done.run_count == 3 and done.next_run_at is None
    assert [r.verdict for r in engine.run_rows(job.id)] == ["continue", "continue", "completed"]


async def test_concurrency_limit_caps_claims_per_node(engine: Engine) -> None:
    for n in range(12):
        engine.create(title=f"report {n}")
    with anyio.fail_after(10):
        first = await engine.poller.tick()
        assert first.claimed == 8 and first.more_due
        await engine.poller.drain()
        second = await engine.poller.tick()
        await engine.poller.drain()
    assert second.claimed == 4


async def test_job_resume_computes_the_next_fire_from_now(engine: Engine) -> None:
    job = engine.create(action="notify", interval_seconds=3600)
    engine.service.pause("alice", job.id)
    engine.clock.advance(hours=5, minutes=10)
    resumed = engine.service.resume("alice", job.id)
    assert resumed.next_run_at is not None and resumed.next_run_at > engine.clock.now()
    assert (await engine.poller.tick()).claimed == 0
    assert engine.outcomes(job.id) == []


async def test_agent_without_llm_fails_for_good_at_once(repo, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.scheduler.engine.conftest import make_engine

    engine = make_engine(repo, clock)
    engine.runner.actions["agent"] = __import__("scheduler.engine.actions", fromlist=["NoLLMAction"]).NoLLMAction()
    job = engine.create()
    with anyio.fail_after(10):
        await engine.poller.tick()
        await engine.poller.drain()
    failed = engine.job(job.id)
    assert failed.status == "FAILED" and "no LLM configured" in (failed.last_error or "")
    assert engine.outcomes(job.id) == [RunOutcome.FAILED.value]
