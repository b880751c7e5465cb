"""Fault isolation (docs/engine.md): one damaged job never stops the others, in any step of a pass.

Each test puts a row damaged with plain SQL (tests/support/damage.py) next to healthy jobs, runs
one pass, and checks that the healthy jobs ran in that same pass while the damaged job was set
aside (FAILED, or BLOCKED while it waits for dependencies) with the reason in an engine event.
SQLite file and PostgreSQL.
"""

from __future__ import annotations

import asyncio

import anyio
import pytest
from sqlalchemy import text

from scheduler.engine.actions import ActionResult
from store.outbox import DeliveryStore
from tests.scheduler.engine.conftest import Engine, make_engine
from tests.support.damage import DUE_JOB_DAMAGE, Damage, damage


def healthy_jobs(engine: Engine) -> list[str]:
    """A one-off reminder, a recurring reminder and an agent job, all due within a minute."""
    return [engine.create(title="Tea", action="notify").id,
            engine.create(title="Stretch", action="notify", interval_seconds=60).id,
            engine.create(title="Report").id]


def raw(engine: Engine, job_id: str) -> tuple[str, str | None, str | None]:
    """(status, last_error, claimed_by) read with plain SQL: the damaged row cannot go through the model."""
    with engine.repo.engine.connect() as conn:
        row = conn.execute(text("SELECT status, last_error, claimed_by FROM jobs WHERE id = :id"),
                           {"id": job_id}).one()
    return row.status, row.last_error, row.claimed_by


def assert_set_aside(engine: Engine, job_id: str, from_status: str, to_status: str, words: str) -> None:
    status, last_error, claimed_by = raw(engine, job_id)
    assert (status, claimed_by) == (to_status, None)
    last = engine.service.events("alice", job_id)[-1]
    assert (last.from_status, last.to_status, last.actor) == (from_status, to_status, "engine")
    assert last.reason == last_error
    assert last.reason is not None and last.reason.startswith("the engine cannot use this job: ")
    assert words in last.reason


def damage_or_skip(engine: Engine, job_id: str, kind: Damage) -> None:
    values = kind.values(engine.repo.engine)
    if values is None:
        pytest.skip(f"{engine.repo.engine.dialect.name} cannot hold {kind.name}")
    damage(engine.repo.engine, "jobs", job_id, values)


async def one_pass(engine: Engine) -> int:
    with anyio.fail_after(20):
        report = await engine.poller.tick()
        await engine.poller.drain()
    return report.claimed


@pytest.mark.parametrize("kind", DUE_JOB_DAMAGE, ids=lambda kind: kind.name)
async def test_claim_a_damaged_due_job_fails_alone_and_the_others_run_in_the_same_pass(
        engine: Engine, kind: Damage) -> None:
    damaged = engine.create(title="Damaged", action="notify", interval_seconds=60).id
    healthy = healthy_jobs(engine)
    damage_or_skip(engine, damaged, kind)
    engine.clock.advance(seconds=61)
    assert await one_pass(engine) == len(healthy)
    assert [engine.outcomes(job_id) for job_id in healthy] == [["succeeded"]] * len(healthy)
    assert_set_aside(engine, damaged, "ACTIVE", "FAILED", kind.reason)
    engine.clock.advance(seconds=60)
    assert await one_pass(engine) == 1  # the next pass is clean: only the recurring reminder is due


async def test_claim_the_owner_of_a_damaged_job_is_told_in_the_inbox(repo, clock) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(repo, clock)  # its app writes into an outbox
    damaged = engine.create(title="Damaged", action="notify", interval_seconds=60, chat_id="c1").id
    damage(repo.engine, "jobs", damaged, {"start_at": "'0001-01-01 00:00:00'"})
    engine.clock.advance(seconds=61)
    await one_pass(engine)
    [message] = DeliveryStore(repo).read_inbox("alice", "c1", 10, True, clock.now())
    assert (message.job_id, message.event) == (damaged, "job.failed")
    assert "Job 'Damaged' failed: the engine cannot use this job" in message.message


async def test_claim_a_job_with_an_unknown_status_is_left_alone(engine: Engine) -> None:
    damaged = engine.create(title="Damaged", action="notify").id
    healthy = healthy_jobs(engine)
    damage(engine.repo.engine, "jobs", damaged, {"status": "'SLEEPING'"})
    engine.clock.advance(seconds=61)
    assert await one_pass(engine) == len(healthy)
    assert raw(engine, damaged)[0] == "SLEEPING" and engine.outcomes(damaged) == []


async def test_settle_a_damaged_pending_job_is_blocked_and_the_others_settle_and_run(engine: Engine) -> None:
    head = engine.create(title="Head", action="notify").id
    damaged = engine.create(title="Damaged", action="notify", depends_on=[head]).id
    follower = engine.create(title="Follower", action="notify", depends_on=[head]).id
    await one_pass(engine)  # the head runs and completes
    damage(engine.repo.engine, "jobs", damaged, {"guidance": "'nope'" if _sqlite(engine) else "'\"a note\"'"})
    assert await one_pass(engine) == 1  # settled and claimed in the same pass
    assert engine.outcomes(follower) == ["succeeded"]
    assert_set_aside(engine, damaged, "PENDING", "BLOCKED", "guidance")


