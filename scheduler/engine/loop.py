"""The poller's loop inside `jobs-mcp serve`: when to call tick(), heartbeats, shutdown.

An APScheduler 3 `AsyncIOScheduler` holds two jobs: the tick, on a safety
interval, and the heartbeat. What keeps lateness low is that the tick's next
run time is moved to the earliest due fire after every pass, and to "now" by
any create, update, resume or run-now (a JobService listener), by a finished
run, or by another node (PostgreSQL LISTEN/NOTIFY). Fire lateness therefore
never depends on the safety interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from functools import partial

import anyio
import anyio.to_thread
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.engine.notify_pg import PgWakeups, Wake
from scheduler.engine.poller import Poller
from scheduler.engine.retention import RetentionPass
from scheduler.engine.verdicts import plan_recovery, plan_release
from store.enums import JobStatus
from store.models import Job

log = logging.getLogger(__name__)
TICK_JOB, HEARTBEAT_JOB, RETENTION_JOB = "jobs-mcp-tick", "jobs-mcp-heartbeat", "jobs-mcp-retention"
RETENTION_FIRST_DELAY_S = 60  # not during the start, when the node has its own leases to take back


class EngineLoop:
    def __init__(self, poller: Poller, *, wakeups: PgWakeups | None = None, recover_own_leases: bool = False,
                 retention: RetentionPass | None = None) -> None:
        self.poller = poller
        self.retention = retention
        self.runner = poller.runner
        self.config = poller.config
        self.wakeups = wakeups
        self.recover_own_leases = recover_own_leases  # a fixed node id: leases left by our previous life
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._ticking = False
        self._again = False
        self._pending_wake: datetime | None = None
        self._starved = False
        self._stopping = False
        self.last_tick_at: datetime | None = None  # the end of the last pass (readiness: is the engine alive?)
        self.runner.on_finished = self._on_run_finished

    def _now(self) -> datetime:
        # The injected clock, as everywhere in the engine: the tick's arming and the pass agree on "now".
        return self.poller.clock.now()

    # -- lifecycle (the server's lifespan calls these) ----------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self.recover_own_leases:
            now = self.poller.clock.now()
            await anyio.to_thread.run_sync(self.poller.claims.recover_worker, now, self.config.worker, plan_recovery)
        scheduler = AsyncIOScheduler(timezone=UTC, event_loop=self._loop)
        # Several instances allowed: a wake that lands while a pass is finishing must not be dropped
        # by APScheduler; `_tick_job` itself folds it into the running pass.
        scheduler.add_job(self._tick_job, IntervalTrigger(seconds=self.config.safety_interval_s), id=TICK_JOB,
                          next_run_time=self._now(), max_instances=4, coalesce=True, misfire_grace_time=None)
        scheduler.add_job(self.runner.heartbeat, IntervalTrigger(seconds=self.config.heartbeat_s), id=HEARTBEAT_JOB,
                          max_instances=1, coalesce=True, misfire_grace_time=None)
        if self.retention is not None:
            scheduler.add_job(self._retention_job, IntervalTrigger(seconds=self.retention.policy.every_s),
                              id=RETENTION_JOB, next_run_time=self._now() + timedelta(seconds=RETENTION_FIRST_DELAY_S),
                              max_instances=1, coalesce=True, misfire_grace_time=None)
        scheduler.start()
        self._scheduler = scheduler
        if self.wakeups is not None:
            self.wakeups.start(self._on_remote_wake)
        log.info("engine started", extra={"worker": self.config.worker})

    async def stop(self) -> None:
        """Stop claiming, let runs finish within the grace period, give the rest's leases back."""
        if self._stopping:
            return
        self._stopping = True
        self.poller.claiming = False
        if self.wakeups is not None:
            self.wakeups.stop()
        with anyio.move_on_after(self.config.shutdown_grace_s):
            await self.runner.drain()
        left = list(self.runner.running)
        for job_id in left:
            self.runner.stop_run(job_id, "the node shut down", release=True)
        with anyio.move_on_after(5):
            await self.runner.drain()
        if left:
            now = self.poller.clock.now()
            await anyio.to_thread.run_sync(self.poller.claims.release, now, self.config.worker, left, plan_release)
            log.warning("released %d runs at shutdown", len(left))
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    # -- wake-ups -------------------------------------------------------------------------

    def on_job_change(self, job: Job) -> None:
        """JobService listener (any thread): re-arm for the job's fire, stop a cancelled run, tell the others."""
        wake = Wake(job.id, job.status, job.next_run_at)
        self._call_soon(self._apply_wake, wake)
        if self.wakeups is not None:
            self.wakeups.send(wake)

    def wake_at(self, when: datetime | None) -> None:
        """Make the next tick happen no later than `when` (thread-safe)."""
        self._call_soon(self._arm, when)

    def _call_soon(self, fn: object, *args: object) -> None:
        if self._loop is None or self._stopping:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed under us: shutting down
            self._loop.call_soon_threadsafe(fn, *args)  # type: ignore[arg-type]

    def _on_remote_wake(self, wake: Wake) -> None:
        self._call_soon(self._apply_wake, wake)

    def _apply_wake(self, wake: Wake) -> None:
        if wake.status == JobStatus.CANCELLED and wake.job_id in self.runner.running:
            self.runner.stop_run(wake.job_id, "cancelled by its owner")
        if wake.status == JobStatus.PAUSED and wake.job_id in self.runner.running:
            return  # keeps running; its finish will respect the pause
        if wake.status in (JobStatus.ACTIVE, JobStatus.PENDING) or wake.status in (JobStatus.CANCELLED,
                                                                                     JobStatus.FAILED):
            # ACTIVE: its fire; PENDING/terminal: dependencies may settle now.
            self._arm(wake.next_run_at if wake.status == JobStatus.ACTIVE else self._now())

    def _on_run_finished(self, job: Job | None) -> None:
        if job is None:
            return
        free = self.config.max_concurrent_runs - len(self.runner.running)
        # Starved (more was due than slots): refill once a quarter of the slots is free, so
        # claims come in batches instead of one pass per finished run.
        refill = self._starved and free >= max(1, self.config.max_concurrent_runs // 4)
        if refill or job.status in (JobStatus.COMPLETED, JobStatus.FAILED) and not self._starved:
            self._arm(self._now())
        elif job.next_run_at is not None:
            self._arm(job.next_run_at)

    def _arm(self, when: datetime | None) -> None:
        if when is None or self._stopping or self._scheduler is None:
            return
        if self._ticking:
            self._pending_wake = when if self._pending_wake is None else min(self._pending_wake, when)
            if when <= self._now():
                self._again = True
            return
        tick = self._scheduler.get_job(TICK_JOB)
        if tick is not None and (tick.next_run_time is None or when < tick.next_run_time):
            self._scheduler.modify_job(TICK_JOB, next_run_time=max(when, self._now() - timedelta(seconds=1)))

    async def _retention_job(self) -> None:
        assert self.retention is not None
        try:
            await anyio.to_thread.run_sync(self.retention.run)
        except Exception:  # noqa: BLE001  (like a tick: the next pass retries)
            log.exception("retention pass failed")

    async def _next_reminder(self) -> datetime | None:
        """The next fire of a reminder for the lane (None without the lane)."""
        if self.poller.active_lane() is None:
            return None
        try:
            return await anyio.to_thread.run_sync(partial(self.poller.claims.next_due, reminders=True))
        except Exception:  # noqa: BLE001  (the safety interval covers a failed read)
            log.exception("reading the next reminder failed")
            return None

    async def _tick_job(self) -> None:
        if self._ticking or self._stopping:
            self._again = True
            return
        self._ticking = True
        next_due: datetime | None = None
        try:
            while not self._stopping:
                self._again = False
                report = await self.poller.tick()
                self._again = self._again or report.more_reminders  # a full reminder batch: more are due now
                free = self.config.max_concurrent_runs - len(self.runner.running)
                self._starved = report.more_due and free <= 0
                if not ((report.more_due and free > 0) or self._again):
                    break
            next_due = await anyio.to_thread.run_sync(self.poller.claims.next_due)
            self.last_tick_at = self._now()
        except Exception:  # noqa: BLE001  (the loop must survive a bad pass; the next one retries)
            log.exception("engine tick failed")
        finally:
            self._ticking = False
        pending, self._pending_wake = self._pending_wake, None
        if self._starved and next_due is not None and next_due <= self._now():
            # Due work waits for free slots (finishing runs wake the loop); reminders need none.
            next_due = await self._next_reminder()
        for when in (next_due, pending):
            self._arm(when)
