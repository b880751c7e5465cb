"""The reminder lane (scheduler/engine/reminders.py): plain reminders fired in batches without run slots,
with the same runs, events, next fires and messages as a run in a slot; LLM jobs keep their slots
and are claimed before every reminder batch. SQLite file and PostgreSQL, tick(now) on a fake clock."""

from __future__ import annotations

import gc
from datetime import timedelta

import anyio
import pytest
from sqlalchemy import text

from scheduler.engine.collector import collector_paused
from store.outbox import DeliveryStore
from tests.scheduler.engine.conftest import Engine, make_engine
from tests.support.nodes import insert_reminders


def lane_batch(engine: Engine, size: int) -> None:
    assert engine.poller.lane is not None
    engine.poller.lane.batch = size


def count(engine: Engine, sql: str) -> int:
    with engine.repo.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


async def test_a_burst_of_reminders_runs_in_batches_without_taking_a_slot(repo, clock) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(repo, clock, max_runs=1)
    lane_batch(engine, 50)
    ids = insert_reminders(repo, [clock.now()] * 120, owner="alice")
    with anyio.fail_after(30):
        first = await engine.poller.tick()
        assert (first.reminders, first.claimed, first.more_reminders) == (50, 50, True)
        assert not engine.runner.running  # no run slot, no task
        rest = await engine.poller.tick_until_idle()
    assert sum(r.reminders for r in rest) == 70
    per_job = dict(count_rows(engine, "SELECT job_id, count(*) FROM job_runs WHERE outcome = 'succeeded' "
                                      "GROUP BY job_id"))
    assert sorted(per_job) == sorted(ids) and set(per_job.values()) == {1}
    assert count(engine, "SELECT count(*) FROM jobs WHERE status = 'COMPLETED' AND claimed_by IS NULL") == 120
    inbox = DeliveryStore(repo).read_inbox("alice", None, 500, False, clock.now())
    assert sorted(m.job_id for m in inbox) == sorted(ids)
    assert inbox[0].message == f"{engine.job(inbox[0].job_id).instructions}\n\nJob '{inbox[0].title}' completed."
    # The same history as a run in a slot: the claim's event, then the finish's.
    events = [(e.from_status, e.to_status, e.actor) for e in engine.service.events("alice", ids[0])]
    assert events[-2:] == [("ACTIVE", "IN_PROGRESS", "node-a"), ("IN_PROGRESS", "COMPLETED", "engine")]
    [run] = engine.run_rows(ids[0])
    assert (run.outcome, run.verdict, run.attempt, run.worker) == ("succeeded", "completed", 1, "node-a")
    assert run.started_at == run.finished_at == clock.now() and run.scheduled_for == clock.now()


def count_rows(engine: Engine, sql: str) -> list[tuple[str, int]]:
    with engine.repo.engine.connect() as conn:
        return [(row[0], row[1]) for row in conn.execute(text(sql)).all()]


async def test_an_agent_job_due_with_a_burst_of_reminders_starts_in_the_first_pass(repo, clock) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(repo, clock, max_runs=1)
    lane_batch(engine, 50)
    insert_reminders(repo, [clock.now()] * 150, owner="alice")
    report = engine.create(title="Morning report", run_at=clock.now().isoformat())
    with anyio.fail_after(30):
        first = await engine.poller.tick()
        assert [run.claim.job.id for run in first.runs] == [report.id]  # before any reminder batch
        assert first.reminders == 50 and first.more_reminders
        await engine.poller.drain()
        # A second agent job comes due while 100 reminders still wait: it does not wait for them.
        clock.advance(seconds=1)
        later = engine.create(title="Noon report", run_at=clock.now().isoformat())
        second = await engine.poller.tick()
        assert [run.claim.job.id for run in second.runs] == [later.id]
        await engine.poller.drain()
    assert second.reminders == 50 and second.more_reminders
    [run] = engine.run_rows(later.id)
    assert run.started_at == run.scheduled_for == clock.now()  # on time, in the burst


async def test_a_recurring_reminder_gets_its_next_fire_and_its_missed_fires(engine: Engine) -> None:
    job = engine.create(action="notify", interval_seconds=60, misfire_grace_seconds=30)
    assert job.next_run_at is not None
    engine.clock.set(job.next_run_at + timedelta(minutes=3, seconds=10))  # three fires passed, the last 10 s ago
    with anyio.fail_after(20):
        report = await engine.poller.tick()
    assert (report.reminders, report.missed) == (1, 3)
    assert engine.outcomes(job.id) == ["missed", "missed", "missed", "succeeded"]
    ran = engine.run_rows(job.id)[-1]
    assert ran.scheduled_for == job.next_run_at + timedelta(minutes=3) and ran.attempt == 1
    assert ran.verdict == "continue"
    after = engine.job(job.id)
    assert (after.status, after.run_count, after.claimed_by) == ("ACTIVE", 1, None)
    assert after.next_run_at == job.next_run_at + timedelta(minutes=4)


async def test_a_reminder_with_a_webhook_has_its_webhook_row_in_the_same_batch(engine: Engine) -> None:
    job = engine.create(action="notify", chat_id="c1")
    with engine.repo.engine.begin() as conn:  # the service would resolve the host: set it as stored
        conn.execute(text("UPDATE jobs SET webhook_url = 'https://hooks.example/x', webhook_secret = :s "
                          "WHERE id = :id"), {"s": "s" * 16, "id": job.id})
    with anyio.fail_after(20):
        assert (await engine.poller.tick()).reminders == 1
    kinds = count_rows(engine, f"SELECT kind, count(*) FROM deliveries WHERE job_id = '{job.id}' GROUP BY kind")
    assert sorted(kinds) == [("inbox", 1), ("webhook", 1)]


async def test_a_reminder_with_a_cost_limit_or_a_replaced_notify_action_runs_in_a_slot(engine: Engine) -> None:
    capped = engine.create(action="notify", max_cost_usd=1.0)
    with anyio.fail_after(20):
        report = await engine.poller.tick()
        assert ([run.claim.job.id for run in report.runs], report.reminders) == ([capped.id], 0)
        await engine.poller.drain()
        engine.runner.actions["notify"] = engine.agent  # a replaced notify action: no lane
        plain = engine.create(action="notify")
        report = await engine.poller.tick()
        await engine.poller.drain()
    assert ([run.claim.job.id for run in report.runs], report.reminders) == ([plain.id], 0)
    assert engine.outcomes(capped.id) == engine.outcomes(plain.id) == ["succeeded"]


async def test_a_batch_runs_with_the_garbage_collector_paused_and_restores_it(repo, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The batch's rows all live until its commit: young collections during it free nothing (collector.py).
    engine = make_engine(repo, clock, max_runs=1)
    lane = engine.poller.lane
    assert lane is not None
    insert_reminders(repo, [clock.now()] * 3, owner="alice")
    during: list[bool] = []
    fire_due = lane.store.fire_due

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        during.append(gc.isenabled())
        return fire_due(*args, **kwargs)

    monkeypatch.setattr(lane.store, "fire_due", watched)
    assert gc.isenabled()
    with anyio.fail_after(30):
        report = await engine.poller.tick()
    assert (report.reminders, during, gc.isenabled()) == (3, [False], True)
    gc.disable()  # a start that runs with it off (jobs_mcp/cli.py) keeps it off
    try:
        with anyio.fail_after(30):
            await engine.poller.tick()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_comes_back_on_after_a_batch_that_raises() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("the batch failed")
    assert gc.isenabled()
