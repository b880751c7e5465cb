"""Dependencies, pause and cancel during a run, leases across nodes (SQLite file and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import anyio
import pytest

from scheduler.engine.actions import ActionResult
from store.enums import RunOutcome
from tests.scheduler.engine.conftest import Engine, make_engine


def chain(engine: Engine) -> tuple[str, str, str]:
    a = engine.create(title="A: fetch the report")
    b = engine.create(title="B: summarize it", depends_on=[a.id])
    c = engine.create(title="C: mail the summary", depends_on=[b.id])
    assert (b.status, c.status) == ("PENDING", "PENDING")
    return a.id, b.id, c.id


async def test_dependency_chain_runs_in_order_and_passes_outputs(engine: Engine) -> None:
    a, b, c = chain(engine)
    with anyio.fail_after(20):
        await engine.poller.tick_until_idle()
    assert [engine.job(j).status for j in (a, b, c)] == ["COMPLETED"] * 3
    order = [ctx.job.id for ctx in engine.agent.contexts]
    assert order == [a, b, c]
    assert engine.agent.contexts[1].dependency_outputs == {a: "output of A: fetch the report"}
    assert engine.agent.contexts[2].dependency_outputs == {b: "output of B: summarize it"}


@pytest.mark.parametrize("how", ["failed", "cancelled"])
async def test_a_failed_or_cancelled_head_blocks_the_whole_chain(engine: Engine, how: str) -> None:
    a, b, c = chain(engine)
    if how == "failed":
        engine.agent.script = [ActionResult(outcome=RunOutcome.FAILED, error="source down", retryable=False)]
    else:
        engine.service.cancel("alice", a)
    with anyio.fail_after(20):
        await engine.poller.tick_until_idle()
    assert engine.job(a).status == how.upper()
    blocked_b, blocked_c = engine.job(b), engine.job(c)
    assert (blocked_b.status, blocked_c.status) == ("BLOCKED", "BLOCKED")
    assert blocked_b.last_error == f"dependency {a} is {how.upper()}"
    assert blocked_c.last_error == f"dependency {b} is BLOCKED"
    assert len(engine.agent.contexts) == (1 if how == "failed" else 0)


async def test_a_pause_during_a_run_wins_over_its_completion(engine: Engine) -> None:
    job = engine.create(interval_seconds=3600)
    gate = asyncio.Event()
    engine.agent.script = [gate]
    engine.clock.set(job.next_run_at)  # type: ignore[arg-type]
    with anyio.fail_after(10):
        await engine.poller.tick()
        await engine.agent.started.wait()
        paused = engine.service.pause("alice", job.id, "on holiday")
        assert paused.status == "PAUSED"
        gate.set()
        await engine.poller.drain()
    after = engine.job(job.id)
    assert after.status == "PAUSED" and after.paused_reason == "on holiday"
    assert after.next_run_at is None and after.claimed_by is None and after.run_count == 1
    assert engine.outcomes(job.id) == ["succeeded"]
    assert [e.to_status for e in engine.service.events("alice", job.id)][-1] == "PAUSED"
    resumed = engine.service.resume("alice", job.id)
    assert resumed.status == "ACTIVE" and resumed.next_run_at > engine.clock.now()  # type: ignore[operator]


async def test_a_cancel_during_a_run_stops_it(engine: Engine) -> None:
    job = engine.create()
    engine.agent.script = [asyncio.Event()]  # would never finish by itself
    with anyio.fail_after(10):
        await engine.poller.tick()
        await engine.agent.started.wait()
        engine.service.cancel("alice", job.id, "not needed")
        await engine.poller.drain()
    after = engine.job(job.id)
    assert after.status == "CANCELLED" and after.claimed_by is None
    [run] = engine.run_rows(job.id)
    assert run.outcome == "cancelled" and run.finished_at is not None


async def test_a_cancel_on_another_node_is_seen_at_the_next_heartbeat(repo, clock) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(repo, clock)
    other_node = make_engine(repo, clock, worker="node-b")  # its service has no listener on node-a's runs
    job = engine.create()
    engine.agent.script = [asyncio.Event()]
    with anyio.fail_after(10):
        await engine.poller.tick()
        await engine.agent.started.wait()
        other_node.service.cancel("alice", job.id)
        await engine.runner.heartbeat()
        await engine.poller.drain()
    assert engine.outcomes(job.id) == ["cancelled"]
    assert engine.job(job.id).status == "CANCELLED"


async def test_an_expired_lease_is_taken_over_and_counts_as_an_attempt(repo, clock) -> None:  # type: ignore[no-untyped-def]
    dead = make_engine(repo, clock, lease_s=30)
    alive = make_engine(repo, clock, worker="node-b", lease_s=30)
    job = dead.create(action="notify", max_attempts=3)
    stuck = asyncio.Event()
    dead.runner.actions["notify"] = _Hang(stuck)
    with anyio.fail_after(10):
        await dead.poller.tick()
        await asyncio.sleep(0)
        clock.advance(seconds=31)  # node-a stops heartbeating: its lease runs out
        report = await alive.poller.tick()
        assert report.recovered == 1 and report.claimed == 1
        await alive.poller.drain()
        stuck.set()  # node-a wakes up late: its result must not count
        await dead.poller.drain()
    after = alive.job(job.id)
    assert after.status == "COMPLETED" and after.attempt == 0
    runs = alive.run_rows(job.id)
    assert sorted((r.outcome, r.attempt, r.worker) for r in runs) == [
        ("abandoned", 1, "node-a"), ("succeeded", 2, "node-b")]
    assert runs[0].scheduled_for == runs[1].scheduled_for  # the same fire, run once


async def test_a_job_whose_lease_expires_max_attempts_times_fails(repo, clock) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(repo, clock, lease_s=30)
    job = engine.create(action="notify", max_attempts=1)
    engine.runner.actions["notify"] = _Hang(asyncio.Event())
    with anyio.fail_after(10):
        await engine.poller.tick()
        await asyncio.sleep(0)
    clock.advance(seconds=31)
    survivor = make_engine(repo, clock, worker="node-b")
    with anyio.fail_after(10):
        await survivor.poller.tick()
    failed = survivor.job(job.id)
    assert failed.status == "FAILED" and "lease" in (failed.last_error or "")
    for handle in list(engine.runner.running.values()):
        engine.runner.stop_run(handle.claim.job.id, "test over")
    await engine.poller.drain()
    assert survivor.outcomes(job.id) == ["abandoned"]


class _Hang:
    def __init__(self, event: asyncio.Event) -> None:
        self.event = event

    async def __call__(self, context: object) -> ActionResult:
        await self.event.wait()
        return ActionResult(summary="late", output="late")


async def test_runs_never_overlap_across_two_nodes(repo, clock) -> None:  # type: ignore[no-untyped-def]
    a = make_engine(repo, clock)
    b = make_engine(repo, clock, worker="node-b")
    ids = [a.create(action="notify", title=f"r{n}").id for n in range(30)]
    with anyio.fail_after(20):
        for _ in range(4):
            await asyncio.gather(a.poller.tick(), b.poller.tick())
            await asyncio.gather(a.poller.drain(), b.poller.drain())
    for job_id in ids:
        assert a.outcomes(job_id) == ["succeeded"]
    clock.advance(minutes=1)
    assert timedelta(0) < clock.now() - a.job(ids[0]).updated_at
