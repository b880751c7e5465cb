"""RunStore.finish_runs: a batch of finishes in one transaction, and one that cannot be written fails
alone (SQLite file and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import text

from scheduler.clock import FakeClock
from scheduler.engine.actions import ActionResult
from scheduler.engine.fires import plan_due
from scheduler.engine.retry import RetryPolicy
from scheduler.engine.verdicts import plan_finish, unstorable
from store.claims import ClaimStore
from store.repository import JobRepository
from store.runs import RunStore
from tests.support.nodes import insert_reminders

BATCH = 500


def outcomes(repo: JobRepository) -> dict[str, int]:
    with repo.engine.connect() as conn:
        return dict(conn.execute(text("SELECT outcome, count(*) FROM job_runs GROUP BY outcome")).all())


def test_one_finish_the_database_refuses_does_not_fail_its_batch_of_500(repo: JobRepository, clock: FakeClock) -> None:
    insert_reminders(repo, [clock.now()] * BATCH, owner="alice")
    claims = ClaimStore(repo).claim_due(clock.now(), "node-a", BATCH, 30, plan_due).claims
    assert len(claims) == BATCH
    results = [ActionResult(summary="done", output="done") for _ in claims]
    results[123] = ActionResult(summary="odd", new_state={"seen": {1, 2}})  # a set is no JSON
    now = clock.advance(1)
    finishes = [plan_finish(c.job, c, r, now, RetryPolicy()) for c, r in zip(claims, results, strict=True)]
    runs = RunStore(repo)
    answers = runs.finish_runs(finishes)
    assert [a.applied for a in answers] == [True] * 123 + [False] + [True] * (BATCH - 124)
    refused = answers[123]
    assert refused.current is None and refused.fault is not None and refused.fault.startswith("TypeError")
    assert outcomes(repo) == {"succeeded": BATCH - 1, "running": 1}
    # The caller records the run without what was refused.
    again = plan_finish(claims[123].job, claims[123], unstorable(results[123], refused.fault), now, RetryPolicy())
    assert [a.applied for a in runs.finish_runs([again])] == [True]
    assert outcomes(repo) == {"succeeded": BATCH - 1, "failed": 1}