async def test_settle_a_dependency_with_an_unknown_status_blocks_only_its_dependents(engine: Engine) -> None:
    odd, head = engine.create(title="Odd", action="notify").id, engine.create(title="Head", action="notify").id
    waiting = engine.create(title="Waiting on odd", action="notify", depends_on=[odd]).id
    follower = engine.create(title="Follower", action="notify", depends_on=[head]).id
    await one_pass(engine)
    damage(engine.repo.engine, "jobs", odd, {"status": "'SLEEPING'"})
    assert await one_pass(engine) == 1
    assert engine.outcomes(follower) == ["succeeded"]
    assert raw(engine, waiting)[:2] == ("BLOCKED", f"dependency {odd} has an unknown status 'SLEEPING'")
    last = engine.service.events("alice", waiting)[-1]
    assert (last.from_status, last.to_status, last.actor) == ("PENDING", "BLOCKED", "engine")


async def test_settle_a_ready_job_whose_first_fire_overflows_is_blocked(engine: Engine) -> None:
    head = engine.create(title="Head", action="notify").id
    damaged = engine.create(title="Damaged", action="notify", interval_seconds=60, depends_on=[head]).id
    follower = engine.create(title="Follower", action="notify", depends_on=[head]).id
    damage(engine.repo.engine, "jobs", damaged, {"start_at": "'0001-01-01 00:00:00'"})
    await one_pass(engine)
    assert await one_pass(engine) == 1
    assert engine.outcomes(follower) == ["succeeded"]
    assert_set_aside(engine, damaged, "PENDING", "BLOCKED", "OverflowError")


async def test_recovery_a_damaged_expired_lease_fails_alone_and_the_others_run_again(repo, clock) -> None:  # type: ignore[no-untyped-def]
    dead = make_engine(repo, clock, lease_s=30)
    jobs = [dead.create(title=f"Agent {n}").id for n in range(3)]
    dead.agent.script = [asyncio.Event()] * 3  # the runs hang: the node is as good as dead
    with anyio.fail_after(10):
        assert (await dead.poller.tick()).claimed == 3
        await asyncio.sleep(0)
    unreadable = "'not a time'" if repo.engine.dialect.name == "sqlite" else "'infinity'"
    damage(repo.engine, "jobs", jobs[0], {"last_run_at": unreadable})
    clock.advance(seconds=31)  # the node stops heartbeating: its leases run out
    survivor = make_engine(repo, clock, worker="node-b")
    with anyio.fail_after(10):
        report = await survivor.poller.tick()
        await survivor.poller.drain()
    assert (report.recovered, report.claimed) == (2, 2)
    assert [survivor.outcomes(job_id) for job_id in jobs[1:]] == [["abandoned", "succeeded"]] * 2
    assert_set_aside(survivor, jobs[0], "IN_PROGRESS", "FAILED", "last_run_at")
    with repo.engine.connect() as conn:
        assert conn.execute(text("SELECT outcome FROM job_runs WHERE job_id = :id"),
                            {"id": jobs[0]}).scalars().all() == ["abandoned"]
    for handle in list(dead.runner.running.values()):
        dead.runner.stop_run(handle.claim.job.id, "test over")
    await dead.poller.drain()


async def test_finish_a_result_the_store_refuses_fails_that_run_only(engine: Engine) -> None:
    jobs = [engine.create(title=f"Agent {n}").id for n in range(4)]
    engine.agent.script = [ActionResult(summary="odd", new_state={"seen": {1, 2}})]  # a set is no JSON
    assert await one_pass(engine) == 4
    refused = engine.agent.contexts[0].job.id  # the run that got the scripted result
    assert [engine.outcomes(job_id) for job_id in jobs if job_id != refused] == [["succeeded"]] * 3
    [run] = engine.run_rows(refused)
    assert run.outcome == "failed" and "could not be stored (TypeError" in (run.error or "")
    after = engine.job(refused)
    assert after.status == "ACTIVE" and after.state == {}  # retried per policy; the refused state never landed


async def test_finish_a_next_fire_that_cannot_be_computed_fails_that_job_only(engine: Engine) -> None:
    stuck = asyncio.Event()
    engine.agent.script = [stuck]
    edited = engine.create(title="Edited during its run", interval_seconds=60).id
    engine.clock.advance(seconds=60)
    with anyio.fail_after(10):
        await engine.poller.tick()
        await engine.agent.started.wait()
    # A manual edit while it runs: the finish is planned again against the row as it is now.
    damage(engine.repo.engine, "jobs", edited, {"interval_seconds": "NULL", "interval_days": "3000000",
                                                "version": "version + 1"})
    healthy = healthy_jobs(engine)
    engine.clock.advance(seconds=60)
    with anyio.fail_after(10):
        report = await engine.poller.tick()
        stuck.set()
        await engine.poller.drain()
    assert report.claimed == len(healthy)
    assert [engine.outcomes(job_id) for job_id in healthy] == [["succeeded"]] * len(healthy)
    assert engine.outcomes(edited) == ["succeeded"]  # the run itself is recorded as it ended
    assert_set_aside(engine, edited, "IN_PROGRESS", "FAILED", "OverflowError")


def _sqlite(engine: Engine) -> bool:
    return engine.repo.engine.dialect.name == "sqlite"
