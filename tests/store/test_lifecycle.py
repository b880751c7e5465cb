"""The lifecycle's advice: every next step a refusal suggests is allowed from that status."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from scheduler.clock import FakeClock
from scheduler.jobs.job_input import JobInput, JobPatch
from scheduler.jobs.service import JobService
from store.enums import JobStatus as S
from store.errors import Conflict
from store.models import Job
from store.repository import JobRepository, Transition

OWNER = "alice"
TOOLS = ("job_update", "job_pause", "job_resume", "job_cancel", "job_run_now")


def _call(service: JobService, tool: str, job_id: str) -> Job:
    calls: dict[str, Callable[[], Job]] = {
        "job_update": lambda: service.update(OWNER, job_id, JobPatch(title="changed")),
        "job_pause": lambda: service.pause(OWNER, job_id),
        "job_resume": lambda: service.resume(OWNER, job_id),
        "job_cancel": lambda: service.cancel(OWNER, job_id),
        "job_run_now": lambda: service.run_now(OWNER, job_id),
    }
    return calls[tool]()


def _job_in(status: S, service: JobService, repo: JobRepository, clock: FakeClock) -> Job:
    def new(**fields: object) -> Job:
        return service.create(OWNER, JobInput(title="t", instructions="i", cron="0 9 * * 1", **fields)).job

    def move(job: Job, *path: S) -> Job:
        for to in path:
            job = repo.update_job(job, {}, now=clock.now(), transition=Transition(to, "test"))
        return job

    if status == S.PENDING:
        return new(depends_on=[new().id])
    if status == S.BLOCKED:
        return new(depends_on=[move(new(), S.IN_PROGRESS, S.FAILED).id])
    if status == S.PAUSED:
        return service.pause(OWNER, new().id)
    if status == S.CANCELLED:
        return service.cancel(OWNER, new().id)
    paths = {S.ACTIVE: (), S.IN_PROGRESS: (S.IN_PROGRESS,), S.COMPLETED: (S.IN_PROGRESS, S.COMPLETED),
             S.FAILED: (S.IN_PROGRESS, S.FAILED), S.ARCHIVED: (S.IN_PROGRESS, S.COMPLETED, S.ARCHIVED)}
    return move(new(), *paths[status])


@pytest.mark.parametrize("status", list(S))
def test_every_suggested_next_step_is_allowed(
    status: S, service: JobService, repo: JobRepository, clock: FakeClock
) -> None:
    advice: dict[str, set[str]] = {}
    for tool in TOOLS:
        job = _job_in(status, service, repo, clock)
        assert job.status == status
        try:
            _call(service, tool, job.id)
        except Conflict as refusal:
            advice[tool] = set(re.findall(r"\bjob_[a-z_]+\b", refusal.message)) & set(TOOLS)
            assert tool not in advice[tool], f"{tool} on {status} suggests itself: {refusal.message}"
    for refused, suggested in advice.items():
        for tool in suggested:
            job = _job_in(status, service, repo, clock)
            try:
                _call(service, tool, job.id)
            except Conflict as again:
                pytest.fail(f"{refused} on a {status} job suggests {tool}, which refuses: {again.message}")


def test_a_finished_job_points_to_a_new_job(service: JobService, repo: JobRepository, clock: FakeClock) -> None:
    for status in (S.COMPLETED, S.CANCELLED, S.ARCHIVED):
        job = _job_in(status, service, repo, clock)
        for tool in TOOLS:
            with pytest.raises(Conflict) as refusal:
                _call(service, tool, job.id)
            assert "job_create" in refusal.value.message and "job_run_now" not in refusal.value.message
