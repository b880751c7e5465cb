"""Turn caller input into a checked job definition, or raise InvalidArgument naming the field.

Nothing here touches the store; `service.py` calls these before any write, so
bad input changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler.jobs.job_input import JobInput
from scheduler.net_guard import AllowList, FetchRefused, check_url_blocking, parse_target
from scheduler.schedules.schedule_math import first_fire, localize, next_fire, validate_cron
from scheduler.schedules.spec import ScheduleSpec
from scheduler.schedules.timezones import zone
from store.enums import JobAction, JobType
from store.errors import InvalidArgument

TITLE_MAX = 200
INSTRUCTIONS_MAX = 20_000
END_CONDITION_MAX = 2_000
DEPENDS_MAX = 50
TIME_EXPECTED = "an ISO 8601 time such as '2026-12-24T18:00:00' (read in the job's timezone) or '2026-12-24T17:00:00Z'"


@dataclass(frozen=True)
class Limits:
    """Policy numbers from configuration."""

    min_interval_seconds: int = 60
    default_timezone: str = "UTC"
    default_misfire_grace_seconds: int = 3600
    default_max_attempts: int = 3
    default_timeout_seconds: int = 300
    fetch_allow: AllowList = AllowList()


@dataclass(frozen=True)
class CheckedSchedule:
    spec: ScheduleSpec
    first_fire: datetime | None
    schedule_text: str | None


def check_text(field: str, value: str | None, limit: int, *, required: bool) -> str | None:
    if value is None or not value.strip():
        if required:
            raise InvalidArgument(field, f"a non-empty text of at most {limit} characters", value)
        return None
    value = value.strip()
    if len(value) > limit:
        raise InvalidArgument(field, f"at most {limit} characters", f"{len(value)} characters")
    return value


def parse_time(field: str, value: str | None, tz_name: str) -> datetime | None:
    """ISO 8601 -> aware UTC; a time without an offset is read in the job's zone."""
    if value is None or value == "":
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidArgument(field, TIME_EXPECTED, value) from exc
    if parsed.tzinfo is None:
        return localize(parsed, zone(tz_name))
    return parsed.astimezone(zone("UTC"))


