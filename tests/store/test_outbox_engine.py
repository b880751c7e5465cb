"""What reaches the chat when the engine runs jobs: written with the run, read through job_inbox."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from scheduler.clock import FakeClock
from scheduler.engine.actions import ActionResult
from store.enums import JobStatus, RunOutcome
from store.outbox import DeliveryStore
from store.repository import JobRepository
from tests.scheduler.engine.conftest import Engine, make_engine


def engine_with_outbox(repo: JobRepository, clock: FakeClock) -> tuple[Engine, DeliveryStore]:
    engine = make_engine(repo, clock)  # the app's engine writes into its outbox
    return engine, engine.app.deliveries


def inbox(store: DeliveryStore, clock: FakeClock, owner: str = "alice") -> list[tuple[str, str, str]]:
    return [(m.event, m.payload["status"], m.message) for m in store.read_inbox(owner, None, 50, True, clock.now())]


async def test_a_notify_reminder_reaches_the_inbox_with_its_run(repo: JobRepository, clock: FakeClock) -> None:
    engine, store = engine_with_outbox(repo, clock)
    job = engine.create(action="notify", instructions="Call the dentist", chat_id="c1")
    await engine.poller.tick_until_idle()
    [message] = store.read_inbox("alice", "c1", 10, False, clock.now())
    assert message.event == "job.completed" and message.payload["status"] == "COMPLETED"
    assert message.message.startswith("Call the dentist")
    assert message.run_id == engine.run_rows(job.id)[-1].id  # the message names the run that made it


async def test_agent_runs_reach_the_chat_only_when_worth_telling(repo: JobRepository, clock: FakeClock) -> None:
    engine, store = engine_with_outbox(repo, clock)
    job = engine.create(interval_seconds=3600)
    engine.agent.script = [ActionResult(summary="same price", message="no change", notify=False),
                           ActionResult(summary="price fell", message="The Pro plan is now $18", notify=True)]
    for _ in range(2):
        clock.set(engine.job(job.id).next_run_at)  # type: ignore[arg-type]
        await engine.poller.tick_until_idle()
    assert inbox(store, clock) == [("run.finished", "ACTIVE", "The Pro plan is now $18")]


async def test_final_outcomes_outside_runs_are_told(repo: JobRepository, clock: FakeClock) -> None:
    engine, store = engine_with_outbox(repo, clock)
    first = engine.create(title="Collect data", max_attempts=1)
    second = engine.create(title="Write report", depends_on=[first.id])
    engine.agent.script = [ActionResult(outcome=RunOutcome.FAILED, error="the site was down", retryable=False)]
    await engine.poller.tick_until_idle()
    assert engine.job(second.id).status == JobStatus.BLOCKED
    told = inbox(store, clock)
    assert [(event, status) for event, status, _ in told] == [("job.failed", "FAILED"), ("job.blocked", "BLOCKED")]
    assert "the site was down" in told[0][2] and first.id in told[1][2]
    # A one-off whose moment passed beyond its grace while the server was down.
    late = engine.create(title="Call Bob", action="notify", run_at=(clock.now() + timedelta(minutes=5)).isoformat(),
                         misfire_grace_seconds=60)
    clock.advance(hours=2)
    await engine.poller.tick_until_idle()
    assert engine.job(late.id).status == JobStatus.FAILED
    assert [(e, s) for e, s, _ in inbox(store, clock)] == [("job.failed", "FAILED")]


async def test_listeners_are_told_whose_messages_were_committed(repo: JobRepository, clock: FakeClock) -> None:
    engine = make_engine(repo, clock)
    outbox = engine.app.outbox
    told: list[frozenset[str]] = []
    outbox.add_listener(told.append)
    engine.create(action="notify", instructions="for alice")
    await engine.poller.tick_until_idle()
    engine.owner = "bob"
    engine.create(action="notify", instructions="for bob")
    engine.create(title="Quiet", interval_seconds=3600)  # an agent run with nothing to tell writes no message
    await engine.poller.tick_until_idle()
    assert told == [frozenset({"alice"}), frozenset({"bob"})]


def test_a_commit_announces_only_the_messages_its_own_thread_wrote(repo: JobRepository, clock: FakeClock) -> None:
    """The engine writes from several threads: one thread's commit must not announce another's pending rows."""
    engine = make_engine(repo, clock)
    outbox = engine.app.outbox
    told: list[frozenset[str]] = []
    outbox.add_listener(told.append)
    alices = engine.create(title="Alice's")
    engine.owner = "bob"
    bobs = engine.create(title="Bob's")

    def end(job_id: str, owner: str) -> None:
        with repo.write() as session:
            outbox.job_ended(session.connection(), repo.get_job(owner, job_id), JobStatus.FAILED, "gone",
                             clock.now())

    with ThreadPoolExecutor(max_workers=1) as other_thread:
        other_thread.submit(end, alices.id, "alice").result()
        end(bobs.id, "bob")
        outbox.after_commit()
        assert told == [frozenset({"bob"})]
        other_thread.submit(outbox.after_commit).result()
    assert told == [frozenset({"bob"}), frozenset({"alice"})]
