"""Pure schedule arithmetic: when does a job fire, and how do we say it in words.

No I/O and no clock: every function is handed the instant it reasons about, so
the poller, the preview tool and the tests all get identical answers. Every
instant in and out is aware UTC; wall-clock meaning comes from the spec's IANA
zone, with the DST rules of docs/design.md §2 and docs/schedule-conventions.md:

- a wall time inside a spring-forward gap fires at the first instant after the gap;
- an ambiguous fall-back wall time fires once, at its first (summer-time) occurrence.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, CroniterError, croniter

from scheduler.schedules.cron_words import WEEKDAY_NAMES, describe_cron
from scheduler.schedules.spec import ScheduleSpec
from scheduler.schedules.timezones import zone
from store.enums import JobType
from store.errors import InvalidArgument

__all__ = ["CRON_SEPARATOR", "describe", "first_fire", "localize", "next_fire", "upcoming_fires", "validate_cron"]

_CRON_EXPECTED = (
    "a 5-field cron line such as '0 9 * * 1' (minute hour day-of-month month day-of-week), or several "
    "separated by ';' such as '45 7 * * 1; 30 18 * * 1'"
)
# Times whose minutes differ ('7:45 and 18:30') need one line each; the column holds 120 characters.
CRON_SEPARATOR = "; "
CRON_MAX_CHARS = 120
_CRON_NEVER_FIRES = "a cron line that matches a real date (this one never fires: no match within 8 years)"
_INTERVAL_EXPECTED = "exactly one of interval_seconds or interval_days, a positive whole number"

# Skipped candidates are rare (a repeated fall-back hour holds at most 60 minute matches),
# so this bound only stops a pathological expression from spinning forever.
_MAX_CANDIDATES = 5000
# Any satisfiable 5-field line matches within 8 years of any date: that span holds
# every month/day combination, 29 February included. A fixed reference keeps this pure.
_NEVER_FIRES_REFERENCE = datetime(2000, 1, 1)
_NEVER_FIRES_YEARS = 8
_ONE_MICROSECOND = timedelta(microseconds=1)

_CRON_ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
# croniter's H (hashed) and R (random) tokens would make fires differ between calls
# and nodes; names such as 'thu' or 'mar' merely contain those letters.
_HASHED_OR_RANDOM = re.compile(r"(?<![a-z])[hr](?![a-z])")
# Names normalize to lower case, but the L (last) and W (weekday) markers read better upper case.
_LAST_OR_WEEKDAY_MARKER = re.compile(r"(?<![a-z])[lw]+(?![a-z])")



class _Interval(NamedTuple):
    kind: Literal["seconds", "days"]
    size: int


# --------------------------------------------------------------------------- public API


def localize(wall: datetime, tz: ZoneInfo) -> datetime:
    """Naive local wall-clock time -> aware UTC instant, applying our DST rules.

    A wall time inside a spring-forward gap maps to the first valid instant after
    the gap (02:30 on the New York spring-forward day -> 03:00 EDT = 07:00 UTC);
    an ambiguous fall-back time maps to its first occurrence (fold=0).
    """
    if wall.tzinfo is not None:
        raise ValueError("localize expects a naive wall-clock time")
    instant = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    # Only a time inside a gap fails to come back as the same wall time.
    if instant.astimezone(tz).replace(tzinfo=None) == wall:
        return instant
    return _gap_end(wall, tz)


def first_fire(spec: ScheduleSpec, now: datetime) -> datetime | None:
    """The first fire of a newly created job (aware UTC), or None if it can never fire.

    ONE_OFF: run_at (or now), even if slightly past: the caller applies the misfire grace.
    SCHEDULED (and ONGOING on a cron line): the first cron fire >= start_at and > now.
    RECURRING/ONGOING on an interval: anchor_at; else start_at if still ahead, else the first point of
    the start_at grid after now; else now + one interval.
    """
    now = _as_utc(now, "now")
    if spec.max_runs == 0:
        return None
    if spec.job_type is JobType.ONE_OFF:
        fire = _as_utc(spec.run_at, "run_at") if spec.run_at is not None else now
    elif spec.cron is not None:
        fire = _cron_next(spec, _lower_bound(spec, now))
    else:
        fire = _first_interval_fire(spec, now)
    return _within_end(spec, fire)


def next_fire(spec: ScheduleSpec, after: datetime, run_count: int = 0) -> datetime | None:
    """The first fire strictly after `after` (aware UTC), or None when the schedule is exhausted.

    Exhausted means run_count >= max_runs, or the fire would be later than end_at.
    Interval schedules count from spec.anchor_at (required), never from `after`,
    so a late run does not shift later fires.
    """
    after = _as_utc(after, "after")
    if spec.max_runs is not None and run_count >= spec.max_runs:
        return None
    if spec.job_type is JobType.ONE_OFF:
        fire = _one_off_next(spec, after, run_count)
    elif spec.cron is not None:
        fire = _cron_next(spec, _lower_bound(spec, after))
    else:
        if spec.anchor_at is None:
            raise ValueError(f"a {spec.job_type} schedule needs anchor_at to compute its next fire")
        anchor = _as_utc(spec.anchor_at, "anchor_at")
        fire = _grid_next(_interval(spec), anchor, _zone(spec.timezone), _lower_bound(spec, after), spec.wall_time)
    return _within_end(spec, fire)


def upcoming_fires(spec: ScheduleSpec, now: datetime, count: int, run_count: int = 0) -> list[datetime]:
    """Up to `count` fires strictly after now (ONE_OFF: at most 1), respecting end_at and max_runs.

    An interval spec without anchor_at (a preview of a job not created yet) is
    anchored where first_fire would put it.
    """
    now = _as_utc(now, "now")
    limit = min(count, 1) if spec.job_type is JobType.ONE_OFF else count
    if limit <= 0:
        return []
    if _is_interval_type(spec) and spec.anchor_at is None:
        anchor = first_fire(spec, now)
        if anchor is None:
            return []
        spec = spec.with_anchor(anchor)
    fires: list[datetime] = []
    after = now
    while len(fires) < limit:
        fire = next_fire(spec, after, run_count + len(fires))
        if fire is None:
            break
        fires.append(fire)
        after = fire
    return fires


def describe(spec: ScheduleSpec) -> str:
    """One line for people, e.g. "Every Monday at 09:00 (Europe/Berlin)" or "Every 15 minutes"."""
    if spec.job_type is JobType.ONE_OFF:
        base = _describe_one_off(spec)
    elif spec.cron is not None:
        base = describe_cron(_checked_cron(spec.cron), spec.timezone)
    else:
        base = _describe_interval(spec)
    return base + _describe_limits(spec)


def validate_cron(expr: str) -> str:
    """The normalized cron text, or InvalidArgument naming the `cron` field.

    One 5-field line, or several separated by ';' (the schedule fires at every
    line's matches: '45 7 * * 1; 30 18 * * 1' is Mondays at 07:45 and 18:30).
    Normalized: single spaces, lower-case names, upper-case L/W markers, @daily-style
    aliases spelled out, lines joined by '; ' without repeats.
    Rejects 6/7-field lines, garbage, out-of-range values, croniter's hashed/random
    tokens, lines that can never fire ('0 0 30 2 *'), and more than CRON_MAX_CHARS.
    """
    if not isinstance(expr, str):
        raise InvalidArgument("cron", _CRON_EXPECTED, expr)
    lines = [_validate_cron_line(line, expr) for line in expr.split(";")]
    text = CRON_SEPARATOR.join(dict.fromkeys(lines))
    if len(text) > CRON_MAX_CHARS:
        raise InvalidArgument("cron", f"cron text of at most {CRON_MAX_CHARS} characters", expr)
    return text


def _validate_cron_line(line: str, expr: str) -> str:
    text = " ".join(line.split()).lower()
    text = _CRON_ALIASES.get(text, text)
    if len(text.split(" ")) != 5 or _HASHED_OR_RANDOM.search(text):
        raise InvalidArgument("cron", _CRON_EXPECTED, expr)
    text = _LAST_OR_WEEKDAY_MARKER.sub(lambda match: match.group(0).upper(), text)
    problem = _cron_line_problem(text)
    if problem is not None:
        raise InvalidArgument("cron", problem, expr)
    return text


@lru_cache(maxsize=1024)
def _cron_line_problem(text: str) -> str | None:
    """What is wrong with a normalized cron line, or None. A pure function of the text, asked on every
    create and update (croniter's parse and a probe fire: a tenth of job_create's CPU), so cached."""
    try:
        probe = croniter(text, _NEVER_FIRES_REFERENCE, max_years_between_matches=_NEVER_FIRES_YEARS)
        probe.get_next(datetime)
    except CroniterBadDateError:
        return _CRON_NEVER_FIRES
    except (CroniterError, ValueError, TypeError, IndexError, KeyError):
        # croniter reports some malformed lines with plain built-in exceptions.
        return _CRON_EXPECTED
    return None


# --------------------------------------------------------------------------- time helpers


def _as_utc(value: datetime | None, name: str) -> datetime:
    if value is None or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")
    return value.astimezone(UTC)


def _zone(name: str) -> ZoneInfo:
    return zone(name)  # the one time zone rule (IANA names only), not ZoneInfo's wider one


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def _gap_end(wall: datetime, tz: ZoneInfo) -> datetime:
    """The transition instant that opens the gap `wall` falls into."""
    # Inside a gap the two fold readings use the offsets on either side of the
    # transition, so they give two UTC instants that bracket it.
    readings = sorted(wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1))
    low = int(readings[0].timestamp())
    high = int(readings[1].timestamp())
    target = _offset_at(high, tz)
    # Transitions fall on whole seconds, so bisecting seconds finds the exact instant.
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_at(middle, tz) == target:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _offset_at(timestamp: int, tz: ZoneInfo) -> timedelta | None:
    return datetime.fromtimestamp(timestamp, tz).utcoffset()


def _lower_bound(spec: ScheduleSpec, after: datetime) -> datetime:
    """Fires must be > the result: > after and >= start_at."""
    if spec.start_at is None:
        return after
    return max(after, _as_utc(spec.start_at, "start_at") - _ONE_MICROSECOND)


def _within_end(spec: ScheduleSpec, fire: datetime | None) -> datetime | None:
    if fire is None or spec.end_at is None:
        return fire
    return fire if fire <= _as_utc(spec.end_at, "end_at") else None


# --------------------------------------------------------------------------- per type


def _one_off_next(spec: ScheduleSpec, after: datetime, run_count: int) -> datetime | None:
    if run_count >= 1 or spec.run_at is None:
        return None
    run_at = _as_utc(spec.run_at, "run_at")
    return run_at if run_at > after else None


@lru_cache(maxsize=512)
def _checked_cron(expr: str | None) -> tuple[str, ...]:
    """The validated lines of a cron text (usually one)."""
    if expr is None:
        raise InvalidArgument("cron", _CRON_EXPECTED, expr)
    return tuple(validate_cron(expr).split(CRON_SEPARATOR))


def _cron_next(spec: ScheduleSpec, lower: datetime) -> datetime | None:
    """The first fire strictly after `lower` of any of the spec's cron lines."""
    key = (spec.cron, spec.timezone)
    known = _fire_after.get(key)
    if known is not None and known[0] <= lower < known[1]:
        return known[1]  # no fire lies between the instant asked before and its answer: the same answer
    fire = _cron_next_at(spec.cron, spec.timezone, lower)
    if fire is not None:
        if len(_fire_after) >= _FIRE_AFTER_MAX:
            _fire_after.clear()
        _fire_after[key] = (lower, fire)
    return fire


# The last answer per (cron text, zone): (instant asked, its next fire). It answers every later instant up
# to that fire, so the creates of "every Monday at 9am", each at its own `now`, walk croniter once a week
# instead of once each (a sixth of job_create's CPU); the LRU below keys on the exact instant.
_fire_after: dict[tuple[str | None, str], tuple[datetime, datetime]] = {}
_FIRE_AFTER_MAX = 4096


# People pick round times: thousands of "every weekday at 9" jobs in one zone come due together and
# all ask for the fire after the same instant. A croniter walk costs about half a millisecond, so
# the answer is kept per (cron text, zone, instant); it depends on nothing else.
@lru_cache(maxsize=4096)
def _cron_next_at(cron: str | None, timezone: str, lower: datetime) -> datetime | None:
    tz = _zone(timezone)
    fires = [fire for line in _checked_cron(cron) if (fire := _cron_line_next(line, tz, lower)) is not None]
    return min(fires, default=None)


def _cron_line_next(expr: str, tz: ZoneInfo, lower: datetime) -> datetime | None:
    """The first match of one cron line strictly after `lower`.

    croniter is walked over naive wall-clock times (an aware walk gets fall-back
    wrong) and each match goes through localize; a match that lands at or before
    `lower` is skipped, which both drops the repeated fall-back hour and
    collapses several gap times onto one fire.
    """
    # croniter matches whole minutes; starting at the minute boundary cannot lose a
    # match, since anything not after it is also not after `lower`.
    start = _wall(lower, tz).replace(second=0, microsecond=0)
    walk = croniter(expr, start)
    for _ in range(_MAX_CANDIDATES):
        try:
            wall = walk.get_next(datetime)
        except CroniterBadDateError:
            return None
        fire = localize(wall, tz)
        if fire > lower:
            return fire
    return None


def _is_interval_type(spec: ScheduleSpec) -> bool:
    return spec.cron is None and spec.job_type in (JobType.RECURRING, JobType.ONGOING)


def _interval(spec: ScheduleSpec) -> _Interval:
    seconds, days = spec.interval_seconds, spec.interval_days
    if (seconds is None) == (days is None):
        raise InvalidArgument("interval_seconds", _INTERVAL_EXPECTED, seconds if days is None else days)
    if seconds is not None:
        if seconds <= 0:
            raise InvalidArgument("interval_seconds", _INTERVAL_EXPECTED, seconds)
        return _Interval("seconds", seconds)
    assert days is not None  # for the type checker: the xor above guarantees it
    if days <= 0:
        raise InvalidArgument("interval_days", _INTERVAL_EXPECTED, days)
    return _Interval("days", days)


def _first_interval_fire(spec: ScheduleSpec, now: datetime) -> datetime:
    interval = _interval(spec)
    tz = _zone(spec.timezone)
    if spec.anchor_at is not None:
        return _as_utc(spec.anchor_at, "anchor_at")
    if spec.start_at is not None:
        start = _as_utc(spec.start_at, "start_at")
        return _grid_next(interval, start, tz, now)
    if interval.kind == "seconds":
        return now + timedelta(seconds=interval.size)
    return localize(_wall(now, tz) + timedelta(days=interval.size), tz)


def _grid_next(
    interval: _Interval, anchor: datetime, tz: ZoneInfo, lower: datetime, wall_time: time | None = None
) -> datetime:
    """The first grid point (anchor, anchor + 1 step, ...) strictly after `lower`."""
    if anchor > lower:
        return anchor
    if interval.kind == "seconds":
        step = timedelta(seconds=interval.size)
        # Arithmetic, not a walk: a 60 s job that has run for years has millions of steps behind it.
        return anchor + ((lower - anchor) // step + 1) * step
    return _day_grid_next(interval.size, anchor, tz, lower, wall_time)


def _day_grid_next(days: int, anchor: datetime, tz: ZoneInfo, lower: datetime, wall_time: time | None) -> datetime:
    anchor_wall = _wall(anchor, tz)
    if wall_time is not None:
        anchor_wall = datetime.combine(anchor_wall.date(), wall_time)
    elapsed = (_wall(lower, tz).date() - anchor_wall.date()).days
    steps = elapsed // days
    # Step `steps` lands on lower's own local date or earlier, step `steps + 1` on a later
    # date; one step either side absorbs gap shifts and fall-backs that straddle midnight.
    for k in range(max(0, steps - 1), steps + 2):
        fire = localize(anchor_wall + timedelta(days=k * days), tz)
        if fire > lower:
            return fire
    return localize(anchor_wall + timedelta(days=(steps + 2) * days), tz)


# --------------------------------------------------------------------------- describe


def _describe_limits(spec: ScheduleSpec) -> str:
    text = ""
    if spec.end_at is not None:
        text += f", until {_local_text(spec.end_at, spec.timezone)}"
    if spec.max_runs is not None:
        text += f", at most {spec.max_runs} run{'' if spec.max_runs == 1 else 's'}"
    return text


def _local_text(instant: datetime, tz_name: str) -> str:
    local = _as_utc(instant, "time").astimezone(_zone(tz_name))
    return local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")


def _describe_one_off(spec: ScheduleSpec) -> str:
    if spec.run_at is None:
        return "Once, right away"
    return f"Once at {_local_text(spec.run_at, spec.timezone)} ({spec.timezone})"


def _describe_interval(spec: ScheduleSpec) -> str:
    interval = _interval(spec)
    if interval.kind == "seconds":
        return _every_elapsed(interval.size)
    anchor = spec.anchor_at if spec.anchor_at is not None else spec.start_at
    if interval.size % 7 == 0:
        weeks = interval.size // 7
        text = "Every week" if weeks == 1 else f"Every {weeks} weeks"
    else:
        text = "Every day" if interval.size == 1 else f"Every {interval.size} days"
    if anchor is not None:
        local = _as_utc(anchor, "anchor_at").astimezone(_zone(spec.timezone))
        if interval.size % 7 == 0:
            text += f" on {WEEKDAY_NAMES[local.isoweekday() % 7]}"
        text += f" at {local:%H:%M}"
    return f"{text} ({spec.timezone})"


def _every_elapsed(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            amount = seconds // size
            return f"Every {unit}" if amount == 1 else f"Every {amount} {unit}s"
    raise AssertionError("unreachable: every whole number is a multiple of 1")
