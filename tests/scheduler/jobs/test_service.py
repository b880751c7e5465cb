"""Job use cases on a real store (SQLite file and PostgreSQL): validation, lifecycle, dependencies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from scheduler.clock import FakeClock
from scheduler.jobs.job_input import JobInput, JobPatch
from scheduler.jobs.service import JobService
from store import limits as L
from store.enums import JobStatus
from store.errors import Conflict, InvalidArgument, NotFound, StaleVersion
from store.models import Job
from store.repository import JobRepository, Transition


def make(service: JobService, owner: str = "alice", **fields: object) -> Job:
    data = {"title": "Pay invoices", "instructions": "Remind me about pending invoices", **fields}
    return service.create(owner, JobInput(**data)).job  # type: ignore[arg-type]


def count_jobs(repo: JobRepository, owner: str = "alice") -> int:
    return len(repo.list_jobs(owner, limit=200).jobs)


def row_counts(repo: JobRepository) -> tuple[int, ...]:
    """Rows of every table a job write touches."""
    with repo.engine.connect() as conn:
        return tuple(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                     for table in ("jobs", "job_runs", "job_events", "deliveries"))


def finish(repo: JobRepository, job: Job, to: JobStatus, clock: FakeClock) -> Job:
    running = repo.update_job(job, {}, now=clock.now(), transition=Transition(JobStatus.IN_PROGRESS, "test"))
    return repo.update_job(running, {"next_run_at": None}, now=clock.now(), transition=Transition(to, "test"))


def test_create_one_off_defaults_to_now(service: JobService, clock: FakeClock) -> None:
    job = make(service)
    assert job.job_type == "ONE_OFF"
    assert job.status == "ACTIVE"
    assert job.next_run_at == clock.now()
    assert job.id.startswith("job_") and len(job.id) == 16


def test_create_records_an_event(service: JobService) -> None:
    job = make(service)
    events = service.events("alice", job.id)
    assert [(e.from_status, e.to_status) for e in events] == [(None, "ACTIVE")]


def test_naive_run_at_is_read_in_the_job_zone(service: JobService) -> None:
    job = make(service, run_at="2026-12-24T18:00:00", timezone="Europe/Berlin")
    assert job.next_run_at is not None
    assert job.next_run_at.isoformat() == "2026-12-24T17:00:00+00:00"


def test_cron_job_next_fire_in_zone(service: JobService) -> None:
    # 2026-11-24 is a Tuesday; next Monday 09:00 New York (EST, UTC-5) is 2026-11-30 14:00 UTC.
    job = make(service, cron="0 9 * * 1", timezone="America/New_York")
    assert job.job_type == "SCHEDULED"
    assert job.next_run_at is not None and job.next_run_at.isoformat() == "2026-11-30T14:00:00+00:00"


def test_interval_job_is_anchored(service: JobService, clock: FakeClock) -> None:
    job = make(service, interval_seconds=3600)
    assert job.job_type == "RECURRING"
    assert job.next_run_at == clock.now() + timedelta(hours=1)
    assert job.anchor_at == job.next_run_at


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 10_000}, "title"),
        ({"instructions": ""}, "instructions"),
        ({"cron": "0 9 * * 1 2027"}, "cron"),
        ({"cron": "every monday"}, "cron"),
        ({"cron": "61 * * * *"}, "cron"),
        ({"timezone": "CST"}, "timezone"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"run_at": "2026-11-24T10:59:00Z"}, "run_at"),
        ({"run_at": "next tuesday-ish"}, "run_at"),
        ({"interval_seconds": 59}, "interval_seconds"),
        ({"interval_seconds": 0}, "interval_seconds"),
        ({"job_type": "ONGOING", "interval_seconds": 3600}, "end_condition"),
        ({"job_type": "SCHEDULED"}, "cron"),
        ({"job_type": "WEEKLY"}, "job_type"),
        ({"interval_seconds": 3600, "interval_days": 1}, "interval_seconds"),
        ({"cron": "0 9 * * *", "end_at": "2026-11-20T00:00:00Z"}, "end_at"),
        ({"max_runs": 0, "interval_seconds": 600}, "max_runs"),
        ({"action": "email"}, "action"),
        ({"webhook_url": "ftp://example.com/x"}, "webhook_url"),
        ({"max_attempts": 0}, "max_attempts"),
        # The classes of the hardening issue: beyond a column, beyond the calendar, NUL.
        ({"interval_seconds": 60, "start_at": "0001-01-01"}, "start_at"),
        ({"cron": "0 9 * * *", "end_at": "9999-12-31T23:59:59-14:00"}, "end_at"),
        ({"run_at": "9999-12-31T23:59:59"}, "run_at"),
        ({"interval_seconds": 10**12}, "interval_seconds"),
        ({"misfire_grace_seconds": 10**30}, "misfire_grace_seconds"),
        ({"misfire_grace_seconds": -(10**30)}, "misfire_grace_seconds"),
        ({"max_runs": 2**63, "interval_seconds": 600}, "max_runs"),
        ({"title": "tea\x00time"}, "title"),
        ({"chat_id": "c\x00"}, "chat_id"),
        ({"idempotency_key": "k\x00"}, "idempotency_key"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    service: JobService, repo: JobRepository, fields: dict[str, object], field: str
) -> None:
    before = row_counts(repo)
    with pytest.raises(InvalidArgument) as info:
        make(service, **fields)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: expected ")
    assert row_counts(repo) == before


def test_an_answer_that_fails_writes_nothing(service: JobService, repo: JobRepository) -> None:
    """The caller's answer is built inside the write: a failure there rolls the write back."""
    def broken(_: object) -> None:
        raise RuntimeError("the answer could not be built")

    job = make(service, cron="0 9 * * 1")
    before = row_counts(repo)
    with pytest.raises(RuntimeError):
        service.create("alice", JobInput(title="t", instructions="i"), answer=broken)
    with pytest.raises(RuntimeError):
        service.update("alice", job.id, JobPatch(title="changed", cron="0 10 * * *"), answer=broken)
    for operation in (service.pause, service.cancel, service.run_now):
        with pytest.raises(RuntimeError):
            operation("alice", job.id, answer=broken)
    assert row_counts(repo) == before
    after = service.get("alice", job.id)
    assert (after.title, after.cron, after.status, after.version) == (job.title, job.cron, "ACTIVE", job.version)


