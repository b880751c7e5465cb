"""Turn a job's fields into a checked schedule and stored columns, or raise InvalidArgument naming the field.

Single values were checked by the model (scheduler/jobs/job_input.py); what is here needs several
fields together, the clock or the configuration. Nothing here writes; `service.py` calls these
before any write, so bad input changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler.jobs.job_input import JobInput
from scheduler.net_guard import AllowList, FetchRefused, check_url_blocking, parse_target
from scheduler.schedules.schedule_math import first_fire, localize, next_fire, validate_cron
from scheduler.schedules.spec import ScheduleSpec
from scheduler.schedules.timezones import zone
from store import limits as L
from store.enums import JobType
from store.errors import InvalidArgument

TIME_EXPECTED = "an ISO 8601 time such as '2026-12-24T18:00:00' (read in the job's timezone) or '2026-12-24T17:00:00Z'"
WINDOW_EXPECTED = f"a time from {L.EARLIEST:%Y-%m-%d} to {L.LATEST:%Y-%m-%d} (UTC)"


@dataclass(frozen=True)
class Limits:
    """Policy numbers from configuration."""

    min_interval_seconds: int = 60
    default_timezone: str = "UTC"
    default_misfire_grace_seconds: int = 3600
    default_max_attempts: int = 3
    default_timeout_seconds: int = 300
    fetch_allow: AllowList = AllowList()

    def defaults(self) -> dict[str, Any]:
        """The run policy of a job whose caller named none."""
        return {"misfire_grace_seconds": self.default_misfire_grace_seconds,
                "max_attempts": self.default_max_attempts, "timeout_seconds": self.default_timeout_seconds}


@dataclass(frozen=True)
class CheckedSchedule:
    spec: ScheduleSpec  # built once here and carried to the stored row and the answer
    first_fire: datetime | None
    schedule_text: str | None


def parse_time(field: str, value: str | None, tz_name: str) -> datetime | None:
    """ISO 8601 -> aware UTC within the window of limits.py; a time without an offset is read in the job's zone."""
    if value is None or value == "":
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidArgument(field, TIME_EXPECTED, value) from exc
    # Refused before any zone arithmetic, which overflows at the ends of the calendar.
    if not L.EARLIEST.year - 1 <= parsed.year <= L.LATEST.year:
        raise InvalidArgument(field, WINDOW_EXPECTED, value)
    instant = localize(parsed, zone(tz_name)) if parsed.tzinfo is None else parsed.astimezone(UTC)
    check_window(field, instant, value)
    return instant


def check_window(field: str, instant: datetime | None, shown: object) -> None:
    if instant is not None and not L.EARLIEST <= instant <= L.LATEST:
        raise InvalidArgument(field, WINDOW_EXPECTED, shown)


def infer_job_type(data: JobInput) -> JobType:
    if data.job_type:
        return JobType(data.job_type)
    # A repeating schedule with an end condition is a goal watched until met.
    if data.cron:
        return JobType.ONGOING if data.end_condition else JobType.SCHEDULED
    if data.interval_seconds is not None or data.interval_days is not None:
        return JobType.ONGOING if data.end_condition else JobType.RECURRING
    return JobType.ONE_OFF


def check_webhook(url: str | None, secret: str | None, allow: AllowList) -> dict[str, str | None]:
    """A webhook needs an http(s) URL that the fetch guard permits, and a secret to sign with."""
    if not url:
        return {"webhook_url": None, "webhook_secret": secret}
    if not url.lower().startswith(("http://", "https://")):
        raise InvalidArgument("webhook_url", "an http:// or https:// URL", url)
    try:
        parse_target(url)
    except FetchRefused as exc:
        raise InvalidArgument("webhook_url", "an http:// or https:// URL", url, reason=str(exc)) from exc
    if secret is None or len(secret) < L.WEBHOOK_SECRET_MIN:
        raise InvalidArgument("webhook_secret", f"a secret of at least {L.WEBHOOK_SECRET_MIN} characters to sign "
                                                "the webhook calls with (never returned by any tool)", None)
    try:
        check_url_blocking(url, allow)
    except FetchRefused as exc:
        raise InvalidArgument("webhook_url", "a URL whose host resolves to public addresses (private, loopback "
                                             "and metadata addresses need JOBS_MCP_FETCH_ALLOW)", url,
                              reason=str(exc)) from exc
    return {"webhook_url": url, "webhook_secret": secret}


def check_schedule(data: JobInput, tz_name: str, now: datetime, limits: Limits) -> CheckedSchedule:
    """Validate every schedule field together, build the spec once and compute the first fire."""
    if data.schedule and any(getattr(data, name) for name in JobInput.KIND_FIELDS if name != "schedule"):
        raise InvalidArgument(
            "schedule", "either plain words in 'schedule' or explicit run_at/cron/interval fields, not both",
            data.schedule,
        )
    window = {"timezone": tz_name, "start_at": parse_time("start_at", data.start_at, tz_name),
              "end_at": parse_time("end_at", data.end_at, tz_name), "max_runs": data.max_runs}
    spec = _spec_from_words(data, now, window) if data.schedule else _spec_from_fields(data, now, window)
    _check_spec(spec, data, limits)
    if spec.anchor_at is not None and spec.start_at is not None and spec.anchor_at < spec.start_at:
        # Plain words anchor at "now + interval"; a later start_at moves the grid's
        # first point to the first one at or after start_at (same spacing, same wall time).
        spec = spec.with_anchor(next_fire(spec, spec.start_at - timedelta(microseconds=1)) or spec.start_at)
    _check_end(spec, now)
    first = first_fire(spec, now)
    if spec.job_type == JobType.ONE_OFF:
        grace = data.misfire_grace_seconds if data.misfire_grace_seconds is not None else (
            limits.default_misfire_grace_seconds)
        if (spec.run_at or now) < now - timedelta(seconds=grace):
            raise InvalidArgument(
                "run_at", f"a time in the future (or at most {grace} seconds ago)", data.run_at or data.schedule,
            )
    elif spec.anchor_at is None and first is not None:
        spec = spec.with_anchor(first)
    if first is None and spec.job_type != JobType.ONE_OFF:
        raise InvalidArgument("end_at", "a schedule that fires at least once before end_at", data.end_at)
    return CheckedSchedule(spec=spec, first_fire=first, schedule_text=data.schedule or data.schedule_text)


