"""Runs claimed jobs: context -> action -> result -> verdict, with timeout, cancel and heartbeat.

One asyncio task per run. The action is awaited inside it under
`asyncio.timeout`; a job_cancel or a shutdown cancels the run task only while
it is inside the action, and the run takes that cancellation back (`uncancel`)
to record what happened. (A task per action cost more CPU than the rest of a
no-op run.) The finish is planned against the claimed row; if the store says the
row moved on (pause, cancel, update), it is planned again against the row as
it is now, so a pause or cancel is never undone.

A run is one job's business only: a context that cannot be built makes a failed
run, a finish that cannot be planned sets the job FAILED with the reason, and a
result the store refuses is recorded as a failed run without it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import anyio.to_thread

from scheduler.clock import Clock
from scheduler.engine.actions import Action, ActionResult, NoLLMAction, NotifyAction, RunContext
from scheduler.engine.budget import cost_exceeded
from scheduler.engine.finisher import Finisher
from scheduler.engine.retry import RetryPolicy
from scheduler.engine.verdicts import plan_finish, plan_set_aside, unstorable
from scheduler.jobs.job_input import JobInput
from scheduler.schedules.spec import ScheduleSpec
from store.claims import ClaimStore
from store.costs import job_costs
from store.enums import JobAction, JobStatus, RunOutcome
from store.models import Job
from store.row_faults import fault_text, is_row_fault
from store.run_types import Claim, Finish
from store.runs import RunStore

log = logging.getLogger(__name__)
FINISH_TRIES = 5
FollowupFactory = Callable[[Job], Callable[[JobInput], Job]]


def default_actions(agent: Action | None = None) -> dict[str, Action]:
    """notify: the instructions are the message; agent: the LLM pipeline, or NoLLMAction without a key."""
    return {JobAction.NOTIFY.value: NotifyAction(), JobAction.AGENT.value: agent or NoLLMAction()}


@dataclass(frozen=True)
class RunDone:
    """What a finished run tells the engine's watchers (metrics): one per run that reached its finish."""

    job: Job  # as claimed
    run_id: str
    outcome: str
    duration_s: float  # from the claim to the finish
    lateness_s: float  # from the fire it was scheduled for to the claim
    cost_usd: float
    recorded: bool  # False: the store did not take the result (lease lost, refused)


RunWatcher = Callable[[RunDone], None]


@dataclass(frozen=True)
class RemindersDone:
    """Runs of the reminder lane told together: `count` succeeded runs of one job type, each `lateness_s`
    late and lasting 0 s. A batch's reminders mostly share their fire, so a burst of 1,000 is a few of
    these, where a `RunDone` each cost the event loop more than a tenth of the lane's time."""

    job_type: str
    lateness_s: float
    count: int


RemindersWatcher = Callable[[RemindersDone], None]


@dataclass
class RunHandle:
    claim: Claim
    spec: ScheduleSpec | None = None  # the job's schedule as the claim built it (None: a one-off)
    task: asyncio.Task[None] | None = None
    stop_reason: str | None = None
    release: bool = False  # shutdown: give the lease back instead of recording a result
    in_action: bool = False  # the task may be cancelled only while it awaits the action
    cancel_sent: bool = False  # stop_run cancelled the task: the run must uncancel it