def test_the_answer_is_what_the_caller_gets(service: JobService) -> None:
    outcome = service.create("alice", JobInput(title="t", instructions="i", cron="0 9 * * 1"),
                             answer=lambda o: (o.created, o.spec.cron, o.job.title))
    assert outcome == (True, "0 9 * * 1", "t")


def test_an_empty_idempotency_key_is_no_key(service: JobService, repo: JobRepository) -> None:
    first = service.create("alice", JobInput(title="a", instructions="b", idempotency_key=""))
    second = service.create("alice", JobInput(title="a", instructions="b", idempotency_key="  "))
    assert first.created and second.created and first.job.id != second.job.id
    assert first.job.idempotency_key is None and count_jobs(repo) == 2


def test_every_bound_holds_on_both_databases(service: JobService) -> None:
    """The largest value of every field is stored and read back alike on SQLite and PostgreSQL."""
    job = make(service, title="t" * L.TITLE_MAX, instructions="i" * L.INSTRUCTIONS_MAX,
               interval_days=L.INTERVAL_DAYS.high, max_runs=L.MAX_RUNS.high, start_at="2199-12-31T00:00:00Z",
               misfire_grace_seconds=L.MISFIRE_GRACE_SECONDS.high, max_attempts=L.MAX_ATTEMPTS.high,
               timeout_seconds=L.TIMEOUT_SECONDS.high, max_cost_usd=float(L.MAX_COST_USD),
               chat_id="c" * L.CHAT_ID_MAX, idempotency_key="k" * L.IDEMPOTENCY_KEY_MAX)
    stored = service.get("alice", job.id)
    assert (stored.interval_days, stored.max_runs, stored.timeout_seconds) == (
        L.INTERVAL_DAYS.high, L.MAX_RUNS.high, L.TIMEOUT_SECONDS.high)
    assert len(stored.instructions) == L.INSTRUCTIONS_MAX and len(stored.idempotency_key or "") == 200
    seconds = make(service, interval_seconds=L.INTERVAL_SECONDS.high, schedule_text="s" * L.SCHEDULE_MAX,
                   cron=None, end_condition=None)
    assert service.get("alice", seconds.id).interval_seconds == L.INTERVAL_SECONDS.high


def test_guidance_keeps_the_newest_notes_within_the_limits(service: JobService) -> None:
    job = make(service, cron="0 9 * * 1")
    for i in range(L.GUIDANCE_NOTES_KEPT + 5):
        job = service.update("alice", job.id, JobPatch(guidance=f"note {i}"))
    assert len(job.guidance) == L.GUIDANCE_NOTES_KEPT and job.guidance[-1] == f"note {L.GUIDANCE_NOTES_KEPT + 4}"
    for i in range(10):
        job = service.update("alice", job.id, JobPatch(guidance=f"{i}" + "x" * (L.GUIDANCE_NOTE_MAX - 1)))
    assert sum(len(n) for n in job.guidance) <= L.GUIDANCE_TOTAL_MAX and job.guidance[-1].startswith("9")
    with pytest.raises(InvalidArgument):
        service.update("alice", job.id, JobPatch(guidance="x" * (L.GUIDANCE_NOTE_MAX + 1)))


