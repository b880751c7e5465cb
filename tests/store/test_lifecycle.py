"""store/lifecycle.py: every status change is checked against one table, the one docs/design.md §3
documents; anything else is a Conflict naming the current status and what to do instead, and every
next step such a refusal suggests is allowed from that status."""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import product
from pathlib import Path

import pytest

from scheduler.clock import FakeClock
from scheduler.jobs.job_input import JobInput, JobPatch
from scheduler.jobs.service import JobService
from store.enums import TERMINAL_STATUSES
from store.enums import JobStatus as S
from store.errors import Conflict
from store.lifecycle import ALLOWED_TRANSITIONS, OPERATION_HINTS, STATUS_HINTS, check_transition
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


DESIGN = Path(__file__).resolve().parents[2] / "docs" / "design.md"


def design_table() -> dict[tuple[S, S], str]:
    """The transitions of docs/design.md §3 (rows `| from | to | label | when |`; creation rows left out)."""
    table: dict[tuple[S, S], str] = {}
    for line in DESIGN.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not re.fullmatch(r"[a-l]", cells[2]) or "(new)" in cells[0]:
            continue
        for source, target in product(re.findall(r"`([A-Z_]+)`", cells[0]), re.findall(r"`([A-Z_]+)`", cells[1])):
            table[(S(source), S(target))] = cells[2]
    return table


def test_the_table_is_the_one_the_design_documents() -> None:
    assert design_table() == ALLOWED_TRANSITIONS


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED_TRANSITIONS))
def test_an_allowed_change_returns_its_label(current: S, target: S) -> None:
    assert check_transition("job_1", current, target, "change") == ALLOWED_TRANSITIONS[(current, target)]


@pytest.mark.parametrize(("current", "target"),
                         [(c, t) for c, t in product(S, S) if (c, t) not in ALLOWED_TRANSITIONS])
def test_anything_else_is_a_conflict_naming_the_status_and_what_to_do_instead(current: S, target: S) -> None:
    for operation in ("pause", "resume", "finish"):
        with pytest.raises(Conflict) as caught:
            check_transition("job_1", current, target, operation)
        assert (caught.value.status, caught.value.job_id) == (current.value, "job_1")
        hint = OPERATION_HINTS.get((operation, current)) or STATUS_HINTS.get(current)
        advice = f"; {hint}" if hint else ""
        assert caught.value.message == f"cannot {operation} job job_1: its status is {current.value}{advice}"


def test_only_a_claim_starts_a_run_and_nothing_leaves_archived() -> None:
    assert [c for c, t in ALLOWED_TRANSITIONS if t == S.IN_PROGRESS] == [S.ACTIVE]
    assert not [t for c, t in ALLOWED_TRANSITIONS if c == S.ARCHIVED]
    assert {c for c, t in ALLOWED_TRANSITIONS if t == S.ARCHIVED} == TERMINAL_STATUSES - {S.ARCHIVED}
    assert all(c != t for c, t in ALLOWED_TRANSITIONS)  # "no change" is never a transition
