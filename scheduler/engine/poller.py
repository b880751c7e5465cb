"""`tick(now)`: one pass of the engine (docs/design.md §5).

Recover expired leases, settle dependencies, record missed fires and claim
due jobs up to the free run slots, start their runs; then fire one batch of
due reminders in the reminder lane (no slots; `scheduler.engine.reminders`). The loop that decides
when to call it lives in `scheduler.engine.loop`; tests call it directly with
a fake clock and `drain()` the runs it started.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import anyio.to_thread

from scheduler.clock import Clock
from scheduler.engine.fires import DuePlans
from scheduler.engine.reminders import ReminderLane
from scheduler.engine.runner import RunHandle, Runner
from scheduler.engine.settle import settle_dependencies
from scheduler.engine.verdicts import plan_recovery
from store.claims import ClaimStore
from store.repository import JobRepository
from store.runs import RunStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineConfig:
    worker: str
    max_concurrent_runs: int = 8
    lease_s: float = 30.0
    recover_every_s: float = 5.0
    safety_interval_s: float = 10.0
    shutdown_grace_s: float = 10.0

    @property
    def heartbeat_s(self) -> float:
        # Three renewals per lease: one lost heartbeat never costs the lease.
        return self.lease_s / 3


@dataclass
class TickReport:
    recovered: int = 0
    settled: int = 0
    claimed: int = 0  # runs started in slots, and reminders the lane ran
    missed: int = 0
    more_due: bool = False  # the claim filled its limit: more may be due right now
    reminders: int = 0  # reminders the lane ran (counted in `claimed` too)
    more_reminders: bool = False  # the lane's batch was full: more reminders may be due right now
    runs: list[RunHandle] = field(default_factory=list)


class Poller:
    def __init__(self, *, repo: JobRepository, claims: ClaimStore, runs: RunStore, runner: Runner, clock: Clock,
                 config: EngineConfig, lane: ReminderLane | None = None) -> None:
        self.repo, self.claims, self.runs, self.runner = repo, claims, runs, runner
        self.clock, self.config = clock, config
        self.lane = lane
        self.claiming = True  # False from shutdown on
        self._next_recovery: datetime | None = None
        self._next_heartbeat: datetime | None = None

    async def tick(self, now: datetime | None = None) -> TickReport:
        now = now or self.clock.now()
        report = TickReport()
        if self.runner.running and (self._next_heartbeat is None or now >= self._next_heartbeat):
            # A node that ticks is alive: renew its own leases before looking for expired ones.
            self._next_heartbeat = now + timedelta(seconds=self.config.heartbeat_s)
            await self.runner.heartbeat(now)
        if self._next_recovery is None or now >= self._next_recovery:
            # Scanning for expired leases each pass would cost more than it finds.
            self._next_recovery = now + timedelta(seconds=self.config.recover_every_s)
            recovered = await anyio.to_thread.run_sync(self.claims.recover_expired, now, plan_recovery)
            report.recovered = len(recovered)
            for job in recovered:
                log.warning("took back the expired lease of %s", job.claimed_by,
                            extra={"job_id": job.id, "worker": job.claimed_by})
        settled = await anyio.to_thread.run_sync(settle_dependencies, self.repo, self.runs, now)
        report.settled = len(settled)
        free = self.config.max_concurrent_runs - len(self.runner.running)
        lane = self.active_lane()
        if self.claiming and free > 0:
            # Slots first: an LLM job due in a burst of reminders waits for no reminder batch.
            plans = DuePlans()  # keeps each claimed job's schedule spec for its run's finish
            batch = await anyio.to_thread.run_sync(partial(
                self.claims.claim_due, now, self.config.worker, free, self.config.lease_s, plans,
                reminders_apart=lane is not None))
            report.claimed, report.missed = len(batch.claims), batch.missed
            report.more_due = batch.examined >= free
            report.runs = [self.runner.start(claim, plans.spec_for(claim.job.id)) for claim in batch.claims]
        if self.claiming and lane is not None:
            fired = await lane.fire(now)
            report.reminders, report.more_reminders = fired.ran, fired.examined >= lane.batch
            self.runner.report_reminders(fired.fired, now)
            report.claimed += fired.ran
            report.missed += fired.missed
        return report

    def active_lane(self) -> ReminderLane | None:
        """The reminder lane, while reminders are plain (a test may swap the notify action)."""
        return self.lane if self.lane is not None and self.lane.serves(self.runner.actions) else None

    async def drain(self) -> None:
        await self.runner.drain()

    async def tick_until_idle(self, now: datetime | None = None, max_passes: int = 50) -> list[TickReport]:
        """Tick and drain until a pass starts nothing (tests: dependency chains, retries due now)."""
        reports = []
        for _ in range(max_passes):
            report = await self.tick(now)
            await self.drain()
            reports.append(report)
            if not (report.claimed or report.settled or report.missed or report.recovered or report.more_reminders):
                break
        return reports
