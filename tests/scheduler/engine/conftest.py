"""An engine on a real store (SQLite file and PostgreSQL), driven by tick(now) with a fake clock."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from jobs_mcp.app import App, build_app
from jobs_mcp.config import Settings
from jobs_mcp.engine_wiring import EngineMode, EngineParts, EngineTuning
from scheduler.clock import FakeClock
from scheduler.engine.actions import ActionResult, RunContext
from scheduler.engine.poller import Poller
from scheduler.engine.retry import RetryPolicy
from scheduler.engine.runner import Runner
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import JobService
from store.claims import ClaimStore
from store.models import Job, JobRun
from store.repository import JobRepository
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
    """One node's engine, built by the composition root, and helpers to create and read its jobs."""

    app: App
    agent: ScriptedAction
    owner: str = "alice"

    @property
    def parts(self) -> EngineParts:
        assert self.app.engine is not None
        return self.app.engine

    @property
    def repo(self) -> JobRepository:
        return self.app.repo

    @property
    def service(self) -> JobService:
        return self.app.service

    @property
    def clock(self) -> FakeClock:
        assert isinstance(self.app.clock, FakeClock)
        return self.app.clock

    @property
    def claims(self) -> ClaimStore:
        return self.parts.claims

    @property
    def runs(self) -> RunStore:
        return self.parts.runs

    @property
    def runner(self) -> Runner:
        return self.parts.runner

    @property
    def poller(self) -> Poller:
        return self.parts.poller

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


# The engine's tests create many jobs in one frozen minute; tests/scheduler/jobs/test_quotas.py covers quotas.
NO_QUOTAS: dict[str, Any] = {"max_active_jobs": 0, "max_creates_per_minute": 0, "max_daily_spend_usd": 0}
# Retries wait exactly half their backoff range; job timeouts are a hundredth, so a test never waits them out.
TUNING = EngineTuning(retry=RetryPolicy(random=lambda: 0.5), timeout_scale=0.01, recover_every_s=0)


def make_engine(repo: JobRepository, clock: FakeClock, *, worker: str = "node-a", max_runs: int = 8,
                lease_s: int = 30, agent: ScriptedAction | None = None) -> Engine:
    """A node on `repo` (several may share one database), driven by poller.tick(now); its own service."""
    agent = agent or ScriptedAction()
    settings = Settings(database_url=repo.engine.url.render_as_string(hide_password=False), node_id=worker,
                        max_concurrent_runs=max_runs, lease_seconds=lease_s, **NO_QUOTAS)
    app = build_app(settings, clock, engine=EngineMode.MANUAL, actions={"agent": agent}, tuning=TUNING,
                    search=False, repo=repo)
    return Engine(app, agent)


@pytest.fixture
def engine(repo: JobRepository, clock: FakeClock) -> Engine:
    return make_engine(repo, clock)