def test_run_at_within_grace_runs_at_once(service: JobService, clock: FakeClock) -> None:
    job = make(service, run_at=(clock.now() - timedelta(minutes=5)).isoformat())
    assert job.next_run_at == clock.now() - timedelta(minutes=5)


def test_min_interval_comes_from_limits(repo: JobRepository, clock: FakeClock) -> None:
    from scheduler.jobs.validation import Limits

    strict = JobService(repo, clock, Limits(min_interval_seconds=600))
    with pytest.raises(InvalidArgument, match="at least 600"):
        make(strict, interval_seconds=300)


def test_idempotency_key_returns_the_existing_job(service: JobService, repo: JobRepository) -> None:
    first = service.create("alice", JobInput(title="a", instructions="b", idempotency_key="k1"))
    again = service.create("alice", JobInput(title="other", instructions="c", idempotency_key="k1"))
    assert first.created and not again.created
    assert again.job.id == first.job.id and again.job.title == "a"
    other_owner = service.create("bob", JobInput(title="a", instructions="b", idempotency_key="k1"))
    assert other_owner.created and other_owner.job.id != first.job.id
    assert count_jobs(repo) == 1


def test_dependencies_make_a_job_pending_then_blocked_chain(
    service: JobService, repo: JobRepository, clock: FakeClock
) -> None:
    a = make(service, title="A")
    b = make(service, title="B", depends_on=[a.id])
    assert b.status == "PENDING" and b.next_run_at is None
    finish(repo, a, JobStatus.FAILED, clock)
    c = make(service, title="C", depends_on=[a.id])
    assert c.status == "BLOCKED" and a.id in (c.last_error or "")


def test_foreign_dependency_is_refused_like_a_missing_one(service: JobService, repo: JobRepository) -> None:
    theirs = make(service, owner="bob")
    for unknown in (theirs.id, "job_000000000000"):
        with pytest.raises(NotFound) as info:
            make(service, depends_on=[unknown])
        assert info.value.field == "depends_on" and str(info.value).startswith("depends_on: job")
    assert count_jobs(repo) == 0


def test_cycle_through_update_is_refused(service: JobService) -> None:
    a = make(service, title="A")
    b = make(service, title="B", depends_on=[a.id])
    c = make(service, title="C", depends_on=[b.id])
    with pytest.raises(InvalidArgument, match="cycle") as info:
        service.update("alice", a.id, JobPatch(depends_on=[c.id]))
    assert info.value.field == "depends_on"
    assert service.get("alice", a.id).depends_on == []
    with pytest.raises(InvalidArgument):
        service.update("alice", a.id, JobPatch(depends_on=[a.id]))


def test_pause_resume_cancel_are_recorded(service: JobService, clock: FakeClock) -> None:
    job = make(service, interval_seconds=600)
    paused = service.pause("alice", job.id, "on holiday")
    assert paused.status == "PAUSED" and paused.next_run_at is None and paused.paused_reason == "on holiday"
    clock.advance(hours=5)
    resumed = service.resume("alice", job.id)
    # Next fire counted from now on the original grid: no burst of the 30 missed fires.
    assert resumed.status == "ACTIVE" and resumed.next_run_at is not None
    assert clock.now() < resumed.next_run_at <= clock.now() + timedelta(seconds=600)
    assert (resumed.next_run_at - job.next_run_at).total_seconds() % 600 == 0  # type: ignore[operator]
    cancelled = service.cancel("alice", job.id, "not needed")
    assert cancelled.status == "CANCELLED"
    moves = [(e.from_status, e.to_status, e.reason) for e in service.events("alice", job.id)]
    assert moves[1:] == [("ACTIVE", "PAUSED", "on holiday"), ("PAUSED", "ACTIVE", None),
                         ("ACTIVE", "CANCELLED", "not needed")]


def test_resuming_a_completed_job_is_a_conflict(service: JobService, repo: JobRepository, clock: FakeClock) -> None:
    job = finish(repo, make(service), JobStatus.COMPLETED, clock)
    with pytest.raises(Conflict, match="COMPLETED") as info:
        service.resume("alice", job.id)
    assert info.value.status == "COMPLETED"


def test_updating_a_cancelled_job_is_a_conflict(service: JobService) -> None:
    job = service.cancel("alice", make(service).id)
    with pytest.raises(Conflict, match="CANCELLED"):
        service.update("alice", job.id, JobPatch(title="new"))
    assert service.get("alice", job.id).title == "Pay invoices"


def test_unknown_job_id_is_not_found(service: JobService) -> None:
    with pytest.raises(NotFound):
        service.pause("alice", "job_ffffffffffff")