def _spec_from_words(data: JobInput, now: datetime, window: dict[str, Any]) -> ScheduleSpec:
    from scheduler.schedules.phrases import parse_schedule  # the grammar is large; load it only when used

    try:
        spec = parse_schedule(data.schedule or "", window["timezone"], now)
    except OverflowError as exc:  # a moment beyond the calendar ("in 10000 years")
        raise InvalidArgument("schedule", WINDOW_EXPECTED, data.schedule) from exc
    job_type = spec.job_type
    wanted = JobType(data.job_type) if data.job_type else (JobType.ONGOING if data.end_condition else None)
    if wanted == JobType.ONGOING:
        # ONGOING repeats on any rule (calendar or interval) until its end condition is met.
        if spec.job_type == JobType.ONE_OFF:
            raise InvalidArgument("schedule", "a repeating schedule for an ONGOING job (it runs until its "
                                              "end_condition is met)", data.schedule)
        job_type = JobType.ONGOING
    elif wanted is not None and wanted != spec.job_type:
        raise InvalidArgument(
            "job_type", f"{spec.job_type.value} for the schedule {data.schedule!r} (or leave job_type out)",
            data.job_type,
        )
    return replace(spec, job_type=job_type, **window)


def _spec_from_fields(data: JobInput, now: datetime, window: dict[str, Any]) -> ScheduleSpec:
    job_type = infer_job_type(data)
    if job_type == JobType.ONE_OFF:
        _refuse("ONE_OFF", cron=data.cron, interval_seconds=data.interval_seconds, interval_days=data.interval_days)
        run_at = parse_time("run_at", data.run_at, window["timezone"]) or now
        return ScheduleSpec(job_type=job_type, run_at=run_at, **window)
    if job_type == JobType.SCHEDULED or (job_type == JobType.ONGOING and data.cron):
        _refuse(job_type.value, run_at=data.run_at, interval_seconds=data.interval_seconds,
                interval_days=data.interval_days)
        if not data.cron:
            raise InvalidArgument("cron", "a 5-field cron line for a SCHEDULED job, such as '0 9 * * 1'", None)
        return ScheduleSpec(job_type=job_type, cron=validate_cron(data.cron), **window)
    _refuse(job_type.value, run_at=data.run_at, cron=data.cron)
    if (data.interval_seconds is None) == (data.interval_days is None):
        kinds = "cron, schedule words, or " if job_type == JobType.ONGOING else ""
        raise InvalidArgument(
            "interval_seconds", f"{kinds}exactly one of interval_seconds or interval_days for a {job_type.value} job",
            None,
        )
    return ScheduleSpec(job_type=job_type, interval_seconds=data.interval_seconds,
                        interval_days=data.interval_days, **window)


def _check_spec(spec: ScheduleSpec, data: JobInput, limits: Limits) -> None:
    """The bounds of limits.py, whichever way the schedule was given (words give no field of their own)."""
    words = bool(data.schedule)
    seconds = spec.interval_seconds
    if seconds is not None and not limits.min_interval_seconds <= seconds <= L.INTERVAL_SECONDS.high:
        bound = f"at least {limits.min_interval_seconds}" if seconds < limits.min_interval_seconds else (
            f"at most {L.INTERVAL_SECONDS.high}")
        raise InvalidArgument("schedule" if words else "interval_seconds", f"an interval of {bound} seconds",
                              data.schedule if words else seconds)
    if words and spec.interval_days is not None and spec.interval_days > L.INTERVAL_DAYS.high:
        raise InvalidArgument("schedule", f"an interval of at most {L.INTERVAL_DAYS.high} days", data.schedule)
    for name in ("run_at", "anchor_at"):
        check_window("schedule" if words else name, getattr(spec, name), data.schedule if words else data.run_at)


def _refuse(job_type: str, **fields: object) -> None:
    for name, value in fields.items():
        if value not in (None, ""):
            raise InvalidArgument(name, f"no {name} for a {job_type} job", value)


def _check_end(spec: ScheduleSpec, now: datetime) -> None:
    if spec.end_at is not None:
        if spec.end_at <= now:
            raise InvalidArgument("end_at", "a time in the future", spec.end_at.isoformat())
        if spec.start_at is not None and spec.end_at <= spec.start_at:
            raise InvalidArgument("end_at", "a time after start_at", spec.end_at.isoformat())


def check_end_condition(job_type: JobType, value: str | None) -> str | None:
    if job_type == JobType.ONGOING and value is None:
        raise InvalidArgument("end_condition", f"a non-empty text of at most {L.END_CONDITION_MAX} characters "
                                               "(an ONGOING job needs one)", value)
    if value is not None and job_type != JobType.ONGOING:
        raise InvalidArgument("end_condition", "no end_condition unless job_type is ONGOING", value)
    return value
