"""What every rule of the grammar shares: the request's moment and zone, the times found, refusals."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo

from scheduler.schedules.phrases.words import NUMBER_WORDS, WEEKDAYS
from scheduler.schedules.schedule_math import localize
from scheduler.schedules.spec import ScheduleSpec
from store.enums import JobType

DEFAULT_TIME = time(9, 0)
NOT_UNDERSTOOD = "no schedule recognised in this text"
PAST = "that moment is already past"
ZERO_INTERVAL = "the interval must be greater than zero"
ZERO_DELAY = "the delay must be greater than zero"
MAX_DAYS = 3660
MAX_YEARS_AHEAD = 100


class Refused(Exception):
    """Internal: the text cannot be read; `reason` says why (turned into InvalidArgument)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def refuse(reason: str) -> NoReturn:
    raise Refused(reason)


@dataclass(frozen=True)
class Times:
    """What the phrase says about the time of day."""

    explicit: tuple[time, ...] = ()
    periods: tuple[time, ...] = ()
    tonight: bool = False
    # 'from 8am to 6pm', 'between 14:00 and 15:00': both ends included.
    span: tuple[time, time] | None = None

    @property
    def given(self) -> bool:
        return bool(self.explicit or self.periods)

    def all(self) -> tuple[time, ...]:
        return self.explicit or self.periods


@dataclass(frozen=True)
class Ctx:
    tz_name: str
    tz: ZoneInfo
    now: datetime  # aware UTC, exact
    times: Times

    @property
    def now_s(self) -> datetime:
        """Now to the second: the base of elapsed offsets and intervals."""
        return self.now.replace(microsecond=0)

    @property
    def local_s(self) -> datetime:
        """Now's naive wall-clock time in the job's zone, to the second."""
        return self.now_s.astimezone(self.tz).replace(tzinfo=None)

    @property
    def today(self) -> date:
        return self.local_s.date()

    def moment(self, day: date, clock: time) -> datetime:
        """A wall-clock time on a day -> aware UTC, with the DST gap/overlap rules."""
        try:
            return localize(datetime.combine(day, clock), self.tz)
        except OverflowError:
            refuse("that date is too far in the future")

    def single_time(self, default: time) -> time:
        times = self.times.all()
        if len(times) > 1:
            refuse("this schedule takes a single time of day")
        if self.times.span is not None:
            refuse("a time range goes with 'every N minutes' or 'every N hours'")
        return times[0] if times else default


def number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def ordinal(word: str) -> int:
    digits = re.match(r"\d+", word)
    if digits is None:  # pragma: no cover - ordinals are spelled as digits while normalizing
        refuse(NOT_UNDERSTOOD)
    return int(digits.group(0))


def weekday(word: str) -> int:
    """Monday = 0 ... Sunday = 6 (Python's numbering)."""
    return WEEKDAYS[word] if word in WEEKDAYS else WEEKDAYS[word.removesuffix("s")]


def cron_dow(day: int) -> int:
    """Python's weekday (Monday = 0) -> cron's (Sunday = 0)."""
    return (day + 1) % 7


def check_month_day(month: int, day: int, year: int | None) -> None:
    if not 1 <= month <= 12:
        refuse(f"month {month} does not exist")
    name = calendar.month_name[month]
    if 1 <= day <= calendar.monthrange(2000 if year is None else year, month)[1]:
        return
    if year is not None and (month, day) == (2, 29):
        refuse(f"February 29 does not exist in {year} (not a leap year)")
    refuse(f"{name} {day} does not exist")


def is_valid_date(year: int, month: int, day: int) -> bool:
    return day <= calendar.monthrange(year, month)[1]


def one_off(ctx: Ctx, instant: datetime) -> ScheduleSpec:
    if instant <= ctx.now:
        local = instant.astimezone(ctx.tz).isoformat(timespec="seconds")
        refuse(f"{PAST} ({local})")
    return ScheduleSpec(job_type=JobType.ONE_OFF, timezone=ctx.tz_name, run_at=instant)


def next_wall(ctx: Ctx, clock: time, on_weekday: int | None = None, after_today: bool = False) -> datetime:
    """The first `clock` (on `on_weekday`, if given; after today, if asked) strictly after now."""
    day = ctx.today + timedelta(days=1 if after_today else 0)
    for _ in range(9):
        if on_weekday is None or day.weekday() == on_weekday:
            instant = ctx.moment(day, clock)
            if instant > ctx.now:
                return instant
        day += timedelta(days=1)
    raise AssertionError("unreachable: a weekday recurs within 8 days")  # pragma: no cover
