"""scheduler/engine/finisher.py: finishes that pile up are written together, at most MAX_BATCH a call;
each waiting run gets its own answer; nothing strands a waiting run (SQLite file and PostgreSQL)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import timedelta

import anyio

from scheduler.clock import FakeClock
from scheduler.engine.actions import ActionResult
from scheduler.engine.finisher import MAX_BATCH, Finisher
from scheduler.engine.fires import plan_due
from scheduler.engine.retry import RetryPolicy
from scheduler.engine.verdicts import plan_finish
from store.claims import ClaimStore
from store.errors import StoreUnavailable
from store.repository import JobRepository
from store.run_types import Claim, Finish, FinishResult
from store.runs import RunStore
from tests.support.nodes import insert_reminders


class RecordingRuns(RunStore):
    """The real run store; records each call's batch size, can fail its first call, can hold a write."""

    def __init__(self, repo: JobRepository, *, fail_first: bool = False, gate: threading.Event | None = None) -> None:
        super().__init__(repo)
        self.batches: list[int] = []
        self.fail_first = fail_first
        self.gate = gate
        self.writing = threading.Event()

    def finish_runs(self, finishes: Sequence[Finish]) -> list[FinishResult]:
        self.batches.append(len(finishes))
        self.writing.set()
        if self.gate is not None:
            self.gate.wait(10)
        if self.fail_first and len(self.batches) == 1:
            raise StoreUnavailable("the job store is unavailable, try again")
        return super().finish_runs(finishes)


def claimed(repo: JobRepository, clock: FakeClock, count: int) -> list[Claim]:
    insert_reminders(repo, [clock.now()] * count, owner="alice")
    return ClaimStore(repo).claim_due(clock.now(), "node-a", count, 30, plan_due).claims


def finish_of(claim: Claim, clock: FakeClock, result: ActionResult | None = None) -> Finish:
    return plan_finish(claim.job, claim, result or ActionResult(summary="done"), clock.now(), RetryPolicy())


async def test_finishes_that_pile_up_are_written_together_at_most_max_batch_a_call(
        repo: JobRepository, clock: FakeClock) -> None:
    claims = claimed(repo, clock, 1200)
    runs = RecordingRuns(repo)
    finisher = Finisher(runs)
    with anyio.fail_after(60):
        answers = await asyncio.gather(*(finisher.submit(finish_of(c, clock)) for c in claims))
    assert all(answer.applied for answer in answers)
    assert sum(runs.batches) == 1200 and max(runs.batches) == MAX_BATCH
    assert len(runs.batches) == 3  # everything submitted before the writer ran: 500 + 500 + 200


async def test_each_waiting_run_gets_its_own_answer(repo: JobRepository, clock: FakeClock) -> None:
    claims = claimed(repo, clock, 5)
    finishes = [finish_of(c, clock) for c in claims]
    finishes[1] = finish_of(claims[1], clock, ActionResult(summary="odd", new_state={"seen": {1}}))  # no JSON
    finishes[3] = Finish(**{**finishes[3].__dict__, "version": finishes[3].version - 1})  # the row moved on
    finisher = Finisher(RecordingRuns(repo))
    with anyio.fail_after(20):
        answers = await asyncio.gather(*(finisher.submit(f) for f in finishes))
    assert [a.applied for a in answers] == [True, False, True, False, True]
    assert answers[1].fault is not None and answers[1].fault.startswith("TypeError")
    assert answers[3].current is not None and answers[3].current.id == claims[3].job.id
    assert answers[3].fault is None and answers[3].run_outcome == "running"


async def test_a_failed_write_fails_its_batch_only(repo: JobRepository, clock: FakeClock) -> None:
    claims = claimed(repo, clock, 3)
    runs = RecordingRuns(repo, fail_first=True)
    finisher = Finisher(runs)
    with anyio.fail_after(20):
        first = await asyncio.gather(finisher.submit(finish_of(claims[0], clock)), return_exceptions=True)
        rest = await asyncio.gather(*(finisher.submit(finish_of(c, clock)) for c in claims[1:]))
    assert isinstance(first[0], StoreUnavailable)
    assert [a.applied for a in rest] == [True, True] and runs.batches == [1, 2]


async def test_a_run_cancelled_while_it_waits_does_not_strand_the_others(repo: JobRepository,
                                                                         clock: FakeClock) -> None:
    claims = claimed(repo, clock, 3)
    gate = threading.Event()
    runs = RecordingRuns(repo, gate=gate)
    finisher = Finisher(runs)
    first = asyncio.create_task(finisher.submit(finish_of(claims[0], clock)))
    others = [asyncio.create_task(finisher.submit(finish_of(c, clock))) for c in claims[1:]]
    with anyio.fail_after(20):
        await anyio.to_thread.run_sync(runs.writing.wait, 10)  # the write is under way
        first.cancel()
        gate.set()
        answers = await asyncio.gather(*others)
    assert [a.applied for a in answers] == [True, True]


async def test_each_finish_is_written_with_its_own_instant(repo: JobRepository, clock: FakeClock) -> None:
    claims = claimed(repo, clock, 3)
    finishes = []
    for claim in claims:  # planned at three instants...
        clock.advance(seconds=7)
        finishes.append(finish_of(claim, clock))
    clock.advance(hours=1)  # ...and written later, in one batch
    runs = RecordingRuns(repo)
    finisher = Finisher(runs)
    with anyio.fail_after(20):
        await asyncio.gather(*(finisher.submit(f) for f in finishes))
    assert runs.batches == [3]
    for n, claim in enumerate(claims, start=1):
        expected = claim.started_at + timedelta(seconds=7 * n)
        row = repo.get_job("alice", claim.job.id)
        [run] = repo.list_runs("alice", claim.job.id)
        last = repo.list_events("alice", claim.job.id)[-1]
        assert (row.updated_at, run.finished_at, last.at) == (expected, expected, expected)
