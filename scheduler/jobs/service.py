"""Job operations behind the tools: validate, apply the lifecycle, write once.

Each public method is one use case. Input is checked completely before the first write, and
each write is one transaction that also builds the caller's answer (`answer`): if building it
fails, nothing is written, so a refused or failed call changes nothing. Status changes go
through `store.lifecycle` (via the repository) and are recorded as events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from scheduler.channel_urls import check_channels
from scheduler.clock import Clock
from scheduler.jobs.dependencies import DependencyState, check_dependencies, dependency_state
from scheduler.jobs.fields import check_text
from scheduler.jobs.job_input import JobInput, JobPatch
from scheduler.jobs.quotas import QuotaCheck, Quotas
from scheduler.jobs.validation import (
    Limits,
    check_end_condition,
    check_schedule,
    check_webhook,
    parse_time,
)
from scheduler.schedules.job_schedule import SCHEDULE_COLUMNS, resume_fire, spec_columns, spec_of
from scheduler.schedules.preview import preview_schedule
from scheduler.schedules.schedule_math import next_fire
from scheduler.schedules.spec import ScheduleSpec
from store import limits as L
from store.enums import TERMINAL_STATUSES, JobAction, JobStatus, JobType
from store.errors import Conflict, InvalidArgument, StaleVersion
from store.ids import new_job_id
from store.lifecycle import next_step
from store.models import Job, JobEvent, JobRun
from store.owner_settings import OwnerSettingsStore
from store.repository import JobPage, JobRepository, Transition
from store.retention import RetentionStore

log = logging.getLogger(__name__)
STALE_RETRIES = 5
S = JobStatus
T = TypeVar("T")


class ToolCatalog(Protocol):
    """The node's MCP servers as agent tools (scheduler/agent_tools/catalog.py AgentTools)."""

    def check(self, owner: str, entries: list[str]) -> list[str]:
        """The entries to store, or InvalidArgument naming the first unusable one."""
        ...


NO_SERVERS = "no entries: no MCP servers are configured on this server (JOBS_MCP_SERVERS_FILE)"
_STATUS_FOR = {DependencyState.READY: S.ACTIVE, DependencyState.WAITING: S.PENDING,
               DependencyState.BLOCKED: S.BLOCKED}
# Stored as given once the model accepted them; None leaves the column's default.
_AS_GIVEN = frozenset({"title", "instructions", "chat_id", "max_cost_usd", "idempotency_key",
                       "misfire_grace_seconds", "max_attempts", "timeout_seconds", "model", "max_turns",
                       "system_prompt"})
# What a rescheduling update rewrites, sent or not.
_RESCHEDULED = SCHEDULE_COLUMNS | {"schedule_text"}


@dataclass(frozen=True)
class SchedulePlan:
    spec: ScheduleSpec
    job_type: JobType
    summary: str
    timezone: str
    fires_utc: list[datetime]
    fires_local: list[str]


@dataclass(frozen=True)
class CreateOutcome:
    job: Job
    created: bool
    spec: ScheduleSpec  # the checked schedule, carried so the answer need not rebuild it


@dataclass(frozen=True)
class _Checked:
    columns: dict[str, Any]
    spec: ScheduleSpec
    first_fire: datetime | None
    dependencies: dict[str, Job]


class _Answer(Generic[T]):
    """The caller's answer, built inside the write transaction (repository `before_commit`)."""

    def __init__(self, answer: Callable[[Any], T], wrap: Callable[[Job], Any] = lambda job: job) -> None:
        self._answer, self._wrap = answer, wrap
        self.value: T

    def __call__(self, job: Job) -> None:
        self.value = self._answer(self._wrap(job))


def _same(value: Any) -> Any:
    return value


