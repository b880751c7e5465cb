"""An engine on a real store (SQLite file and PostgreSQL), driven by tick(now) with a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from scheduler.clock import FakeClock
from scheduler.engine.actions import ActionResult, RunContext
from scheduler.engine.poller import EngineConfig, Poller
from scheduler.engine.retry import RetryPolicy
from scheduler.engine.runner import Runner, default_actions
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import JobService
from store.claims import ClaimStore
from store.enums import JobStatus
from store.models import Job, JobRun
from store.repository import JobRepository
from store.run_types import Outbox
from store.runs import RunStore


class ScriptedAction:
    """The `agent` action of these tests: returns scripted results, records every context.

    A script entry is an ActionResult, an exception to raise, or an asyncio.Event to wait for
    (then it succeeds). With the script empty it succeeds.
    """

    def __init__(self) -> None:
        self.script: list[Any] = []
        self.contexts: list[RunContext] = []
        self.started = asyncio.Event()

    async def __call__(self, context: RunContext) -> ActionResult:
        self.contexts.append(context)
        self.started.set()
        step = self.script.pop(0) if self.script else None
        if isinstance(step, asyncio.Event):
            await step.wait()
            return ActionResult(summary="waited", output="waited")
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, ActionResult):
            return step
        return ActionResult(summary=f"run {context.run_number}", output=f"output of {context.job.title}")


@dataclass
class Engine:
    repo: JobRepository
    service: JobService
    clock: FakeClock
    claims: ClaimStore
    runs: RunStore
    runner: Runner
    poller: Poller
    agent: ScriptedAction
    owner: str = "alice"
    finished: list[Job] = field(default_factory=list)

    def create(self, **fields: Any) -> Job:
        data = {"title": "Water the plants", "instructions": "Water the plants on the balcony", **fields}
        return self.service.create(self.owner, JobInput(**data)).job

    def job(self, job_id: str) -> Job:
        return self.repo.get_job(self.owner, job_id)

    def run_rows(self, job_id: str) -> list[JobRun]:
        """The job's runs, oldest first."""
        return list(reversed(self.repo.list_runs(self.owner, job_id, limit=500)))

    def outcomes(self, job_id: str) -> list[str]:
        return [run.outcome for run in self.run_rows(job_id)]


def make_engine(repo: JobRepository, clock: FakeClock, *, worker: str = "node-a", max_runs: int = 8,
                lease_s: float = 30.0, agent: ScriptedAction | None = None,
                service: JobService | None = None, outbox: Outbox | None = None) -> Engine:
    service = service or JobService(repo, clock)
    claims, runs = ClaimStore(repo, outbox=outbox), RunStore(repo, outbox=outbox)
    agent = agent or ScriptedAction()
    finished: list[Job] = []
    runner = Runner(claims=claims, runs=runs, clock=clock, worker=worker, actions=default_actions(agent),
                    retry=RetryPolicy(random=lambda: 0.5), lease_s=lease_s, timeout_scale=0.01,
                    on_finished=finished.append)
    config = EngineConfig(worker=worker, max_concurrent_runs=max_runs, lease_s=lease_s, recover_every_s=0)
    poller = Poller(repo=repo, claims=claims, runs=runs, runner=runner, clock=clock, config=config)
    service.add_listener(_cancel_watch(runner))
    return Engine(repo, service, clock, claims, runs, runner, poller, agent, finished=finished)


def _cancel_watch(runner: Runner) -> Callable[[Job], None]:
    def on_change(job: Job) -> None:
        if job.status == JobStatus.CANCELLED:
            runner.stop_run(job.id, "cancelled by its owner")

    return on_change


@pytest.fixture
def engine(repo: JobRepository, clock: FakeClock) -> Engine:
    return make_engine(repo, clock)