def check_cost(value: float | None) -> float | None:
    """max_cost_usd: a positive amount of US dollars, or None for no limit."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1_000_000:
        raise InvalidArgument("max_cost_usd", "a positive number of US dollars (at most 1000000)", value)
    return float(value)


def check_positive(field: str, value: int | None, minimum: int = 1, maximum: int | None = None) -> int | None:
    if value is None:
        return None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f" and at most {maximum}" if maximum is not None else ""
        raise InvalidArgument(field, f"an integer of at least {minimum}{bound}", value)
    return value


def infer_job_type(data: JobInput) -> JobType:
    if data.job_type:
        try:
            return JobType(data.job_type.upper())
        except ValueError as exc:
            raise InvalidArgument("job_type", "one of ONE_OFF, SCHEDULED, RECURRING, ONGOING", data.job_type) from exc
    if data.cron:
        return JobType.SCHEDULED
    if data.interval_seconds is not None or data.interval_days is not None:
        return JobType.ONGOING if data.end_condition else JobType.RECURRING
    return JobType.ONE_OFF


def check_action(value: str | None) -> JobAction:
    try:
        return JobAction((value or "agent").lower())
    except ValueError as exc:
        raise InvalidArgument("action", "'agent' or 'notify'", value) from exc


WEBHOOK_SECRET_MIN = 16


def check_webhook(url: str | None, secret: str | None, allow: AllowList) -> tuple[str | None, str | None]:
    """A webhook needs an http(s) URL that the fetch guard permits, and a secret to sign with."""
    secret = check_text("webhook_secret", secret, 500, required=False)
    if not url:
        return None, secret
    if not url.lower().startswith(("http://", "https://")):
        raise InvalidArgument("webhook_url", "an http:// or https:// URL", url)
    try:
        parse_target(url)
    except FetchRefused as exc:
        raise InvalidArgument("webhook_url", "an http:// or https:// URL", url, reason=str(exc)) from exc
    if secret is None or len(secret) < WEBHOOK_SECRET_MIN:
        raise InvalidArgument("webhook_secret", f"a secret of at least {WEBHOOK_SECRET_MIN} characters to sign "
                                                "the webhook calls with (never returned by any tool)", None)
    try:
        check_url_blocking(url, allow)
    except FetchRefused as exc:
        raise InvalidArgument("webhook_url", "a URL whose host resolves to public addresses (private, loopback "
                                             "and metadata addresses need JOBS_MCP_FETCH_ALLOW)", url,
                              reason=str(exc)) from exc
    return url, secret


def check_schedule(data: JobInput, tz_name: str, now: datetime, limits: Limits) -> CheckedSchedule:
    """Validate every schedule field together and compute the first fire."""
    zone(tz_name)
    if data.schedule and (data.run_at or data.cron or data.interval_seconds or data.interval_days):
        raise InvalidArgument(
            "schedule", "either plain words in 'schedule' or explicit run_at/cron/interval fields, not both",
            data.schedule,
        )
    start_at = parse_time("start_at", data.start_at, tz_name)
    end_at = parse_time("end_at", data.end_at, tz_name)
    max_runs = check_positive("max_runs", data.max_runs)
    words = bool(data.schedule)
    spec = _spec_from_words(data, tz_name, now) if words else _spec_from_fields(data, tz_name, now, limits)
    if words and spec.interval_seconds is not None and spec.interval_seconds < limits.min_interval_seconds:
        raise InvalidArgument("schedule", f"an interval of at least {limits.min_interval_seconds} seconds",
                              data.schedule)
    spec = ScheduleSpec(
        job_type=spec.job_type, timezone=tz_name, run_at=spec.run_at, cron=spec.cron,
        interval_seconds=spec.interval_seconds, interval_days=spec.interval_days,
        anchor_at=spec.anchor_at, wall_time=spec.wall_time, start_at=start_at, end_at=end_at, max_runs=max_runs,
    )
    if spec.anchor_at is not None and start_at is not None and spec.anchor_at < start_at:
        # Plain words anchor at "now + interval"; a later start_at moves the grid's
        # first point to the first one at or after start_at (same spacing, same wall time).
        spec = spec.with_anchor(next_fire(spec, start_at - timedelta(microseconds=1)) or start_at)
    _check_window(spec, now)
    first = first_fire(spec, now)
    if spec.job_type == JobType.ONE_OFF:
        grace = data.misfire_grace_seconds if data.misfire_grace_seconds is not None else (
            limits.default_misfire_grace_seconds)
        fire = spec.run_at or now
        if fire < now - timedelta(seconds=grace):
            raise InvalidArgument(
                "run_at", f"a time in the future (or at most {grace} seconds ago)", data.run_at or data.schedule,
            )
    elif spec.anchor_at is None and first is not None:
        spec = spec.with_anchor(first)
    if first is None and spec.job_type != JobType.ONE_OFF:
        raise InvalidArgument("end_at", "a schedule that fires at least once before end_at", data.end_at)
    return CheckedSchedule(spec=spec, first_fire=first, schedule_text=data.schedule or data.schedule_text)


def _spec_from_words(data: JobInput, tz_name: str, now: datetime) -> ScheduleSpec:
    from scheduler.schedules.phrases import parse_schedule  # the grammar is large; load it only when used

    spec = parse_schedule(data.schedule or "", tz_name, now)
    wanted = infer_job_type(data) if data.job_type else None
    if wanted == JobType.ONGOING and spec.job_type in (JobType.RECURRING, JobType.ONGOING):
        spec = ScheduleSpec(**{**spec.__dict__, "job_type": JobType.ONGOING})
    elif wanted is not None and wanted != spec.job_type:
        raise InvalidArgument(
            "job_type", f"{spec.job_type.value} for the schedule {data.schedule!r} (or leave job_type out)",
            data.job_type,
        )
    return spec


def _spec_from_fields(data: JobInput, tz_name: str, now: datetime, limits: Limits) -> ScheduleSpec:
    job_type = infer_job_type(data)
    if job_type == JobType.ONE_OFF:
        _refuse("ONE_OFF", cron=data.cron, interval_seconds=data.interval_seconds, interval_days=data.interval_days)
        return ScheduleSpec(job_type=job_type, run_at=parse_time("run_at", data.run_at, tz_name) or now)
    if job_type == JobType.SCHEDULED:
        _refuse("SCHEDULED", run_at=data.run_at, interval_seconds=data.interval_seconds,
                interval_days=data.interval_days)
        if not data.cron:
            raise InvalidArgument("cron", "a 5-field cron line for a SCHEDULED job, such as '0 9 * * 1'", None)
        return ScheduleSpec(job_type=job_type, cron=validate_cron(data.cron))
    _refuse(job_type.value, run_at=data.run_at, cron=data.cron)
    if (data.interval_seconds is None) == (data.interval_days is None):
        raise InvalidArgument(
            "interval_seconds", f"exactly one of interval_seconds or interval_days for a {job_type.value} job",
            None,
        )
    check_positive("interval_seconds", data.interval_seconds, limits.min_interval_seconds)
    check_positive("interval_days", data.interval_days, 1, 3660)
    return ScheduleSpec(job_type=job_type, interval_seconds=data.interval_seconds, interval_days=data.interval_days)


def _refuse(job_type: str, **fields: object) -> None:
    for name, value in fields.items():
        if value not in (None, ""):
            raise InvalidArgument(name, f"no {name} for a {job_type} job", value)


def _check_window(spec: ScheduleSpec, now: datetime) -> None:
    if spec.end_at is not None:
        if spec.end_at <= now:
            raise InvalidArgument("end_at", "a time in the future", spec.end_at.isoformat())
        if spec.start_at is not None and spec.end_at <= spec.start_at:
            raise InvalidArgument("end_at", "a time after start_at", spec.end_at.isoformat())


def check_end_condition(job_type: JobType, value: str | None) -> str | None:
    text = check_text("end_condition", value, END_CONDITION_MAX, required=job_type == JobType.ONGOING)
    if text is not None and job_type != JobType.ONGOING:
        raise InvalidArgument("end_condition", "no end_condition unless job_type is ONGOING", value)
    return text