class JobService:
    def __init__(
        self,
        repo: JobRepository,
        clock: Clock,
        limits: Limits | None = None,
        quotas: Quotas | None = None,
        agent_tools: ToolCatalog | None = None,
    ) -> None:
        self.repo = repo
        # Checks a job's agent_tools against the node's MCP servers (None: no servers configured).
        self.agent_tools = agent_tools
        self.clock = clock
        self.limits = limits or Limits()
        self.quotas = QuotaCheck(repo, quotas or Quotas())  # none by default; the server configures them
        self.owner_settings = OwnerSettingsStore(repo)
        # Called after every committed job write: the poller re-arms, the search index re-embeds.
        self._listeners: list[Callable[[Job], None]] = []
        self._delete_listeners: list[Callable[[Job], None]] = []
        self.retention = RetentionStore(repo)

    def add_listener(self, listener: Callable[[Job], None]) -> None:
        """`listener(job)` runs after each committed create/update/transition; it must not raise or block."""
        self._listeners.append(listener)

    def _on_change(self, job: Job) -> None:
        for listener in self._listeners:
            try:
                listener(job)
            except Exception:  # noqa: BLE001  (a listener never undoes a committed write)
                log.exception("job listener failed", extra={"job_id": job.id})

    # -- create ----------------------------------------------------------------

    def create(self, owner: str, data: JobInput, *, actor: str | None = None,
               answer: Callable[[CreateOutcome], T] = _same) -> T:
        """Store a new job; `answer(outcome)` (default: the outcome itself) is what the caller gets."""
        now = self.clock.now()
        if data.idempotency_key:  # looked up once; the insert catches a concurrent twin by the unique key
            existing = self.repo.find_by_idempotency_key(owner, data.idempotency_key)
            if existing is not None:
                return answer(CreateOutcome(existing, created=False, spec=spec_of(existing)))
        job_id = new_job_id()
        checked = self._check(owner, job_id, data, now)
        checked.columns["agent_tools"] = self._agent_tools(owner, data.agent_tools or [])
        self.quotas.before_create(owner, now)  # after validation: a bad call hears what is wrong with it
        state, reason = dependency_state(checked.dependencies)
        status = _STATUS_FOR[state]
        columns = checked.columns if status == S.ACTIVE else {**checked.columns, "next_run_at": None}
        # The JSON columns given, not defaulted: pydantic inspects a default factory's signature on
        # every call, which cost 15 % of job_create in process. model_construct, as for rows read by Core:
        # the columns are checked already, and the ORM's instance set-up (an instrumented set per field)
        # cost another 15 %; the repository inserts it with Core, so it never needs an ORM identity.
        job = Job.model_construct(id=job_id, owner=owner, status=status.value, created_at=now, updated_at=now,
                  last_error=reason, **{"state": {}, "guidance": [], "depends_on": [], **columns})
        answered = _Answer(answer, lambda stored: CreateOutcome(stored, created=True, spec=checked.spec))
        job, created = self.repo.create_job(job, actor=actor or owner, reason=reason, before_commit=answered)
        if not created:
            return answer(CreateOutcome(job, created=False, spec=spec_of(job)))
        self._on_change(job)
        return answered.value

    def _check(self, owner: str, job_id: str, data: JobInput, now: datetime) -> _Checked:
        """Everything the row needs, checked together: the schedule, dependencies, webhook and defaults."""
        schedule = check_schedule(data, data.timezone or self.default_zone(owner), now, self.limits)
        spec = schedule.spec
        depends_on, dependencies = check_dependencies(self.repo, owner, job_id, data.depends_on or [], L.DEPENDS_MAX)
        columns = {
            **self.limits.defaults(),
            **data.model_dump(include=_AS_GIVEN, exclude_none=True),
            **spec_columns(spec),
            "schedule_text": schedule.schedule_text,
            "action": data.action or JobAction.AGENT.value,
            "end_condition": check_end_condition(spec.job_type, data.end_condition),
            "depends_on": depends_on,
            "next_run_at": schedule.first_fire,
            **check_webhook(data.webhook_url, data.webhook_secret, self.limits.fetch_allow),
            "channels": check_channels("channels", data.channels or [], self.limits.fetch_allow),
            "urgent": bool(data.urgent),
        }
        return _Checked(columns=columns, spec=spec, first_fire=schedule.first_fire, dependencies=dependencies)

    def _agent_tools(self, owner: str, entries: list[str]) -> list[str]:
        if not entries:
            return []
        if self.agent_tools is None:
            raise InvalidArgument("agent_tools", NO_SERVERS, entries[0])
        return self.agent_tools.check(owner, entries)

    # -- update ----------------------------------------------------------------

    def update(self, owner: str, job_id: str, patch: JobPatch, *, actor: str | None = None,
               answer: Callable[[Job], T] = _same) -> T:
        """Change the fields the patch sets; a new schedule counts from now."""
        for _ in range(STALE_RETRIES):
            job = self.repo.get_job(owner, job_id)
            if JobStatus(job.status) in TERMINAL_STATUSES:
                raise Conflict(f"cannot update job {job_id}: its status is {job.status}"
                               + next_step(JobStatus(job.status), "update"), job_id=job_id, status=job.status)
            changes, transition = self._update_changes(owner, job, patch, actor or owner)
            answered = _Answer(answer)
            try:
                updated = self.repo.update_job(job, changes, now=self.clock.now(), transition=transition,
                                               before_commit=answered)
            except StaleVersion:
                continue
            self._on_change(updated)
            return answered.value
        raise StaleVersion(job_id)

    def _update_changes(self, owner: str, job: Job, patch: JobPatch, actor: str) -> tuple[dict[str, Any],
                                                                                         Transition | None]:
        now = self.clock.now()
        sent = patch.sent
        checked = self._check(owner, job.id, _job_as_input(job, sent), now)
        changes = {name: value for name, value in checked.columns.items() if name in sent}
        if "agent_tools" in sent:  # checked only when sent: a server dropped from the file does not block edits
            changes["agent_tools"] = self._agent_tools(owner, sent["agent_tools"])
        if patch.touches_schedule:
            changes.update({name: checked.columns[name] for name in _RESCHEDULED})
            changes["next_run_at"] = _next_after_reschedule(job, checked, now)
        if "guidance" in sent:
            changes["guidance"] = _newest_notes([*job.guidance, sent["guidance"]])
        transition = None
        if "depends_on" in sent:
            transition, extra = _dependency_transition(job, checked.dependencies, actor, checked.first_fire, now)
            changes.update(extra)
        return changes, transition

    # -- lifecycle ---------------------------------------------------------------

    def pause(self, owner: str, job_id: str, reason: str | None = None, *, actor: str | None = None,
              answer: Callable[[Job], T] = _same) -> T:
        reason = check_text("reason", reason, L.REASON_MAX)

        def plan(job: Job) -> tuple[dict[str, Any], Transition]:
            changes: dict[str, Any] = {"paused_reason": reason or "paused by the owner"}
            if job.status != S.IN_PROGRESS:
                changes["next_run_at"] = None
            return changes, Transition(S.PAUSED, actor or owner, reason, "pause")

        return self._transition(owner, job_id, plan, answer)

    def resume(self, owner: str, job_id: str, reason: str | None = None, *, actor: str | None = None,
               answer: Callable[[Job], T] = _same) -> T:
        reason = check_text("reason", reason, L.REASON_MAX)

        def plan(job: Job) -> tuple[dict[str, Any], Transition]:
            now = self.clock.now()
            if job.status not in (S.PAUSED, S.FAILED, S.BLOCKED):
                raise Conflict(f"cannot resume job {job_id}: its status is {job.status}"
                               + next_step(JobStatus(job.status), "resume"), job_id=job_id, status=job.status)
            deps = self.repo.get_jobs(owner, job.depends_on)
            state, why = dependency_state(deps)
            if state == DependencyState.BLOCKED:
                fix = "create a new job with job_create" if job.status in TERMINAL_STATUSES else (
                    "change the dependencies with job_update")
                raise Conflict(f"cannot resume job {job_id}: {why}; {fix}", job_id=job_id, status=job.status)
            changes: dict[str, Any] = {"paused_reason": None, "last_error": None}
            if job.status == S.FAILED:
                changes["attempt"] = 0
            if state == DependencyState.WAITING:
                changes["next_run_at"] = None
                return changes, Transition(S.PENDING, actor or owner, reason or "waiting for dependencies", "resume")
            fire = now if job.status == S.FAILED and job.job_type == JobType.ONE_OFF else resume_fire(job, now)
            if fire is None:
                raise Conflict(f"cannot resume job {job_id}: its schedule has no fire left (end_at or max_runs); "
                               "extend it with job_update", job_id=job_id, status=job.status)
            changes["next_run_at"] = fire
            return changes, Transition(S.ACTIVE, actor or owner, reason, "resume")

        return self._transition(owner, job_id, plan, answer)

    def cancel(self, owner: str, job_id: str, reason: str | None = None, *, actor: str | None = None,
               answer: Callable[[Job], T] = _same) -> T:
        reason = check_text("reason", reason, L.REASON_MAX)

        def plan(job: Job) -> tuple[dict[str, Any], Transition]:
            return {"next_run_at": None}, Transition(S.CANCELLED, actor or owner, reason, "cancel")

        return self._transition(owner, job_id, plan, answer)

    def complete(self, owner: str, job_id: str, reason: str, *, actor: str) -> Job:
        """ACTIVE -> COMPLETED outside a run: an ONGOING job's goal was met, observed in the chat.

        Conflict if the job is no longer ACTIVE (a run, pause or edit moved it on meanwhile).
        """
        def plan(job: Job) -> tuple[dict[str, Any], Transition]:
            if job.status != S.ACTIVE:
                raise Conflict(f"cannot complete job {job_id}: its status is {job.status}", job_id=job_id,
                               status=job.status)
            return {"next_run_at": None}, Transition(S.COMPLETED, actor, reason, "complete")

        return self._transition(owner, job_id, plan, _same)

    def run_now(self, owner: str, job_id: str, *, actor: str | None = None,
                answer: Callable[[Job], T] = _same) -> T:
        def plan(job: Job) -> tuple[dict[str, Any], Transition | None]:
            if job.status != S.ACTIVE:
                raise Conflict(f"cannot run job {job_id} now: its status is {job.status}"
                               + next_step(JobStatus(job.status), "run_now"), job_id=job_id, status=job.status)
            return {"next_run_at": self.clock.now()}, None

        return self._transition(owner, job_id, plan, answer)

    def _transition(
        self, owner: str, job_id: str, plan: Callable[[Job], tuple[dict[str, Any], Transition | None]],
        answer: Callable[[Job], T],
    ) -> T:
        for _ in range(STALE_RETRIES):
            job = self.repo.get_job(owner, job_id)
            changes, transition = plan(job)
            answered = _Answer(answer)
            try:
                updated = self.repo.update_job(job, changes, now=self.clock.now(), transition=transition,
                                               before_commit=answered)
            except StaleVersion:
                continue
            self._on_change(updated)
            return answered.value
        raise StaleVersion(job_id)

    def archive(self, owner: str, job_id: str, reason: str | None = None, *, actor: str | None = None,
                answer: Callable[[Job], T] = _same) -> T:
        """A finished job (COMPLETED, FAILED, CANCELLED) -> ARCHIVED: out of lists and searches by default."""
        reason = check_text("reason", reason, L.REASON_MAX)

        def plan(job: Job) -> tuple[dict[str, Any], Transition]:
            return ({"next_run_at": None, "archived_from": job.status},
                    Transition(S.ARCHIVED, actor or owner, reason, "archive"))

        return self._transition(owner, job_id, plan, answer)

    def delete(self, owner: str, job_id: str, *, actor: str | None = None) -> Job:
        """Delete a finished or archived job with its runs, deliveries, events and search index rows
        (privacy requests). Returns the job as it was; Conflict while it has not finished."""
        for _ in range(STALE_RETRIES):
            job = self.repo.get_job(owner, job_id)
            if JobStatus(job.status) not in TERMINAL_STATUSES:
                raise Conflict(f"cannot delete job {job_id}: its status is {job.status}"
                               + next_step(JobStatus(job.status), "delete"), job_id=job_id, status=job.status)
            if self.retention.delete_job(owner, job_id, [s.value for s in TERMINAL_STATUSES]):
                log.info("job deleted by %s", actor or owner, extra={"job_id": job_id})
                for listener in self._delete_listeners:
                    listener(job)
                return job
        raise StaleVersion(job_id)

    def add_delete_listener(self, listener: Callable[[Job], None]) -> None:
        """`listener(job)` runs after a job was deleted (the search index forgets its vector)."""
        self._delete_listeners.append(listener)

    # -- reads -------------------------------------------------------------------

    def get(self, owner: str, job_id: str) -> Job:
        return self.repo.get_job(owner, job_id)

    def list(self, owner: str, *, statuses: list[str] | None = None, job_types: list[str] | None = None,
             limit: int = 50, cursor: str | None = None, include_archived: bool = False) -> JobPage:
        return self.repo.list_jobs(owner, statuses=statuses, job_types=job_types, limit=limit, cursor=cursor,
                                   include_archived=include_archived)

    def runs(self, owner: str, job_id: str, limit: int = 20) -> list[JobRun]:
        return self.repo.list_runs(owner, job_id, limit)

    def get_with_runs(self, owner: str, job_id: str, runs: int) -> tuple[Job, list[JobRun]]:
        return self.repo.get_job_with_runs(owner, job_id, runs)

    def get_with_runs_now(self, owner: str, job_id: str, runs: int) -> tuple[Job, list[JobRun]] | None:
        """get_with_runs made at once on the calling thread, or None: see JobRepository.job_with_runs_now."""
        return self.repo.job_with_runs_now(owner, job_id, runs)

    def events(self, owner: str, job_id: str) -> list[JobEvent]:
        return self.repo.list_events(owner, job_id)

    def default_zone(self, owner: str | None) -> str:
        """The zone of `owner`'s jobs that name none: the owner's setting, else the server's."""
        return (self.owner_settings.timezone(owner) if owner is not None else None) or self.limits.default_timezone

    def preview(self, data: JobInput, now_text: str | None, count: int, owner: str | None = None) -> SchedulePlan:
        """How a schedule would fire, relative to `now_text` (ISO 8601) or the clock; nothing is stored."""
        tz_name = data.timezone or self.default_zone(owner)
        now = parse_time("now", now_text, tz_name) or self.clock.now()
        checked = check_schedule(data, tz_name, now, self.limits)
        preview = preview_schedule(checked.spec, now, count)
        return SchedulePlan(spec=checked.spec, job_type=preview.job_type, summary=preview.summary,
                            timezone=tz_name, fires_utc=preview.fires_utc, fires_local=preview.fires_local)


