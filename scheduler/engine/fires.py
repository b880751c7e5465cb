"""Which fires of a due job run, which were missed, which were skipped (docs/design.md §2 time rules).

Misfire: of the fires that passed while nothing ran them, only the latest may
run, and only if it is at most `misfire_grace_seconds` old; every older one is
recorded as `missed`; never a burst. Overlap: fires that came while the job's
previous run was still running are recorded as `skipped`.

The schedule spec is built once per run (`DuePlans`, at the claim) and carried to
its finish; one-offs never need one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from scheduler.schedules.job_schedule import spec_of
from scheduler.schedules.schedule_math import next_fire
from scheduler.schedules.spec import ScheduleSpec
from store.enums import JobStatus, JobType
from store.models import Job
from store.run_types import FirePlan

# Past fires recorded one row each; beyond this, the rest are jumped over (a job
# every minute after a week down would otherwise write 10,000 rows).
MAX_LISTED_FIRES = 100


class DuePlans:
    """`plan_due` for `ClaimStore.claim_due`, keeping the spec it built for each claimed job, so the
    run's finish reuses it (`spec_for`) instead of building it again."""

    def __init__(self) -> None:
        self.specs: dict[str, ScheduleSpec] = {}

    def __call__(self, job: Job, now: datetime) -> FirePlan:
        spec = None if job.job_type == JobType.ONE_OFF else spec_of(job)
        if spec is not None:
            self.specs[job.id] = spec
        return plan_due(job, now, spec)

    def spec_for(self, job_id: str) -> ScheduleSpec | None:
        return self.specs.get(job_id)


def plan_due(job: Job, now: datetime, spec: ScheduleSpec | None = None) -> FirePlan:
    """The plan for an ACTIVE job whose next_run_at <= now (`spec`: the job's, if already built)."""
    assert job.next_run_at is not None
    grace = timedelta(seconds=job.misfire_grace_seconds)
    if job.job_type == JobType.ONE_OFF:
        passed: list[datetime] = []
        latest: datetime | None = job.next_run_at
    else:
        spec = spec or spec_of(job)
        passed, latest = fires_until(job, spec, job.next_run_at, now)
    if latest is not None and now - latest <= grace:
        return FirePlan(run_fire=latest, missed=passed)
    missed = passed + ([latest] if latest is not None else [])
    following = next_fire(spec, now, job.run_count) if spec is not None else None
    if following is not None:
        return FirePlan(run_fire=None, missed=missed, next_run_at=following)
    if job.job_type == JobType.ONE_OFF:
        return FirePlan(run_fire=None, missed=missed, to_status=JobStatus.FAILED,
                        reason=f"missed its fire by more than its misfire grace ({job.misfire_grace_seconds} s); "
                               "job_resume runs it now")
    return FirePlan(run_fire=None, missed=missed, to_status=JobStatus.COMPLETED,
                    reason="the schedule ended (end_at or max_runs) while its last fires were missed")


def fires_until(job: Job, spec: ScheduleSpec, first: datetime, now: datetime) -> tuple[list[datetime],
                                                                                        datetime | None]:
    """Fires of a repeating job from `first` up to `now`: (the older ones, the latest). At most
    MAX_LISTED_FIRES are listed; past that the walk jumps to the grace window, the only part that
    can still run."""
    passed: list[datetime] = []
    fire = first
    jumped = False
    while True:
        following = next_fire(spec, fire, job.run_count)
        if following is None or following > now:
            return passed, fire
        if len(passed) < MAX_LISTED_FIRES:
            passed.append(fire)
        fire = following
        window_start = now - timedelta(seconds=job.misfire_grace_seconds)
        if len(passed) >= MAX_LISTED_FIRES and not jumped and fire < window_start:
            jumped = True
            in_window = next_fire(spec, window_start - timedelta(microseconds=1), job.run_count)
            if in_window is None or in_window > now:
                return passed, fire
            fire = in_window


def overlap_fires(spec: ScheduleSpec, scheduled_for: datetime, now: datetime,
                  run_count: int) -> tuple[list[datetime], datetime | None]:
    """Fires in (scheduled_for, now] (skipped: the run was still going) and the first fire after now."""
    skipped: list[datetime] = []
    fire = next_fire(spec, scheduled_for, run_count)
    while fire is not None and fire <= now:
        if len(skipped) < MAX_LISTED_FIRES:
            skipped.append(fire)
            fire = next_fire(spec, fire, run_count)
        else:
            fire = next_fire(spec, now, run_count)
    return skipped, fire
