"""scheduler/engine/settle.py: PENDING jobs move when their dependencies decide, by the same rule the
service applies (SQLite file and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler.clock import FakeClock
from scheduler.engine.settle import settle_dependencies
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import JobService
from store.errors import Conflict
from store.outbox import DeliveryStore, OutboxWriter
from store.repository import JobRepository
from store.runs import RunStore
from tests.support.damage import damage


def job(service: JobService, title: str, **fields: object) -> str:
    return service.create("alice", JobInput(title=title, instructions=title, action="notify", **fields)).job.id


def set_status(repo: JobRepository, job_id: str, status: str) -> None:
    """What the engine or the owner would have done to the dependency meanwhile."""
    damage(repo.engine, "jobs", job_id, {"status": f"'{status}'"})


def settle(repo: JobRepository, clock: FakeClock, outbox: OutboxWriter | None = None) -> list[str]:
    return [j.id for j in settle_dependencies(repo, RunStore(repo, outbox), clock.now())]


def test_a_pending_job_becomes_active_when_every_dependency_completed(
        repo: JobRepository, service: JobService, clock: FakeClock) -> None:
    a, b = job(service, "A"), job(service, "B")
    waiting = job(service, "C", depends_on=[a, b], run_at=(clock.now() + timedelta(hours=2)).isoformat())
    set_status(repo, a, "COMPLETED")
    assert settle(repo, clock) == []  # B has not finished
    assert repo.get_job("alice", waiting).status == "PENDING"
    set_status(repo, b, "COMPLETED")
    clock.advance(hours=1)
    assert settle(repo, clock) == [waiting]
    row = repo.get_job("alice", waiting)
    assert (row.status, row.next_run_at, row.last_error) == ("ACTIVE", clock.now() + timedelta(hours=1), None)
    last = repo.list_events("alice", waiting)[-1]
    assert (last.from_status, last.to_status, last.actor, last.reason) == (
        "PENDING", "ACTIVE", "engine", "all dependencies completed")


def test_a_repeating_job_starts_at_its_next_fire_from_now_not_at_its_missed_ones(
        repo: JobRepository, service: JobService, clock: FakeClock) -> None:
    head = job(service, "Head")
    waiting = job(service, "Every hour", depends_on=[head], interval_seconds=3600)
    set_status(repo, head, "COMPLETED")
    clock.advance(hours=5, minutes=10)
    settle(repo, clock)
    row = repo.get_job("alice", waiting)
    assert row.status == "ACTIVE" and clock.now() < row.next_run_at <= clock.now() + timedelta(hours=1)


@pytest.mark.parametrize("status", ["FAILED", "CANCELLED", "BLOCKED"])
def test_a_failed_cancelled_or_blocked_dependency_blocks_with_the_reason_and_tells_the_owner(
        repo: JobRepository, service: JobService, clock: FakeClock, status: str) -> None:
    head = job(service, "Head")
    waiting = job(service, "Waiting", depends_on=[head], chat_id="c1")
    set_status(repo, head, status)
    assert settle(repo, clock, OutboxWriter()) == [waiting]
    row = repo.get_job("alice", waiting)
    assert (row.status, row.next_run_at, row.last_error) == ("BLOCKED", None, f"dependency {head} is {status}")
    last = repo.list_events("alice", waiting)[-1]
    assert (last.to_status, last.actor, last.reason) == ("BLOCKED", "engine", f"dependency {head} is {status}")
    [told] = DeliveryStore(repo).read_inbox("alice", "c1", 10, False, clock.now())
    assert told.event == "job.blocked" and f"dependency {head} is {status}" in told.message


def test_a_dependency_that_no_longer_exists_blocks(repo: JobRepository, service: JobService,
                                                   clock: FakeClock) -> None:
    head = job(service, "Head")
    waiting = job(service, "Waiting", depends_on=[head])
    damage(repo.engine, "jobs", head, {"owner": "'someone-else'"})  # gone: another owner's id reads the same
    settle(repo, clock)
    assert repo.get_job("alice", waiting).last_error == f"dependency {head} no longer exists"


def test_a_ready_job_whose_schedule_has_no_fire_left_is_blocked(
        repo: JobRepository, service: JobService, clock: FakeClock) -> None:
    head = job(service, "Head")
    waiting = job(service, "Twice", depends_on=[head], interval_seconds=60,
                  end_at=(clock.now() + timedelta(minutes=30)).isoformat())
    set_status(repo, head, "COMPLETED")
    clock.advance(hours=1)  # past end_at
    settle(repo, clock)
    row = repo.get_job("alice", waiting)
    assert (row.status, row.last_error) == ("BLOCKED", "the schedule has no fire left")


def test_a_damaged_pending_job_is_blocked_and_the_others_settle(
        repo: JobRepository, service: JobService, clock: FakeClock) -> None:
    head = job(service, "Head")
    damaged, healthy = job(service, "Damaged", depends_on=[head]), job(service, "Healthy", depends_on=[head])
    damage(repo.engine, "jobs", damaged, {"action": "'fax'"})
    set_status(repo, head, "COMPLETED")
    assert sorted(settle(repo, clock)) == sorted([damaged, healthy])
    assert repo.get_job("alice", healthy).status == "ACTIVE"
    row = repo.get_job("alice", damaged)
    assert row.status == "BLOCKED" and row.last_error is not None and "action 'fax'" in row.last_error


@pytest.mark.parametrize(("ended", "then"), [("COMPLETED", "ACTIVE"), ("FAILED", "BLOCKED"),
                                            ("CANCELLED", "BLOCKED")])
def test_an_archived_dependency_counts_as_what_it_ended_as(
        repo: JobRepository, service: JobService, clock: FakeClock, ended: str, then: str) -> None:
    head = job(service, "Head")
    damage(repo.engine, "jobs", head, {"status": f"'{ended}'", "run_count": "3"})  # it ran, then ended so
    service.archive("alice", head)
    assert repo.get_job("alice", head).archived_from == ended
    waiting = job(service, "Waiting", depends_on=[head])
    assert repo.get_job("alice", waiting).status == then
    if then == "BLOCKED":  # and resuming it does not let it run either
        with pytest.raises(Conflict):
            service.resume("alice", waiting)
        row = repo.get_job("alice", waiting)
        assert (row.status, row.last_error) == ("BLOCKED", f"dependency {head} was archived without completing")


# The one rule: what the service decides at create time is what settling decides later.
@pytest.mark.parametrize(("statuses", "created", "settled"), [
    (["COMPLETED", "COMPLETED"], "ACTIVE", "ACTIVE"),
    (["COMPLETED", "ACTIVE"], "PENDING", "PENDING"),
    (["COMPLETED", "FAILED"], "BLOCKED", "BLOCKED"),
    (["PAUSED", "CANCELLED"], "BLOCKED", "BLOCKED"),
    (["ACTIVE", "BLOCKED"], "BLOCKED", "BLOCKED"),
    (["ARCHIVED"], "BLOCKED", "BLOCKED"),  # archived without ever having run (and from before 0005)
])
def test_the_service_and_the_engine_apply_one_dependency_rule(
        repo: JobRepository, service: JobService, clock: FakeClock, statuses: list[str], created: str,
        settled: str) -> None:
    deps = [job(service, f"Dep {n}") for n in range(len(statuses))]
    waiting = job(service, "Waiting", depends_on=deps)  # PENDING while its dependencies are ACTIVE
    for dep, status in zip(deps, statuses, strict=True):
        set_status(repo, dep, status)
    assert service.create("alice", JobInput(title="Now", instructions="now", depends_on=deps)).job.status == created
    settle(repo, clock)
    assert repo.get_job("alice", waiting).status == settled