# Job columns that are also JobInput fields, read back so an update passes the same checks as a create.
_STORED_INPUTS = tuple(name for name in JobInput.model_fields
                       if name in Job.model_fields and name not in ("idempotency_key", "schedule_text"))
_KIND_COLUMNS = ("run_at", "cron", "interval_seconds", "interval_days")


def _job_as_input(job: Job, sent: dict[str, Any]) -> JobInput:
    """The job as a JobInput with the sent fields applied; a newly sent kind of schedule replaces the old one."""
    values = {name: _as_input(getattr(job, name)) for name in _STORED_INPUTS}
    if any(name in sent for name in JobInput.KIND_FIELDS):
        values.update(dict.fromkeys(_KIND_COLUMNS))
        if job.job_type != JobType.ONGOING:  # an ONGOING job stays ONGOING under a new interval
            values["job_type"] = None
    elif job.job_type != JobType.ONE_OFF:
        values["run_at"] = None
    values.update({name: value for name, value in sent.items() if name != "guidance"})
    return JobInput.model_validate(values)


def _as_input(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _newest_notes(notes: list[str]) -> list[str]:
    """The newest guidance notes that fit the limits of limits.py; older ones drop off."""
    kept: list[str] = []
    total = 0
    for note in reversed(notes):
        if len(kept) == L.GUIDANCE_NOTES_KEPT or total + len(note) > L.GUIDANCE_TOTAL_MAX:
            break
        kept.append(note)
        total += len(note)
    return kept[::-1]


def _next_after_reschedule(job: Job, checked: _Checked, now: datetime) -> datetime | None:
    """A rescheduled job fires next per its new schedule, counted from now."""
    if job.status not in (S.ACTIVE, S.IN_PROGRESS, S.PAUSED):
        return job.next_run_at
    if job.status == S.PAUSED:
        return None
    if checked.spec.job_type == JobType.ONE_OFF or checked.spec.anchor_at is None:
        return checked.first_fire
    return next_fire(checked.spec, now, job.run_count)


def _dependency_transition(
    job: Job, deps: dict[str, Job], actor: str, first_fire: datetime | None, now: datetime
) -> tuple[Transition | None, dict[str, Any]]:
    state, why = dependency_state(deps)
    status = JobStatus(job.status)
    if state == DependencyState.WAITING and status == S.ACTIVE:
        return Transition(S.PENDING, actor, "waiting for new dependencies", "update"), {"next_run_at": None}
    if state == DependencyState.READY and status in (S.PENDING, S.BLOCKED):
        fire = resume_fire(job, now) if job.job_type != JobType.ONE_OFF else (first_fire or now)
        return Transition(S.ACTIVE, actor, "dependencies satisfied", "update"), {"next_run_at": fire,
                                                                                 "last_error": None}
    if state == DependencyState.BLOCKED and status in (S.PENDING, S.ACTIVE):
        return Transition(S.BLOCKED, actor, why, "update"), {"next_run_at": None, "last_error": why}
    if state == DependencyState.WAITING and status == S.BLOCKED:
        return Transition(S.PENDING, actor, "waiting for dependencies", "update"), {"last_error": None}
    return None, {}


__all__ = ["JobService", "CreateOutcome", "SchedulePlan", "spec_of"]