class Runner:
    def __init__(
        self, *, claims: ClaimStore, runs: RunStore, clock: Clock, worker: str, actions: Mapping[str, Action],
        retry: RetryPolicy | None = None, lease_s: float = 30.0, timeout_scale: float = 1.0,
        followup: FollowupFactory | None = None, on_finished: Callable[[Job | None], None] | None = None,
    ) -> None:
        self.claims, self.runs, self.clock, self.worker = claims, runs, clock, worker
        self.actions = dict(actions)
        self.retry = retry or RetryPolicy()
        self.lease_s = lease_s
        self.timeout_scale = timeout_scale  # tests shrink timeouts instead of waiting them out
        self.followup = followup
        self.on_finished = on_finished
        self.finisher = Finisher(runs)
        self.running: dict[str, RunHandle] = {}
        self.watchers: list[RunWatcher] = []  # told of every run finished in a slot (metrics); must not raise
        self.reminder_watchers: list[RemindersWatcher] = []  # told of the lane's runs, grouped; must not raise

    def start(self, claim: Claim, spec: ScheduleSpec | None = None) -> RunHandle:
        handle = RunHandle(claim, spec)
        self.running[claim.job.id] = handle
        handle.task = asyncio.create_task(self._run(handle), name=f"run {claim.run_id}")
        return handle

    def stop_run(self, job_id: str, reason: str, *, release: bool = False) -> None:
        """Stop the job's in-flight action (job_cancel, a lost lease, shutdown)."""
        handle = self.running.get(job_id)
        if handle is None or handle.stop_reason is not None:
            return
        handle.stop_reason, handle.release = reason, release
        if handle.in_action and handle.task is not None:
            handle.cancel_sent = True
            handle.task.cancel()

    async def drain(self) -> None:
        """Wait until every started run has finished (recorded or released)."""
        while self.running:
            await asyncio.wait([h.task for h in list(self.running.values()) if h.task is not None])

    async def heartbeat(self, now: datetime | None = None) -> None:
        """Renew this node's leases; a run whose job was cancelled or taken away is stopped."""
        ids = list(self.running)
        if not ids:
            return
        until = (now or self.clock.now()) + timedelta(seconds=self.lease_s)
        held = await anyio.to_thread.run_sync(self.claims.renew_leases, self.worker, ids, until)
        for job_id in ids:
            if job_id not in held:
                self.stop_run(job_id, "the job was cancelled or its lease was taken back")

    # -- one run ---------------------------------------------------------------------

    async def _run(self, handle: RunHandle) -> None:
        claim = handle.claim
        written: Job | None = None
        try:
            try:
                result = await self._execute(handle, await self._context(claim))
            except Exception as exc:  # noqa: BLE001  (a broken run is a failed run, never a dead engine)
                log.exception("run crashed", extra={"job_id": claim.job.id, "run_id": claim.run_id})
                result = ActionResult(outcome=RunOutcome.FAILED, error=f"internal error: {type(exc).__name__}")
            written = None if handle.release else await self._finish_safely(claim, result, handle.spec)
            if not handle.release:
                self._report(claim, result, written is not None)
        finally:
            self.running.pop(claim.job.id, None)
        # After the slot is free, so a woken poller can fill it.
        if written is not None and self.on_finished:
            self.on_finished(written)

    def _report(self, claim: Claim, result: ActionResult, recorded: bool) -> None:
        """The run's INFO line and its watchers; a watcher that fails is logged, never fails the run."""
        done = RunDone(job=claim.job, run_id=claim.run_id, outcome=str(result.outcome),
                       duration_s=max(0.0, (self.clock.now() - claim.started_at).total_seconds()),
                       lateness_s=max(0.0, (claim.started_at - claim.scheduled_for).total_seconds()),
                       cost_usd=result.cost_usd, recorded=recorded)
        self.announce(done)

    def report_reminders(self, fired: Sequence[tuple[Job, str, datetime]], now: datetime) -> None:
        """The INFO line of each reminder the lane ran (no slot, no runner task), and its reminder watchers,
        told once per job type and lateness."""
        lines = log.isEnabledFor(logging.INFO)
        alike: dict[tuple[str, datetime], int] = {}
        for job, run_id, fire in fired:
            if lines:
                _run_line(job.id, run_id, "succeeded", 0.0, 0.0)
            key = (job.job_type, fire)
            alike[key] = alike.get(key, 0) + 1
        for (job_type, fire), count in alike.items():
            done = RemindersDone(job_type, max(0.0, (now - fire).total_seconds()), count)
            for watch in self.reminder_watchers:
                try:
                    watch(done)
                except Exception:  # noqa: BLE001  (metrics must never cost a run)
                    log.exception("reminder watcher failed")

    def announce(self, done: RunDone) -> None:
        if log.isEnabledFor(logging.INFO):
            _run_line(done.job.id, done.run_id, done.outcome, done.duration_s, done.cost_usd)
        for watch in self.watchers:
            try:
                watch(done)
            except Exception:  # noqa: BLE001  (metrics must never cost a run)
                log.exception("run watcher failed", extra={"job_id": done.job.id, "run_id": done.run_id})

    async def _context(self, claim: Claim) -> RunContext:
        job = claim.job
        summaries: list[str] = []
        if job.action != JobAction.NOTIFY:
            summaries = await anyio.to_thread.run_sync(self.runs.recent_summaries, job.id)
        outputs: dict[str, str] = {}
        if job.depends_on:
            outputs = await anyio.to_thread.run_sync(self.runs.last_outputs, job.depends_on)
        # `now` is the pass's, as the run row's started_at: one instant from the claim to the action.
        return RunContext(job=job, run_id=claim.run_id, run_number=job.run_count + 1, attempt=claim.attempt,
                          scheduled_for=claim.scheduled_for, now=claim.started_at, recent_summaries=summaries,
                          dependency_outputs=outputs,
                          create_followup=self.followup(job) if self.followup else None)

    async def _execute(self, handle: RunHandle, context: RunContext) -> ActionResult:
        job = context.job
        if handle.stop_reason is not None:  # stopped before the action began: it never runs
            return _stopped(handle.stop_reason)
        action = self.actions.get(job.action) or self.actions[JobAction.AGENT.value]
        deadline = asyncio.timeout(job.timeout_seconds * self.timeout_scale)
        handle.in_action = True
        try:
            async with deadline:
                result = await action(context)
        except asyncio.CancelledError:
            if not self._take_back_cancel(handle):
                raise  # not ours (the loop is shutting down): let the task end cancelled
            return context.progress.onto(_stopped(handle.stop_reason or "cancelled"))
        except TimeoutError as exc:
            self._take_back_cancel(handle)
            if deadline.expired():
                return context.progress.onto(_timed_out(job.timeout_seconds))
            return self._raised(context, exc)  # the action's own TimeoutError is a failure like any other
        except Exception as exc:  # noqa: BLE001  (an action that raises makes a failed run)
            self._take_back_cancel(handle)
            return self._raised(context, exc)
        finally:
            handle.in_action = False
        if self._take_back_cancel(handle):  # the action swallowed the cancel: still stopped
            return context.progress.onto(_stopped(handle.stop_reason or "cancelled"))
        # An action that swallowed the timeout's cancel and returned anyway still ran out of time.
        return context.progress.onto(_timed_out(job.timeout_seconds)) if deadline.expired() else result

    @staticmethod
    def _take_back_cancel(handle: RunHandle) -> bool:
        """Undo stop_run's cancel request, so the finish can await normally; True if there was one."""
        if not handle.cancel_sent:
            return False
        handle.cancel_sent = False
        if handle.task is not None:
            handle.task.uncancel()
        return True

    @staticmethod
    def _raised(context: RunContext, exc: BaseException) -> ActionResult:
        log.warning("action raised", exc_info=exc, extra={"job_id": context.job.id, "run_id": context.run_id})
        return context.progress.onto(ActionResult(outcome=RunOutcome.FAILED, error=f"{type(exc).__name__}: {exc}"))

    async def _over_budget(self, job: Job, result: ActionResult) -> str | None:
        """The BLOCKED reason when this run takes the job past its max_cost_usd (docs/llm-pipeline.md#cost-tracking)."""
        if job.max_cost_usd is None:
            return None
        totals = await anyio.to_thread.run_sync(job_costs, self.runs.repo, job.owner, [job.id])
        spent = totals[job.id].cost_usd if job.id in totals else 0.0
        return cost_exceeded(job, spent + result.cost_usd)

    async def _finish_safely(self, claim: Claim, result: ActionResult, spec: ScheduleSpec | None) -> Job | None:
        try:
            return await self._finish(claim, result, spec)
        except Exception:  # noqa: BLE001  (the run task must end cleanly; the lease's expiry recovers the job)
            log.exception("finish crashed", extra={"job_id": claim.job.id, "run_id": claim.run_id})
            return None

    def _plan(self, job: Job, spec: ScheduleSpec | None, claim: Claim, result: ActionResult, now: datetime,
              over_budget: str | None) -> Finish:
        try:
            finish = plan_finish(job, claim, result, now, self.retry, spec)
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            log.warning("finish cannot be planned", extra={"job_id": job.id, "run_id": claim.run_id}, exc_info=True)
            return plan_set_aside(job, claim, result, now, f"its next fire cannot be computed ({fault_text(exc)})")
        if over_budget and finish.job.status in (JobStatus.ACTIVE, JobStatus.IN_PROGRESS):
            finish = replace(finish, job=replace(finish.job, status=JobStatus.BLOCKED, next_run_at=None,
                                                 last_error=over_budget, reason=over_budget))
        return finish

    async def _finish(self, claim: Claim, result: ActionResult, spec: ScheduleSpec | None) -> Job | None:
        """Record the run; returns the job as written (status, next fire), or None if nothing was."""
        job = claim.job
        now = self.clock.now()  # the finish's one instant: finished_at, updated_at, the event, the outbox
        over_budget = await self._over_budget(job, result)
        for _ in range(FINISH_TRIES):
            finish = self._plan(job, spec, claim, result, now, over_budget)
            try:
                answer = await self.finisher.submit(finish)
            except Exception:  # noqa: BLE001  (try again against a fresh row; the lease covers us)
                log.exception("finish failed", extra={"job_id": job.id, "run_id": claim.run_id})
                continue
            if answer.applied:
                return job.model_copy(update={"status": finish.job.status.value,
                                              "next_run_at": finish.job.next_run_at})
            if answer.fault is not None:
                log.warning("run result refused by the store: %s", answer.fault,
                            extra={"job_id": job.id, "run_id": claim.run_id})
                result = unstorable(result, answer.fault)
                continue
            current = answer.current
            if current is None or answer.run_outcome != RunOutcome.RUNNING or current.claimed_by != self.worker:
                log.warning("run result dropped: its lease was taken back",
                            extra={"job_id": job.id, "run_id": claim.run_id})
                return None
            job, spec = current, None  # the row moved on (an update may have changed its schedule)
        log.error("run result not recorded after %d tries", FINISH_TRIES,
                  extra={"job_id": job.id, "run_id": claim.run_id})
        return None


def _stopped(reason: str) -> ActionResult:
    return ActionResult(outcome=RunOutcome.CANCELLED, error=reason, summary="stopped: " + reason,
                        retryable=False, notify=False)


def _timed_out(timeout_seconds: float) -> ActionResult:
    return ActionResult(outcome=RunOutcome.TIMED_OUT, error=f"timed out after {timeout_seconds} s",
                        summary="timed out")


def _run_line(job_id: str, run_id: str, outcome: str, duration_s: float, cost_usd: float) -> None:
    """A finished run's INFO line (callers check INFO is on: the fields cost something, and a burst has
    thousands)."""
    log.info("run %s: %s in %.2f s", run_id, outcome, duration_s,
             extra={"job_id": job_id, "run_id": run_id, "outcome": outcome, "duration_s": round(duration_s, 3),
                    "cost_usd": round(cost_usd, 6)})
