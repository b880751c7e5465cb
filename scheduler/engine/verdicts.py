"""What a run's result means for its job: the verdict rules per type (docs/design.md §2, §3).

Pure functions from (job row, its schedule spec, claim, result, now) to the
`Finish` the store writes; the spec is the one the claim built (None for
one-offs). A job that left IN_PROGRESS during the run (paused, cancelled,
blocked) keeps its status: the run is recorded, but it never moves the job.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from scheduler.engine.actions import ActionResult
from scheduler.engine.fires import overlap_fires
from scheduler.engine.retry import RetryPolicy
from scheduler.schedules.job_schedule import spec_of
from scheduler.schedules.schedule_math import next_fire
from scheduler.schedules.spec import ScheduleSpec
from store.enums import JobStatus, JobType, RunOutcome, Verdict
from store.models import Job
from store.row_faults import unusable
from store.run_types import Claim, Finish, JobFinish, RunRecord

S = JobStatus
_STOPPED = (S.PAUSED, S.CANCELLED, S.BLOCKED)
ERROR_MAX = 4_000


def plan_finish(job: Job, claim: Claim, result: ActionResult, now: datetime, retry: RetryPolicy,
                spec: ScheduleSpec | None = None) -> Finish:
    """The finish of `claim`'s run, planned against `job` (the claimed row, or the row as it is now)
    and its schedule `spec` (built from `job` when not given and needed)."""
    succeeded = result.outcome == RunOutcome.SUCCEEDED and result.verdict != Verdict.FAILED
    skipped: list[datetime] = []
    if job.job_type != JobType.ONE_OFF and spec is None:
        spec = spec_of(job)
    if JobStatus(job.status) != S.IN_PROGRESS:
        job_finish, verdict = held(job, claim, result), result.verdict
    elif succeeded:
        job_finish, verdict, skipped = _succeeded(job, spec, claim, result, now)
    else:
        job_finish, verdict = _failed(job, spec, claim, result, now, retry)
    return Finish(job_id=job.id, version=job.version, run_id=claim.run_id, run=run_record(result, now, verdict),
                  job=job_finish, skipped=skipped, row=job)


def plan_set_aside(job: Job, claim: Claim, result: ActionResult, now: datetime, problem: str) -> Finish:
    """The finish of a run whose job cannot be planned (its next fire overflows, a value is damaged):
    the run is recorded as it ended; the job, if still IN_PROGRESS, FAILED with the reason."""
    reason = unusable(problem)
    status = JobStatus(job.status)
    succeeded = result.outcome == RunOutcome.SUCCEEDED
    job_finish = JobFinish(
        status=S.FAILED if status == S.IN_PROGRESS else status, next_run_at=None,
        run_count=job.run_count + (1 if succeeded else 0), attempt=claim.attempt, last_run_at=claim.started_at,
        last_error=reason, state=result.new_state if result.new_state is not None else job.state, reason=reason)
    return Finish(job_id=job.id, version=job.version, run_id=claim.run_id, run=run_record(result, now, None),
                  job=job_finish, row=job)


def unstorable(result: ActionResult, fault: str) -> ActionResult:
    """A result the store refused (a value the database cannot hold), as a failed run without that payload:
    usage and cost are kept, the retry policy decides what comes next."""
    error = f"the run's result could not be stored ({fault})"
    return ActionResult(outcome=RunOutcome.FAILED, error=error, summary=error[:200], message=error, notify=True,
                        tokens_in=result.tokens_in, tokens_out=result.tokens_out,
                        cache_read_tokens=result.cache_read_tokens, cache_write_tokens=result.cache_write_tokens,
                        cost_usd=result.cost_usd)


def run_record(result: ActionResult, now: datetime, verdict: Verdict | None) -> RunRecord:
    return RunRecord(
        outcome=result.outcome, finished_at=now, verdict=verdict, summary=result.summary, output=result.output,
        error=result.error[:ERROR_MAX] if result.error else None, message=result.message, notify=result.notify,
        tokens_in=result.tokens_in, tokens_out=result.tokens_out, cache_read_tokens=result.cache_read_tokens,
        cache_write_tokens=result.cache_write_tokens, cost_usd=result.cost_usd, trace=result.trace,
    )


def _succeeded(job: Job, spec: ScheduleSpec | None, claim: Claim, result: ActionResult,
               now: datetime) -> tuple[JobFinish, Verdict, list[datetime]]:
    run_count = job.run_count + 1
    verdict = result.verdict or (Verdict.COMPLETED if job.job_type == JobType.ONE_OFF else Verdict.CONTINUE)
    skipped: list[datetime] = []
    following = None
    if verdict == Verdict.CONTINUE and spec is not None:
        skipped, following = overlap_fires(spec, claim.scheduled_for, now, run_count)
    if following is None:
        reason = "judged done" if verdict == Verdict.COMPLETED else "the schedule is exhausted (end_at or max_runs)"
        if job.job_type == JobType.ONE_OFF:
            reason = "ran"
        status = S.COMPLETED
        verdict = Verdict.COMPLETED
    else:
        status, reason = S.ACTIVE, f"next fire {following.isoformat()}"
    state = result.new_state if result.new_state is not None else job.state
    return (JobFinish(status=status, next_run_at=following, run_count=run_count, attempt=0,
                      last_run_at=claim.started_at, last_error=None, state=state, reason=reason), verdict, skipped)


def _failed(job: Job, spec: ScheduleSpec | None, claim: Claim, result: ActionResult, now: datetime,
            retry: RetryPolicy) -> tuple[JobFinish, Verdict | None]:
    attempts = claim.attempt
    error = (result.error or f"the run ended {result.outcome.value}")[:ERROR_MAX]
    state = result.new_state if result.new_state is not None else job.state
    final = not result.retryable or result.verdict == Verdict.FAILED or attempts >= job.max_attempts
    if final:
        reason = f"failed after {attempts} attempt(s): {error}"[:ERROR_MAX]
        return (JobFinish(status=S.FAILED, next_run_at=None, run_count=job.run_count, attempt=attempts,
                          last_run_at=claim.started_at, last_error=error, state=state, reason=reason), Verdict.FAILED)
    retry_at = now + timedelta(seconds=retry.delay_s(attempts))
    if spec is not None:
        # A regular fire before the retry is the better next attempt; failures keep counting.
        regular = next_fire(spec, now, job.run_count)
        if regular is not None and regular < retry_at:
            retry_at = regular
    reason = f"attempt {attempts} of {job.max_attempts} failed; retry at {retry_at.isoformat()}"
    return (JobFinish(status=S.ACTIVE, next_run_at=retry_at, run_count=job.run_count, attempt=attempts,
                      last_run_at=claim.started_at, last_error=error, state=state, reason=reason), None)


def held(job: Job, claim: Claim, result: ActionResult) -> JobFinish:
    """The job keeps the status a pause/cancel gave it during the run; the run still counts."""
    succeeded = result.outcome == RunOutcome.SUCCEEDED
    status = JobStatus(job.status)
    return JobFinish(
        status=status, next_run_at=None if status in _STOPPED else job.next_run_at,
        run_count=job.run_count + (1 if succeeded else 0), attempt=0 if succeeded else job.attempt,
        last_run_at=claim.started_at, last_error=job.last_error if succeeded else (result.error or job.last_error),
        state=result.new_state if result.new_state is not None else job.state,
    )


def plan_recovery(job: Job) -> JobFinish:
    """A lease expired (its node died): the run counts as an attempt; the fire runs again if attempts remain."""
    status = JobStatus(job.status)
    if status != S.IN_PROGRESS:
        return _keep(job, status)
    attempts = job.attempt + 1
    error = f"attempt {attempts} abandoned: the lease of {job.claimed_by} expired"
    if attempts >= job.max_attempts:
        return JobFinish(status=S.FAILED, next_run_at=None, run_count=job.run_count, attempt=attempts,
                         last_run_at=job.last_run_at, last_error=error, state=job.state,
                         reason=f"failed after {attempts} attempt(s): {error}")
    # next_run_at still holds the abandoned fire: it runs again within its misfire grace.
    return JobFinish(status=S.ACTIVE, next_run_at=job.next_run_at, run_count=job.run_count, attempt=attempts,
                     last_run_at=job.last_run_at, last_error=error, state=job.state, reason=error)


def plan_release(job: Job) -> JobFinish:
    """This node shuts down mid-run: the fire goes back to the queue at once; no attempt is counted."""
    status = JobStatus(job.status)
    if status != S.IN_PROGRESS:
        return _keep(job, status)
    return JobFinish(status=S.ACTIVE, next_run_at=job.next_run_at, run_count=job.run_count, attempt=job.attempt,
                     last_run_at=job.last_run_at, last_error=job.last_error, state=job.state,
                     reason=f"released by {job.claimed_by} at shutdown")


def _keep(job: Job, status: JobStatus) -> JobFinish:
    return JobFinish(status=status, next_run_at=None if status in _STOPPED else job.next_run_at,
                     run_count=job.run_count, attempt=job.attempt, last_run_at=job.last_run_at,
                     last_error=job.last_error, state=job.state)
