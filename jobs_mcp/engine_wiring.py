"""Builds the engine (claims, runs, runner, poller and, on a server, its loop) for the composition root.

The server runs the loop (`EngineMode.LOOP`): it wakes at the next due fire and
is started and stopped with the app. Tests on a fake clock build the same parts
without the loop (`EngineMode.MANUAL`) and drive `poller.tick(now)` themselves.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine

from jobs_mcp.config import Settings
from scheduler.clock import Clock
from scheduler.engine.actions import Action
from scheduler.engine.loop import EngineLoop
from scheduler.engine.notify_pg import PgWakeups
from scheduler.engine.poller import EngineConfig, Poller
from scheduler.engine.reminders import ReminderLane
from scheduler.engine.retention import RetentionPass, RetentionPolicy
from scheduler.engine.retry import RetryPolicy
from scheduler.engine.runner import Runner
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import JobService
from store.claims import ClaimStore
from store.engine import is_sqlite
from store.enums import JobStatus
from store.models import Job
from store.reminders import ReminderStore
from store.repository import JobRepository
from store.run_types import Outbox
from store.runs import RunStore


class EngineMode(StrEnum):
    OFF = "off"  # no engine on this node: nothing is claimed or run, no webhook is sent
    MANUAL = "manual"  # parts built, nothing started: the caller drives poller.tick(now) (fake-clock tests)
    LOOP = "loop"  # the loop runs with the app: the server


@dataclass(frozen=True)
class EngineTuning:
    """Knobs tests turn; the server uses the defaults (None: derived from the settings)."""

    retry: RetryPolicy | None = None
    timeout_scale: float = 1.0  # tests shrink job timeouts instead of waiting them out
    recover_every_s: float | None = None
    safety_interval_s: float | None = None
    shutdown_grace_s: float | None = None
    retention_every_s: float = 3600.0


@dataclass
class EngineParts:
    claims: ClaimStore
    runs: RunStore
    runner: Runner
    poller: Poller
    loop: EngineLoop | None  # None in MANUAL mode
    retention: RetentionPass  # run by the loop; tests call retention.run(now)


def node_id(explicit: str | None) -> str:
    return explicit or f"{socket.gethostname()}-{os.getpid()}"


def engine_config(settings: Settings, tuning: EngineTuning) -> EngineConfig:
    lease_s = float(settings.lease_seconds)
    return EngineConfig(
        worker=node_id(settings.node_id), max_concurrent_runs=settings.max_concurrent_runs, lease_s=lease_s,
        recover_every_s=min(5.0, lease_s / 2) if tuning.recover_every_s is None else tuning.recover_every_s,
        safety_interval_s=min(10.0, lease_s) if tuning.safety_interval_s is None else tuning.safety_interval_s,
        shutdown_grace_s=(float(settings.shutdown_grace_seconds) if tuning.shutdown_grace_s is None
                          else tuning.shutdown_grace_s))


def build_engine(settings: Settings, db: Engine, repo: JobRepository, service: JobService, clock: Clock, *,
                 actions: Mapping[str, Action], outbox: Outbox | None, mode: EngineMode,
                 tuning: EngineTuning) -> EngineParts:
    """The engine of one node; re-armed (LOOP) or told of cancels (MANUAL) on every job change."""
    config = engine_config(settings, tuning)
    claims, runs = ClaimStore(repo, outbox=outbox), RunStore(repo, outbox=outbox)
    runner = Runner(claims=claims, runs=runs, clock=clock, worker=config.worker, actions=actions,
                    retry=tuning.retry, lease_s=config.lease_s, timeout_scale=tuning.timeout_scale,
                    followup=_followup(service))
    lane = ReminderLane(ReminderStore(claims), worker=config.worker, retry=tuning.retry)
    poller = Poller(repo=repo, claims=claims, runs=runs, runner=runner, clock=clock, config=config, lane=lane)
    retention = RetentionPass(service.retention, clock, RetentionPolicy(
        archive_after_days=settings.archive_after_days, purge_after_days=settings.purge_after_days,
        every_s=tuning.retention_every_s))
    loop = None
    if mode is EngineMode.LOOP:
        loop = EngineLoop(poller, wakeups=None if is_sqlite(db) else PgWakeups(db),
                          recover_own_leases=settings.node_id is not None, retention=retention)
        service.add_listener(loop.on_job_change)
    else:
        # Without the loop, a cancel still has to stop the job's run in flight.
        service.add_listener(_stop_cancelled_runs(runner))
    return EngineParts(claims, runs, runner, poller, loop, retention)


def _stop_cancelled_runs(runner: Runner) -> Callable[[Job], None]:
    def on_change(job: Job) -> None:
        if job.status == JobStatus.CANCELLED:
            runner.stop_run(job.id, "cancelled by its owner")

    return on_change


def _followup(service: JobService) -> Callable[[Job], Callable[[JobInput], Job]]:
    def for_job(job: Job) -> Callable[[JobInput], Job]:
        def create(data: JobInput) -> Job:
            return service.create(job.owner, data, actor=f"job:{job.id}").job

        return create

    return for_job