def test_other_owner_sees_not_found(service: JobService) -> None:
    job = make(service)
    for call in (service.get, service.pause, service.cancel, service.run_now, service.runs):
        with pytest.raises(NotFound):
            call("bob", job.id)
    with pytest.raises(NotFound):
        service.update("bob", job.id, JobPatch(title="mine"))
    assert service.list("bob").jobs == []


def test_update_reschedules_from_now(service: JobService) -> None:
    job = make(service, cron="0 9 * * 1", timezone="America/New_York")
    updated = service.update("alice", job.id, JobPatch(cron="30 7 * * *"))
    # Next 07:30 New York after 2026-11-24 12:00 UTC (07:00 EST) is the same day, 12:30 UTC.
    assert updated.next_run_at is not None and updated.next_run_at.isoformat() == "2026-11-24T12:30:00+00:00"
    assert updated.version == job.version + 1
    noted = service.update("alice", job.id, JobPatch(guidance="mention the Q4 ones first"))
    assert noted.guidance == ["mention the Q4 ones first"] and noted.cron == "30 7 * * *"


def test_update_with_bad_field_changes_nothing(service: JobService) -> None:
    job = make(service, cron="0 9 * * 1")
    with pytest.raises(InvalidArgument):
        service.update("alice", job.id, JobPatch(title="ok", timezone="Mars/Olympus"))
    after = service.get("alice", job.id)
    assert (after.title, after.version) == (job.title, job.version)


def test_stale_version_is_refused(repo: JobRepository, service: JobService, clock: FakeClock) -> None:
    job = make(service)
    repo.update_job(job, {"title": "first"}, now=clock.now())
    with pytest.raises(StaleVersion):
        repo.update_job(job, {"title": "second"}, now=clock.now())
    assert repo.get_job("alice", job.id).title == "first"


def test_run_now_makes_the_job_due(service: JobService, clock: FakeClock) -> None:
    job = make(service, cron="0 9 1 1 *")
    due = service.run_now("alice", job.id)
    assert due.next_run_at == clock.now()
    service.pause("alice", job.id)
    with pytest.raises(Conflict, match="PAUSED"):
        service.run_now("alice", job.id)


def test_list_pages_newest_first(service: JobService, clock: FakeClock) -> None:
    ids = []
    for i in range(5):
        ids.append(make(service, title=f"job {i}").id)
        clock.advance(1)
    page = service.list("alice", limit=2)
    seen = [j.id for j in page.jobs]
    while page.next_cursor:
        page = service.list("alice", limit=2, cursor=page.next_cursor)
        seen += [j.id for j in page.jobs]
    assert seen == list(reversed(ids))
    assert [j.id for j in service.list("alice", statuses=["PAUSED"]).jobs] == []


def test_day_interval_anchored_in_a_dst_gap_keeps_the_asked_time(service: JobService, clock: FakeClock) -> None:
    # Berlin springs forward on 2027-03-28 (02:00 -> 03:00): "every 4 days" asked at 02:30
    # first fires at 03:00 that day, then returns to 02:30.
    from datetime import datetime

    from scheduler.schedules.job_schedule import next_fires_of

    clock.set(datetime.fromisoformat("2027-03-24T02:30:00+01:00"))
    job = make(service, schedule="every 4 days", timezone="Europe/Berlin")
    stored = service.get("alice", job.id)
    fires = [f.isoformat() for f in next_fires_of(stored, clock.now(), 2)]
    assert fires == ["2027-03-28T01:00:00+00:00", "2027-04-01T00:30:00+00:00"]


def test_webhook_needs_a_secret_and_a_permitted_address(repo: JobRepository, clock: FakeClock) -> None:
    from scheduler.jobs.validation import Limits
    from scheduler.net_guard import AllowList

    strict = JobService(repo, clock, Limits())
    for fields, field in [
        ({"webhook_url": "https://127.0.0.1:9/hook"}, "webhook_secret"),
        ({"webhook_url": "http://127.0.0.1:9/hook", "webhook_secret": "s" * 20}, "webhook_url"),
        ({"webhook_url": "http://169.254.169.254/latest", "webhook_secret": "s" * 20}, "webhook_url"),
        ({"webhook_url": "http://10.0.0.1/hook", "webhook_secret": "s" * 20}, "webhook_url"),
    ]:
        with pytest.raises(InvalidArgument) as info:
            make(strict, **fields)
        assert info.value.field == field
    allowed = JobService(repo, clock, Limits(fetch_allow=AllowList.parse(["127.0.0.1"])))
    job = make(allowed, webhook_url="http://127.0.0.1:9/hook", webhook_secret="s" * 20)
    assert job.webhook_url == "http://127.0.0.1:9/hook"
    assert count_jobs(repo) == 1
