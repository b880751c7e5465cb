"""Job operations behind the tools: validate, apply the lifecycle, write once.

Each public method is one use case. Input is checked completely before the
first write, so a refused request changes nothing. Status changes go through
`store.lifecycle` (via the repository) and are recorded as events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scheduler.clock import Clock
from scheduler.jobs.dependencies import DependencyState, check_dependencies, dependency_state
from scheduler.jobs.job_input import INPUT_FIELDS, JobInput, JobPatch
from scheduler.jobs.validation import (
    DEPENDS_MAX,
    INSTRUCTIONS_MAX,
    TITLE_MAX,
    CheckedSchedule,
    Limits,
    check_action,
    check_cost,
    check_end_condition,
    check_positive,
    check_schedule,
    check_text,
    check_webhook,
    parse_time,
)
from scheduler.schedules.job_schedule import resume_fire, spec_of
from scheduler.schedules.preview import preview_schedule
from scheduler.schedules.spec import ScheduleSpec
from scheduler.schedules.timezones import zone
from store.enums import TERMINAL_STATUSES, JobStatus, JobType
from store.errors import Conflict, InvalidArgument, StaleVersion
from store.ids import new_job_id
from store.models import Job, JobEvent, JobRun
from store.repository import JobPage, JobRepository, Transition

log = logging.getLogger(__name__)
STALE_RETRIES = 5
S = JobStatus


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


class JobService:
    def __init__(
        self,
        repo: JobRepository,
        clock: Clock,
        limits: Limits | None = None,
    ) -> None:
        self.repo = repo
        self.clock = clock
        self.limits = limits or Limits()
        # Called after every committed job write: the poller re-arms, the search index re-embeds.
        self._listeners: list[Callable[[Job], None]] = []

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

    def create(self, owner: str, data: JobInput, *, actor: str | None = None) -> CreateOutcome:
        now = self.clock.now()
        if data.idempotency_key:
            check_text("idempotency_key", data.idempotency_key, 200, required=True)
            existing = self.repo.find_by_idempotency_key(owner, data.idempotency_key)
            if existing is not None:
                return CreateOutcome(existing, created=False)
        job_id = new_job_id()
        fields = self._checked_fields(owner, job_id, data, now)
        deps: dict[str, Job] = fields.pop("_dependencies")
        state, reason = dependency_state(deps)
        status = {DependencyState.READY: S.ACTIVE, DependencyState.WAITING: S.PENDING,
                  DependencyState.BLOCKED: S.BLOCKED}[state]
        if status != S.ACTIVE:
            fields["next_run_at"] = None
        job = Job(id=job_id, owner=owner, status=status.value, created_at=now, updated_at=now,
                  last_error=reason, **fields)
        job, created = self.repo.create_job(job, actor=actor or owner, reason=reason)
        if created:
            self._on_change(job)
        return CreateOutcome(job, created)

    def _checked_fields(self, owner: str, job_id: str, data: JobInput, now: datetime) -> dict[str, Any]:
        title = check_text("title", data.title, TITLE_MAX, required=True)
        instructions = check_text("instructions", data.instructions, INSTRUCTIONS_MAX, required=True)
        tz_name = data.timezone or self.limits.default_timezone
        zone(tz_name)
        action = check_action(data.action)
        checked: CheckedSchedule = check_schedule(data, tz_name, now, self.limits)
        spec = checked.spec
        end_condition = check_end_condition(spec.job_type, data.end_condition)
        depends_on, deps = check_dependencies(self.repo, owner, job_id, data.depends_on or [], DEPENDS_MAX)
        return {
            "title": title,
            "instructions": instructions,
            "job_type": spec.job_type.value,
            "action": action.value,
            "schedule_text": checked.schedule_text,
            "run_at": spec.run_at,
            "cron": spec.cron,
            "interval_seconds": spec.interval_seconds,
            "interval_days": spec.interval_days,
            "anchor_at": spec.anchor_at,
            "wall_time": spec.wall_time.isoformat() if spec.wall_time else None,
            "timezone": tz_name,
            "start_at": spec.start_at,
            "end_at": spec.end_at,
            "max_runs": spec.max_runs,
            "end_condition": end_condition,
            "misfire_grace_seconds": check_positive("misfire_grace_seconds", data.misfire_grace_seconds, 0, 604_800)
            if data.misfire_grace_seconds is not None else self.limits.default_misfire_grace_seconds,
            "depends_on": depends_on,
            "next_run_at": checked.first_fire,
            "max_attempts": check_positive("max_attempts", data.max_attempts, 1, 20)
            or self.limits.default_max_attempts,
            "timeout_seconds": check_positive("timeout_seconds", data.timeout_seconds, 1, 86_400)
            or self.limits.default_timeout_seconds,
            "max_cost_usd": check_cost(data.max_cost_usd),
            "chat_id": check_text("chat_id", data.chat_id, 200, required=False),
            **dict(zip(("webhook_url", "webhook_secret"),
                       check_webhook(data.webhook_url, data.webhook_secret, self.limits.fetch_allow), strict=True)),
            "idempotency_key": data.idempotency_key,
            "_dependencies": deps,
        }

    # -- update ----------------------------------------------------------------

    def update(self, owner: str, job_id: str, patch: JobPatch, *, actor: str | None = None) -> Job:
        unknown = set(patch.values) - INPUT_FIELDS - {"guidance"}
        if unknown or "idempotency_key" in patch.values:
            name = "idempotency_key" if "idempotency_key" in patch.values else sorted(unknown)[0]
            raise InvalidArgument(name, "a field job_update can change (the idempotency key cannot change)", name)
        for _ in range(STALE_RETRIES):
            job = self.repo.get_job(owner, job_id)
            if JobStatus(job.status) in TERMINAL_STATUSES:
                raise Conflict(f"cannot update job {job_id}: its status is {job.status}", job_id=job_id,
                               status=job.status)
            changes, transition = self._update_changes(owner, job, patch, actor or owner)
            try:
                updated = self.repo.update_job(job, changes, now=self.clock.now(), transition=transition)
            except StaleVersion:
                continue
            self._on_change(updated)
            return updated
        raise StaleVersion(job_id)

    def _update_changes(self, owner: str, job: Job, patch: JobPatch, actor: str) -> tuple[dict[str, Any],
                                                                                         Transition | None]:
        now = self.clock.now()
        merged = _merge_input(job, patch)
        fields = self._checked_fields(owner, job.id, merged, now)
        deps: dict[str, Job] = fields.pop("_dependencies")
        changes = {k: v for k, v in fields.items() if k in patch.values or k in _DERIVED_SCHEDULE}
        if not patch.touches_schedule:
            for key in _DERIVED_SCHEDULE:
                changes.pop(key, None)
        else:
            changes["next_run_at"] = _next_after_reschedule(job, fields, now)
        guidance = patch.values.get("guidance")
        if guidance is not None:
            note = check_text("guidance", guidance, 2_000, required=True)
            changes["guidance"] = [*job.guidance, note]
        transition = None
        if "depends_on" in patch.values:
            transition, extra = _dependency_transition(job, deps, actor, fields.get("next_run_at"), now)
            changes.update(extra)
        return changes, transition

    # -- lifecycle ---------------------------------------------------------------

    def pause(self, owner: str, job_id: str, reason: str | None = None, *, actor: str | None = None) -> Job:
        reason = check_text("reason", reason, 2_000, required=False)

        def plan(job: Job) -> tuple[dict[str, Any], Transition]:
            changes: dict[str, Any] = {"paused_reason": reason or "paused by the owner"}
            if job.status != S.IN_PROGRESS:
                changes["next_run_at"] = None
            return changes, Transition(S.PAUSED, actor or owner, reason, "pause")

        return self._transition(owner, job_id, plan)

    def resume(self, owner: str, job_id: str, reason: str | None = None, *, actor: str | None = None) -> Job:
        reason = check_text("reason", reason, 2_000, required=False)

        def plan(job: Job) -> tuple[dict[str, Any], Transition]:
            now = self.clock.now()
            if job.status not in (S.PAUSED, S.FAILED, S.BLOCKED):
                raise Conflict(f"cannot resume job {job_id}: its status is {job.status}"
                               + ("" if job.status not in (S.ACTIVE, S.PENDING) else "; it is not paused"),
                               job_id=job_id, status=job.status)
            deps = self.repo.get_jobs(owner, job.depends_on)
            state, why = dependency_state(deps)
            if state == DependencyState.BLOCKED:
                raise Conflict(f"cannot resume job {job_id}: {why}; fix or remove it with job_update",
                               job_id=job_id, status=job.status)
            changes: dict[str, Any] = {"paused_reason": None, "last_error": None}
            if job.status == S.FAILED:
                changes["attempt"] = 0
            if state == DependencyState.WAITING:
                changes["next_run_at"] = None
                return changes, Transition(S.PENDING, actor or owner, reason or "waiting for dependencies", "resume")
            fire = now if job.status == S.FAILED and job.job_type == JobType.ONE_OFF else resume_fire(job, now)
            if fire is None:
                raise Conflict(f"cannot resume job {job_id}: its schedule has no fire left (end_at or max_runs)",
                               job_id=job_id, status=job.status)
            changes["next_run_at"] = fire
            return changes, Transition(S.ACTIVE, actor or owner, reason, "resume")

        return self._transition(owner, job_id, plan)

    def cancel(self, owner: str, job_id: str, reason: str | None = None, *, actor: str | None = None) -> Job:
        reason = check_text("reason", reason, 2_000, required=False)

        def plan(job: Job) -> tuple[dict[str, Any], Transition]:
            return {"next_run_at": None}, Transition(S.CANCELLED, actor or owner, reason, "cancel")

        return self._transition(owner, job_id, plan)

    def complete(self, owner: str, job_id: str, reason: str, *, actor: str) -> Job:
        """ACTIVE -> COMPLETED outside a run: an ONGOING job's goal was met, observed in the chat.

        Conflict if the job is no longer ACTIVE (a run, pause or edit moved it on meanwhile).
        """
        def plan(job: Job) -> tuple[dict[str, Any], Transition]:
            if job.status != S.ACTIVE:
                raise Conflict(f"cannot complete job {job_id}: its status is {job.status}", job_id=job_id,
                               status=job.status)
            return {"next_run_at": None}, Transition(S.COMPLETED, actor, reason, "complete")

        return self._transition(owner, job_id, plan)

    def run_now(self, owner: str, job_id: str, *, actor: str | None = None) -> Job:
        def plan(job: Job) -> tuple[dict[str, Any], Transition | None]:
            if job.status != S.ACTIVE:
                hint = {S.IN_PROGRESS: "it is running now", S.PENDING: "it waits for its dependencies",
                        S.PAUSED: "resume it first", S.FAILED: "use job_resume to retry it"}.get(
                    JobStatus(job.status), "")
                raise Conflict(f"cannot run job {job_id} now: its status is {job.status}"
                               + (f"; {hint}" if hint else ""), job_id=job_id, status=job.status)
            return {"next_run_at": self.clock.now()}, None

        return self._transition(owner, job_id, plan)

    def _transition(
        self, owner: str, job_id: str, plan: Callable[[Job], tuple[dict[str, Any], Transition | None]]
    ) -> Job:
        for _ in range(STALE_RETRIES):
            job = self.repo.get_job(owner, job_id)
            changes, transition = plan(job)
            try:
                updated = self.repo.update_job(job, changes, now=self.clock.now(), transition=transition)
            except StaleVersion:
                continue
            self._on_change(updated)
            return updated
        raise StaleVersion(job_id)

    # -- reads -------------------------------------------------------------------

    def get(self, owner: str, job_id: str) -> Job:
        return self.repo.get_job(owner, job_id)

    def list(self, owner: str, *, statuses: list[str] | None = None, job_types: list[str] | None = None,
             limit: int = 50, cursor: str | None = None) -> JobPage:
        return self.repo.list_jobs(owner, statuses=statuses, job_types=job_types, limit=limit, cursor=cursor)

    def runs(self, owner: str, job_id: str, limit: int = 20) -> list[JobRun]:
        return self.repo.list_runs(owner, job_id, limit)

    def get_with_runs(self, owner: str, job_id: str, runs: int) -> tuple[Job, list[JobRun]]:
        return self.repo.get_job_with_runs(owner, job_id, runs)

    def events(self, owner: str, job_id: str) -> list[JobEvent]:
        return self.repo.list_events(owner, job_id)

    def preview(self, data: JobInput, now_text: str | None, count: int) -> SchedulePlan:
        """How a schedule would fire, relative to `now_text` (ISO 8601) or the clock; nothing is stored."""
        tz_name = data.timezone or self.limits.default_timezone
        zone(tz_name)
        now = parse_time("now", now_text, tz_name) or self.clock.now()
        checked = check_schedule(data, tz_name, now, self.limits)
        preview = preview_schedule(checked.spec, now, count)
        return SchedulePlan(spec=checked.spec, job_type=preview.job_type, summary=preview.summary,
                            timezone=tz_name, fires_utc=preview.fires_utc, fires_local=preview.fires_local)


_DERIVED_SCHEDULE = frozenset(
    {"job_type", "run_at", "cron", "interval_seconds", "interval_days", "anchor_at", "wall_time", "timezone",
     "start_at", "end_at", "max_runs", "schedule_text", "next_run_at"}
)
_KIND_FIELDS = ("schedule", "run_at", "cron", "interval_seconds", "interval_days")


def _merge_input(job: Job, patch: JobPatch) -> JobInput:
    """The job as a JobInput with the patch applied, so updates pass the same checks as creates."""
    values = patch.values
    keep_kind = not any(k in values for k in _KIND_FIELDS)
    iso = _iso
    base: dict[str, Any] = {
        "title": job.title, "instructions": job.instructions,
        "job_type": job.job_type if keep_kind or "job_type" in values else None,
        "schedule": None,
        "run_at": iso(job.run_at) if keep_kind and job.job_type == JobType.ONE_OFF else None,
        "cron": job.cron if keep_kind else None,
        "interval_seconds": job.interval_seconds if keep_kind else None,
        "interval_days": job.interval_days if keep_kind else None,
        "timezone": job.timezone, "start_at": iso(job.start_at), "end_at": iso(job.end_at),
        "max_runs": job.max_runs, "end_condition": job.end_condition, "action": job.action,
        "depends_on": job.depends_on, "chat_id": job.chat_id, "webhook_url": job.webhook_url,
        "webhook_secret": job.webhook_secret, "idempotency_key": None, "max_attempts": job.max_attempts,
        "timeout_seconds": job.timeout_seconds, "misfire_grace_seconds": job.misfire_grace_seconds,
        "max_cost_usd": job.max_cost_usd,
    }
    if not keep_kind and "job_type" not in values and job.job_type == JobType.ONGOING:
        base["job_type"] = JobType.ONGOING.value
    if keep_kind and job.job_type == JobType.ONE_OFF and job.run_at is not None and job.run_at < job.created_at:
        base["run_at"] = iso(job.run_at)
    base.update({k: v for k, v in values.items() if k != "guidance"})
    return JobInput(**base)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _next_after_reschedule(job: Job, fields: dict[str, Any], now: datetime) -> datetime | None:
    """A rescheduled job fires next per its new schedule, counted from now."""
    if job.status not in (S.ACTIVE, S.IN_PROGRESS, S.PAUSED):
        return job.next_run_at
    if job.status == S.PAUSED:
        return None
    if fields["job_type"] == JobType.ONE_OFF:
        return fields["next_run_at"]
    probe = Job(**{**job.model_dump(), **{k: fields[k] for k in _DERIVED_SCHEDULE if k in fields}})
    return resume_fire(probe, now) if fields.get("anchor_at") else fields["next_run_at"]


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


__all__ = ["JobService", "CreateOutcome", "spec_of"]
