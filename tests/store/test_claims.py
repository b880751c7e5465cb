"""store/claims.py: leases on due jobs, the claim query, heartbeats, taking expired or released leases back,
and a damaged row never stopping the rest (SQLite file and PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, select, text

from scheduler.clock import FakeClock
from scheduler.engine.fires import plan_due
from scheduler.engine.verdicts import plan_recovery, plan_release
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import JobService
from store.claims import ClaimStore, reminder_rows
from store.enums import JobStatus
from store.models import SLOT_JOBS, Job
from store.repository import JobRepository
from store.run_types import JOBS, FirePlan
from tests.support.damage import damage


@pytest.fixture
def claims(repo: JobRepository) -> ClaimStore:
    return ClaimStore(repo)


def reminder(service: JobService, minutes: float = 0, **fields: object) -> str:
    """A notify job firing `minutes` from now (a one-off, unless fields give a schedule)."""
    if "interval_seconds" not in fields:
        fields["run_at"] = (service.clock.now() + timedelta(minutes=minutes)).isoformat()
    return service.create("alice", JobInput(title="Tea", instructions="tea", action="notify", **fields)).job.id


def runs_of(repo: JobRepository, job_id: str) -> list[tuple[str, str | None, int]]:
    with repo.engine.connect() as conn:
        rows = conn.execute(text("SELECT outcome, worker, attempt FROM job_runs WHERE job_id = :id "
                                 "ORDER BY scheduled_for"), {"id": job_id}).all()
    return [(row.outcome, row.worker, row.attempt) for row in rows]


def test_a_claim_is_a_lease_with_a_running_run_and_an_event(repo: JobRepository, claims: ClaimStore,
                                                            service: JobService, clock: FakeClock) -> None:
    job_id = reminder(service)
    before = repo.get_job("alice", job_id)
    batch = claims.claim_due(clock.now(), "node-a", 10, 30, plan_due)
    [claim] = batch.claims
    assert (batch.examined, batch.missed) == (1, 0)
    assert (claim.job.id, claim.scheduled_for, claim.started_at, claim.attempt) == (
        job_id, before.next_run_at, clock.now(), 1)
    row = repo.get_job("alice", job_id)
    lease_until = clock.now() + timedelta(seconds=30)
    assert (row.status, row.claimed_by, row.lease_until) == ("IN_PROGRESS", "node-a", lease_until)
    assert row.version == before.version + 1 and row.updated_at == clock.now()
    assert claim.job.version == row.version
    assert runs_of(repo, job_id) == [("running", "node-a", 1)]
    last = repo.list_events("alice", job_id)[-1]
    assert (last.from_status, last.to_status, last.actor, last.reason) == ("ACTIVE", "IN_PROGRESS", "node-a", "due (e)")


def test_only_due_active_unclaimed_jobs_are_claimed_oldest_fire_first_up_to_the_limit(
        repo: JobRepository, claims: ClaimStore, service: JobService, clock: FakeClock) -> None:
    due = [reminder(service, minutes=-m) for m in (1, 3, 2)]
    reminder(service, minutes=5)  # not due yet
    paused = reminder(service, minutes=-4)
    service.pause("alice", paused)
    first = claims.claim_due(clock.now(), "node-a", 2, 30, plan_due)
    assert [c.job.id for c in first.claims] == [due[1], due[2]]
    assert first.examined == 2  # the limit was reached: more may be due
    second = claims.claim_due(clock.now(), "node-a", 2, 30, plan_due)
    assert [c.job.id for c in second.claims] == [due[0]] and second.examined == 1
    assert claims.claim_due(clock.now(), "node-a", 2, 30, plan_due).claims == []


def test_concurrent_claims_never_take_the_same_row(repo: JobRepository, service: JobService,
                                                   clock: FakeClock) -> None:
    ids = {reminder(service, minutes=-1) for _ in range(40)}
    stores = [ClaimStore(repo) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        batches = list(pool.map(lambda n: stores[n % 4].claim_due(clock.now(), f"node-{n % 4}", 7, 30, plan_due),
                                range(12)))
    claimed = [c.job.id for b in batches for c in b.claims]
    assert sorted(claimed) == sorted(ids)  # every row once, none twice


def test_fires_all_missed_are_recorded_and_the_job_waits_without_a_lease(
        repo: JobRepository, claims: ClaimStore, service: JobService, clock: FakeClock) -> None:
    job_id = reminder(service, interval_seconds=60, misfire_grace_seconds=60)
    clock.advance(minutes=10)  # fires at +1 … +10 min passed; only the latest is within its grace
    [claim] = claims.claim_due(clock.now(), "node-a", 10, 30, plan_due).claims
    assert claim.scheduled_for == clock.now() and claim.attempt == 1
    assert [r[0] for r in runs_of(repo, job_id)] == ["missed"] * 9 + ["running"]
    late = reminder(service, interval_seconds=3600, misfire_grace_seconds=60)
    clock.advance(hours=1, minutes=30)  # its one fire is 30 min late
    assert claims.claim_due(clock.now(), "node-a", 10, 30, plan_due).claims == []
    row = repo.get_job("alice", late)
    assert (row.status, row.claimed_by) == ("ACTIVE", None) and row.next_run_at is not None
    assert row.next_run_at > clock.now() and runs_of(repo, late) == [("missed", None, 1)]


def test_only_the_holder_renews_and_a_renewal_does_not_bump_the_version(
        repo: JobRepository, claims: ClaimStore, service: JobService, clock: FakeClock) -> None:
    held, cancelled = reminder(service, minutes=-1), reminder(service, minutes=-1)
    claims.claim_due(clock.now(), "node-a", 10, 30, plan_due)
    service.cancel("alice", cancelled)
    version = repo.get_job("alice", held).version
    until = clock.now() + timedelta(minutes=5)
    assert claims.renew_leases("node-b", [held], until) == set()
    assert claims.renew_leases("node-a", [held, cancelled], until) == {held}
    row = repo.get_job("alice", held)
    assert (row.lease_until, row.version) == (until, version)


def test_expired_leases_are_taken_back_and_their_runs_abandoned(
        repo: JobRepository, claims: ClaimStore, service: JobService, clock: FakeClock) -> None:
    early, late = reminder(service, minutes=-1), reminder(service, minutes=-1)
    claims.claim_due(clock.now(), "node-a", 1, 30, plan_due)
    clock.advance(20)
    claims.claim_due(clock.now(), "node-b", 1, 30, plan_due)
    clock.advance(15)  # node-a's lease ended 5 s ago; node-b's has 15 s left
    taken = claims.recover_expired(clock.now(), plan_recovery)
    assert [(j.id, j.claimed_by, j.status) for j in taken] == [(early, "node-a", "IN_PROGRESS")]  # as found
    row = repo.get_job("alice", early)
    assert (row.status, row.claimed_by, row.attempt) == ("ACTIVE", None, 1)  # an attempt counted
    assert runs_of(repo, early) == [("abandoned", "node-a", 1)]
    assert runs_of(repo, late) == [("running", "node-b", 1)]


def test_release_and_recover_worker_take_back_only_that_workers_leases(
        repo: JobRepository, claims: ClaimStore, service: JobService, clock: FakeClock) -> None:
    a1, a2, b1 = (reminder(service, minutes=-3), reminder(service, minutes=-2), reminder(service, minutes=-1))
    claims.claim_due(clock.now(), "node-a", 2, 30, plan_due)
    claims.claim_due(clock.now(), "node-b", 2, 30, plan_due)
    assert [j.id for j in claims.release(clock.now(), "node-a", [a1, b1], plan_release)] == [a1]
    assert repo.get_job("alice", a1).attempt == 0  # a release counts no attempt
    assert [j.id for j in claims.recover_worker(clock.now(), "node-a", plan_recovery)] == [a2]
    assert repo.get_job("alice", b1).claimed_by == "node-b"


def test_next_due_is_the_earliest_fire_of_an_active_unclaimed_job(
        claims: ClaimStore, service: JobService, clock: FakeClock) -> None:
    assert claims.next_due() is None
    soon = reminder(service, minutes=-1)
    reminder(service, minutes=5)
    assert claims.next_due() == clock.now() - timedelta(minutes=1)
    claims.claim_due(clock.now(), "node-a", 10, 30, plan_due)
    assert claims.next_due() == clock.now() + timedelta(minutes=5)
    assert soon


def test_a_row_the_plan_fails_on_is_failed_and_the_others_are_claimed(
        repo: JobRepository, claims: ClaimStore, service: JobService, clock: FakeClock) -> None:
    ids = [reminder(service, minutes=-1) for _ in range(3)]

    def plan(job: Job, now: datetime) -> FirePlan:
        if job.id == ids[1]:
            raise OverflowError("date value out of range")
        return plan_due(job, now)

    batch = claims.claim_due(clock.now(), "node-a", 10, 30, plan)
    assert sorted(c.job.id for c in batch.claims) == sorted([ids[0], ids[2]]) and batch.examined == 3
    failed = repo.get_job("alice", ids[1])
    assert (failed.status, failed.claimed_by, failed.next_run_at) == ("FAILED", None, None)
    assert failed.last_error == ("the engine cannot use this job: its next fire cannot be computed "
                                 "(OverflowError: date value out of range)")
    assert runs_of(repo, ids[1]) == []


def test_a_row_that_cannot_be_read_is_failed_and_the_others_are_claimed(
        repo: JobRepository, claims: ClaimStore, service: JobService, clock: FakeClock) -> None:
    ids = [reminder(service, minutes=-1) for _ in range(3)]
    damage(repo.engine, "jobs", ids[0], {"end_at": "'not a time'" if repo.engine.dialect.name == "sqlite"
                                         else "'infinity'"})
    batch = claims.claim_due(clock.now(), "node-a", 10, 30, plan_due)
    assert sorted(c.job.id for c in batch.claims) == sorted(ids[1:])
    with repo.engine.connect() as conn:
        status, last_error = conn.execute(text("SELECT status, last_error FROM jobs WHERE id = :id"),
                                          {"id": ids[0]}).one()
    assert status == "FAILED" and last_error.startswith("the engine cannot use this job: its stored end_at cannot")


def test_a_failure_that_is_not_the_rows_changes_nothing(
        repo: JobRepository, claims: ClaimStore, service: JobService, clock: FakeClock) -> None:
    ids = [reminder(service, minutes=-1) for _ in range(3)]

    def broken_plan(job: Job, now: datetime) -> FirePlan:
        raise RuntimeError("a bug in the planner")

    with pytest.raises(RuntimeError):
        claims.claim_due(clock.now(), "node-a", 10, 30, broken_plan)
    assert [repo.get_job("alice", job_id).status for job_id in ids] == [JobStatus.ACTIVE.value] * 3
    assert [runs_of(repo, job_id) for job_id in ids] == [[], [], []]


def test_the_slot_claim_leaves_plain_reminders_to_the_lane_and_takes_every_other_due_job(
        repo: JobRepository, claims: ClaimStore, service: JobService, clock: FakeClock) -> None:
    plain = reminder(service, minutes=-2)
    capped = reminder(service, minutes=-1, max_cost_usd=0.5)  # its spend is read per run: a slot's work
    agent = service.create("alice", JobInput(title="Digest", instructions="digest", action="agent",
                                             run_at=(clock.now() - timedelta(minutes=1)).isoformat())).job.id
    with repo.engine.connect() as conn:  # of the ACTIVE jobs, each is the lane's or the slots', never both
        lane = set(conn.execute(select(JOBS.c.id).where(JOBS.c.status == "ACTIVE", reminder_rows())).scalars())
        slots = set(conn.execute(select(JOBS.c.id).where(SLOT_JOBS)).scalars())
    assert (lane, slots) == ({plain}, {capped, agent})
    assert claims.next_due(reminders=True) == clock.now() - timedelta(minutes=2)
    assert claims.next_due(reminders=False) == clock.now() - timedelta(minutes=1)

    batch = claims.claim_due(clock.now(), "node-a", 10, 30, plan_due, reminders_apart=True)
    assert sorted(c.job.id for c in batch.claims) == sorted([capped, agent])
    assert repo.get_job("alice", plain).status == "ACTIVE"
    assert claims.next_due(reminders=False) is None


def test_the_slot_claim_reads_only_slot_jobs_through_their_partial_index(
        repo: JobRepository, claims: ClaimStore, service: JobService, clock: FakeClock) -> None:
    # A burst of due reminders sits in ix_jobs_due in front of every later job: a claim reading that index
    # walked all of them on each engine pass (docs/performance.md, phase 5).
    due = clock.now() - timedelta(minutes=1)
    with repo.write() as session:
        session.add_all([Job(id=f"job_burst{n:04}", owner="alice", title="Tea", instructions="tea", job_type="ONE_OFF",
                             action="notify", timezone="UTC", run_at=due, status="ACTIVE", next_run_at=due,
                             created_at=due, updated_at=due) for n in range(500)])
    reminder(service, minutes=-1, max_cost_usd=0.5)
    if repo.engine.dialect.name == "postgresql":
        with repo.engine.begin() as conn:
            conn.execute(text("ANALYZE jobs"))  # as autovacuum would have: the planner weighs both indexes' sizes
    statements: list[tuple[str, object]] = []

    def seen(conn: object, cursor: object, statement: str, parameters: object, context: object,
             executemany: bool) -> None:
        if "UPDATE jobs SET status" in statement:  # the claim (its due rows in a CTE)
            statements.append((statement, parameters))

    event.listen(repo.engine, "before_cursor_execute", seen)
    try:
        claims.claim_due(clock.now(), "node-a", 8, 30, plan_due, reminders_apart=True)
    finally:
        event.remove(repo.engine, "before_cursor_execute", seen)
    [(statement, parameters)] = statements
    plan = plan_of(repo, statement, parameters)
    assert plan.count("ix_jobs_due_slots") == 1, plan


def plan_of(repo: JobRepository, statement: str, parameters: object) -> str:
    """The query plan of a statement as executed (its driver SQL and parameters), not run."""
    with repo.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()  # type: ignore[arg-type]
            plan = " ".join(str(row[-1]) for row in rows)
            assert "COVERING INDEX ix_jobs_due_slots" in plan, plan  # the row lookups spared: see store.models
            return plan
        conn.exec_driver_sql("SET enable_seqscan = off")  # a few rows: only which index is the question
        return " ".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters).all())  # type: ignore[arg-type]


def test_a_claim_with_nothing_due_reads_and_writes_nothing(
        repo: JobRepository, claims: ClaimStore, service: JobService, clock: FakeClock) -> None:
    # Each pass of a burst claims for the slots first: with only reminders due, that is a read, not a
    # write transaction (SQLite's writer lock, PostgreSQL's round trips).
    reminder(service, minutes=-1)
    agent_later = service.create("alice", JobInput(title="Digest", instructions="digest", action="agent",
                                                   run_at=(clock.now() + timedelta(minutes=5)).isoformat())).job.id
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(" ".join(statement.split()[:2]).upper())

    event.listen(repo.engine, "before_cursor_execute", seen)
    try:
        batch = claims.claim_due(clock.now(), "node-a", 8, 30, plan_due, reminders_apart=True)
    finally:
        event.remove(repo.engine, "before_cursor_execute", seen)
    assert (batch.claims, batch.examined) == ([], 0)
    # One read; on SQLite a DEFERRED BEGIN, a read transaction (a write begins IMMEDIATE).
    assert [s for s in statements if not (s.startswith("SELECT ") or s in ("BEGIN", "BEGIN DEFERRED"))] == []
    assert any(s.startswith("SELECT ") for s in statements)
    clock.advance(minutes=5)
    [claim] = claims.claim_due(clock.now(), "node-a", 8, 30, plan_due, reminders_apart=True).claims
    assert claim.job.id == agent_later
