"""Per-owner quotas on SQLite and PostgreSQL: active jobs, creations per minute (counted in the database,
so two services sharing it share the count), and a refused create writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from scheduler.clock import FakeClock
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.quotas import QuotaCheck, Quotas
from scheduler.jobs.service import JobService
from store.errors import InvalidArgument, LimitExceeded
from store.models import Job, JobRun
from store.repository import JobRepository


def job(title: str = "t", **fields: object) -> JobInput:
    return JobInput(title=title, instructions="i", action="notify", interval_seconds=3600, **fields)  # type: ignore[arg-type]


def count_jobs(repo: JobRepository) -> int:
    with repo.read() as session:
        return int(session.connection().execute(select(func.count()).select_from(Job)).scalar_one())


def test_active_jobs_are_limited_and_finished_ones_do_not_count(repo: JobRepository, clock: FakeClock) -> None:
    service = JobService(repo, clock, quotas=Quotas(max_active_jobs=3))
    jobs = [service.create("alice", job(f"j{i}")).job for i in range(3)]
    service.pause("alice", jobs[0].id)  # paused is not finished: it still counts
    with pytest.raises(LimitExceeded) as caught:
        service.create("alice", job("one too many"))
    assert caught.value.message == ("3 active jobs per owner (JOBS_MCP_MAX_ACTIVE_JOBS); cancel or finish some "
                                    "first")
    assert count_jobs(repo) == 3
    service.create("bob", job("bob's own"))  # another owner has his own count
    service.cancel("alice", jobs[1].id)
    service.create("alice", job("fits again"))


def test_a_repeated_idempotency_key_is_answered_even_at_the_limit(repo: JobRepository, clock: FakeClock) -> None:
    service = JobService(repo, clock, quotas=Quotas(max_active_jobs=1))
    first = service.create("alice", job(idempotency_key="k1"))
    again = service.create("alice", job(idempotency_key="k1"))
    assert again.job.id == first.job.id and not again.created


def test_creations_per_minute_slide_with_the_clock_and_hold_across_nodes(repo: JobRepository,
                                                                         clock: FakeClock) -> None:
    quotas = Quotas(max_creates_per_minute=5)
    node_a, node_b = JobService(repo, clock, quotas=quotas), JobService(repo, clock, quotas=quotas)
    for i in range(5):
        (node_a if i % 2 else node_b).create("alice", job(f"j{i}"))
        clock.advance(seconds=5)  # the five creations span 0 s to 20 s
    with pytest.raises(LimitExceeded, match=r"^5 job creations per minute per owner "
                                            r"\(JOBS_MCP_MAX_CREATES_PER_MINUTE\); try again in 35 s$"):
        node_a.create("alice", job("sixth"))
    clock.advance(seconds=34)  # 59 s after the first
    with pytest.raises(LimitExceeded, match="try again in 1 s"):
        node_b.create("alice", job("sixth"))
    clock.advance(seconds=1)  # the first creation left the window
    node_b.create("alice", job("sixth"))
    assert count_jobs(repo) == 6


def test_no_quotas_by_default(repo: JobRepository, clock: FakeClock) -> None:
    service = JobService(repo, clock)
    for i in range(70):
        service.create("alice", job(f"j{i}"))
    assert count_jobs(repo) == 70


def add_run(repo: JobRepository, job_id: str, owner: str, started_at: datetime, cost_usd: float) -> None:
    with repo.write() as session:
        session.add(JobRun(id=f"run_{started_at:%H%M%S}_{cost_usd}", job_id=job_id, owner=owner,
                           started_at=started_at, finished_at=started_at, outcome="succeeded", cost_usd=cost_usd))


def test_daily_spend_counts_this_utc_day_and_this_owner_only(repo: JobRepository, clock: FakeClock) -> None:
    service = JobService(repo, clock)
    mine, theirs = service.create("alice", job()).job, service.create("bob", job()).job
    check = QuotaCheck(repo, Quotas(max_daily_spend_usd=1.0))
    now = clock.now()  # 2026-11-24 12:00 UTC
    midnight = datetime(2026, 11, 24, tzinfo=UTC)
    add_run(repo, mine.id, "alice", midnight - timedelta(seconds=1), 5.0)  # yesterday
    add_run(repo, theirs.id, "bob", midnight + timedelta(hours=1), 5.0)  # someone else's
    add_run(repo, mine.id, "alice", midnight, 0.6)
    check.before_llm_run("alice", now)
    add_run(repo, mine.id, "alice", midnight + timedelta(hours=2), 0.4)
    with pytest.raises(LimitExceeded) as caught:
        check.before_llm_run("alice", now)
    assert caught.value.message == (
        "$1 LLM spend per owner per UTC day (JOBS_MCP_MAX_DAILY_SPEND_USD); $1.0000 spent since 2026-11-24 "
        "00:00 UTC, so the LLM was not called; it is called again after 00:00 UTC or with a higher limit")
    check.before_llm_run("alice", midnight + timedelta(days=1))  # a new day


def test_llm_calls_outside_runs_count_towards_the_daily_spend(repo: JobRepository, clock: FakeClock) -> None:
    mine = JobService(repo, clock).create("alice", job()).job
    check = QuotaCheck(repo, Quotas(max_daily_spend_usd=1.0))
    now = clock.now()
    add_run(repo, mine.id, "alice", now, 0.5)
    check.spent_outside_run("alice", now, 0.3, "observe")
    check.spent_outside_run("bob", now, 5.0, "observe")  # another owner's
    check.before_llm_run("alice", now)  # 0.8 of 1.0
    check.spent_outside_run("alice", now, 0.2, "schedule")
    with pytest.raises(LimitExceeded, match=r"\$1\.0000 spent since"):
        check.before_llm_run("alice", now)


def test_bad_input_is_named_before_a_quota_refuses(repo: JobRepository, clock: FakeClock) -> None:
    service = JobService(repo, clock, quotas=Quotas(max_active_jobs=1))
    service.create("alice", job())
    with pytest.raises(InvalidArgument, match="^timezone: "):
        service.create("alice", job(timezone="Mars/Olympus"))
