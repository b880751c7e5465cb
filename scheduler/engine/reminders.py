"""The reminder lane: plain `notify` fires without a run slot, in batches (docs/engine.md).

People pick round times, so thousands of reminders come due in the same second. A reminder's
run is a copy of its instructions into a message: giving each one a run slot, a task, a claim
and a finish (two write transactions) cost two orders of magnitude more than the work. The
lane plans each due reminder with the same rules as a run in a slot (`plan_due`, `plan_finish`
with the reminder's result, as if started and finished at the pass's instant) and hands the
whole batch to `ReminderStore.fire_due`, which writes it in one transaction.

The lane works only while the `notify` action is the plain `NotifyAction`; a replaced action
(a test's slow one) runs in the slots like any other. LLM runs keep their slots and their
limit: the poller claims them before each reminder batch, so a burst of reminders delays an
agent job by at most one batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import anyio.to_thread

from scheduler.engine.actions import Action, NotifyAction, reminder_result
from scheduler.engine.collector import collector_paused
from scheduler.engine.fires import plan_due
from scheduler.engine.retry import RetryPolicy
from scheduler.engine.verdicts import plan_finish
from scheduler.schedules.job_schedule import spec_of
from store.enums import JobAction, JobStatus, JobType
from store.ids import new_run_id
from store.models import Job
from store.reminders import ReminderBatch, ReminderStore
from store.run_types import Claim, ReminderPlan

# Reminders per transaction: large enough that per-batch costs vanish (each pass's slot claim walks
# the due reminders in the index), small enough that an agent job due meanwhile, a tool's write or
# another node waits for one batch only: 1,000 take 150-190 ms on the 2 shared cores (bench/lane.py),
# what a batch of 500 took before the lane planned from plain rows.
BATCH = 1000
_RUNNING = ("status", "next_run_at", "claimed_by", "attempt")  # what running a fire changes on the row


class ReminderLane:
    def __init__(self, store: ReminderStore, *, worker: str, retry: RetryPolicy | None = None,
                 batch: int = BATCH) -> None:
        self.store, self.worker, self.batch = store, worker, batch
        self.retry = retry or RetryPolicy()

    @staticmethod
    def serves(actions: Mapping[str, Action]) -> bool:
        """True while reminders are plain (`NotifyAction`): only then may the lane fire them itself."""
        return type(actions.get(JobAction.NOTIFY.value)) is NotifyAction

    async def fire(self, now: datetime) -> ReminderBatch:
        return await anyio.to_thread.run_sync(self.fire_batch, now)

    def fire_batch(self, now: datetime) -> ReminderBatch:
        """One batch, in the calling (worker) thread, with the garbage collector paused for it."""
        with collector_paused():
            return self.store.fire_due(now, self.worker, self.batch, self.plan)

    def plan(self, job: Job, now: datetime) -> ReminderPlan:
        """The due reminder's fires (run, missed) and its run's finish, as the slot path would plan them.

        A fire that runs turns `job` (a detached row the store handed over) into the running row the
        finish is planned against, in place: a copy per reminder cost more than the rest of its plan."""
        spec = None if job.job_type == JobType.ONE_OFF else spec_of(job)
        fires = plan_due(job, now, spec)
        if fires.run_fire is None:
            return ReminderPlan(fires)
        moved = fires.run_fire != job.next_run_at  # older fires were missed: a new fire, attempts start over
        attempt = 1 if moved else job.attempt + 1
        claim = Claim(job=job, run_id=new_run_id(), scheduled_for=fires.run_fire, started_at=now, attempt=attempt)
        result = reminder_result(job)
        values = job.__dict__  # a detached row: its values are plain entries, and setting them through
        before = {key: values[key] for key in _RUNNING}  # the model's __setattr__ cost as much as the plan
        values.update(status=JobStatus.IN_PROGRESS.value, next_run_at=fires.run_fire, claimed_by=self.worker,
                      attempt=0 if moved else job.attempt)
        try:
            finish = plan_finish(job, claim, result, now, self.retry, spec)
        except BaseException:
            values.update(before)  # the store sets the row aside as it was
            raise
        return ReminderPlan(fires, finish, attempt)
