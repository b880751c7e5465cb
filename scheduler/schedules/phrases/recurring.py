"""Rules that repeat: weekdays, days of the month, quarters, years, intervals and ranges of the day.

The text (times of day already taken out) is read as a set of parts in any order:
'on weekdays every hour' and 'every hour on weekdays' give the same parts. Each
part is taken out as it is found; a word left over that belongs to no part means
the text is not understood. The parts then decide the kind of schedule:

- a day of the month, 'nth weekday', last day, month/quarter mark -> SCHEDULED, day-of-month fields;
- a date without a year, or a year mark -> SCHEDULED, yearly;
- 'every other Thursday', 'every 2 weeks on Tuesday' -> RECURRING, 14 days (7 * N);
- 'every N minutes/hours' -> RECURRING from now, unless bound to the clock by a time range or
  by days ('every hour from 8am to 6pm on weekdays') -> SCHEDULED, both ends included;
- weekdays, 'every day at T', 'twice a day at T1 and T2' -> SCHEDULED.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from scheduler.schedules.phrases.context import (
    DEFAULT_TIME,
    MAX_DAYS,
    NOT_UNDERSTOOD,
    ZERO_INTERVAL,
    Ctx,
    check_month_day,
    cron_dow,
    next_wall,
    number,
    ordinal,
    refuse,
    weekday,
)
from scheduler.schedules.phrases.cron_text import cron_for, cron_for_days, number_field
from scheduler.schedules.phrases.dates import DATE_PATTERNS, DateParts, parts_of
from scheduler.schedules.phrases.words import (
    DAY_ITEM,
    DAY_LIST,
    NUM,
    TIMES_A_DAY,
    UNIT,
    UNIT_DAYS,
    UNIT_SECONDS,
    WD,
    WEEKDAYS,
    alternation,
)
from scheduler.schedules.spec import ScheduleSpec
from store.enums import JobType

__all__ = ["is_recurring", "read_recurring"]

_RECURRENCE_MARK = re.compile(
    r"\b(?:every|daily|hourly|weekly|fortnightly|biweekly|monthly|yearly|annually|quarterly|twice|thrice"
    rf"|weekdays|weekends|(?:{alternation(w for w in WEEKDAYS if len(w) > 5)})s)\b"
    r"|\b(?:once|twice|thrice|times)\s+(?:a|per)\s+"
    rf"|\b{WD}\s*(?:-|to|through|thru|till|until)\s*{WD}\b|\b(?:other|alternate)\s+{WD}"
)
_QUARTER_MONTHS = "1,4,7,10"
_ALL_DAYS = frozenset(range(7))
_WORKDAYS = frozenset({1, 2, 3, 4, 5})


def is_recurring(rest: str) -> bool:
    return _RECURRENCE_MARK.search(rest) is not None


@dataclass
class _Parts:
    excluded: set[int] = field(default_factory=set)  # cron weekdays (Sunday = 0) left out
    calendar: str | None = None  # 'month', 'quarter' or 'year'
    last_day: bool = False
    nth: str | None = None  # cron day-of-week for 'second Tuesday' (2#2) or 'last Friday' (L5)
    week_step: int | None = None
    per_day: str | None = None
    per_week: str | None = None
    interval: tuple[int, str] | None = None  # (count, unit)
    on_the_hour: bool = False
    date: DateParts | None = None
    month_days: list[int] | None = None
    days: set[int] | None = None  # cron weekdays (Sunday = 0)
    bare_every: bool = False


def read_recurring(rest: str, ctx: Ctx) -> ScheduleSpec:
    parts = _parts(rest)
    if parts.interval is not None and parts.interval[0] == 0:
        refuse(ZERO_INTERVAL)
    if ctx.times.span is not None and not _within_day(parts):
        refuse("a time range goes with 'every N minutes' or 'every N hours'")
    if parts.per_day is not None:
        return _per_day(parts, ctx)
    if parts.per_week is not None:
        return _per_week(parts, ctx)
    if parts.calendar in ("month", "quarter") or parts.month_days or parts.nth or parts.last_day:
        return _calendar(parts, ctx)
    if parts.calendar == "year" or parts.date is not None:
        return _yearly(parts, ctx)
    if parts.week_step is not None:
        return _every_n_weeks(parts, ctx, parts.week_step)
    if parts.interval is not None:
        return _interval(parts, ctx)
    if parts.on_the_hour:
        refuse("'on the hour' goes with 'every hour' or 'every N hours' where N divides 24")
    if parts.days is not None or (parts.bare_every and ctx.times.given):
        return _weekly(parts, ctx)
    refuse(NOT_UNDERSTOOD)


# --------------------------------------------------------------------------- reading the parts


def _taker(pattern: str, store: Callable[[re.Match[str]], object]) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def take(text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            store(match)
            return " "

        return compiled.sub(replace, text)

    return take


def _parts(rest: str) -> _Parts:
    parts = _Parts()

    def set_interval(match: re.Match[str]) -> None:
        word = match["word"]
        if word:
            parts.interval = (1, _INTERVAL_WORDS[word])
        else:
            count = match["n"] or match["nth"]
            parts.interval = (_count(count) if count else 1, match["unit"].removesuffix("s"))

    takers = [
        _taker(rf"\b(?:except|excluding|but\s+not|not|apart\s+from|other\s+than|save|skipping|skip|without)"
               rf"\s+(?:on\s+|for\s+)?(?:the\s+)?(?P<days>{DAY_LIST})",
               lambda m: parts.excluded.update(_day_set(m["days"]))),
        _taker(r"\b(?:of\s+|in\s+)?(?:every|the|a|per)\s+quarter\b|\bquarterly\b",
               lambda m: setattr(parts, "calendar", "quarter")),
        _taker(r"\b(?:of\s+|in\s+)?(?:every|the|a|per)\s+month\b|\bmonthly\b",
               lambda m: setattr(parts, "calendar", "month")),
        _taker(r"\b(?:of\s+|in\s+)?(?:every|a|per)\s+year\b|\byearly\b|\bannually\b",
               lambda m: setattr(parts, "calendar", "year")),
        _taker(r"\bon\s+the\s+hour\b", lambda m: setattr(parts, "on_the_hour", True)),
        _taker(r"\b(?P<count>twice|thrice|once|\d+\s+times)\s+(?:a|per|every)\s+day\b|\b(?P<daily>twice)\s+daily\b",
               lambda m: setattr(parts, "per_day", m["count"] or m["daily"])),
        _taker(r"\b(?P<count>twice|thrice|once|\d+\s+times)\s+(?:a|per|every)\s+week\b",
               lambda m: setattr(parts, "per_week", m["count"])),
    ]
    for take in takers:
        rest = take(rest)
    if parts.calendar in ("month", "quarter"):
        rest = _taker(r"\b(?:on\s+|at\s+)?(?:the\s+)?(?:last\s+day|end)(?:\s+of)?\b",
                      lambda m: setattr(parts, "last_day", True))(rest)
        rest = _taker(rf"\b(?:on\s+)?(?:the\s+)?(?:every\s+)?(?P<nth>last|[1-5](?:st|nd|rd|th))\s+(?P<wd>{WD})s?\b",
                      lambda m: setattr(parts, "nth", _nth_field(m["nth"], m["wd"])))(rest)
    rest = _taker(rf"\b(?:every|on)\s+(?P<n>other|alternate|\d+(?:st|nd|rd|th))\s+(?P<wd>{WD})s?\b"
                  rf"|\b(?:on\s+)?(?P<n2>other|alternate)\s+(?P<wd2>{WD})s?\b",
                  lambda m: _set_week_step(parts, m))(rest)
    rest = _taker(rf"\bevery\s+(?:(?:(?P<n>{NUM})|(?P<nth>\d+(?:st|nd|rd|th)))\s+)?{UNIT}"
                  r"|\b(?P<word>hourly|daily|weekly|fortnightly|biweekly)\b",
                  set_interval)(rest)
    rest = _take_date(rest, parts)
    rest = _taker(r"\b(?:on\s+)?(?:the\s+)?(?P<list>\d{1,2}(?:st|nd|rd|th)(?:\s+(?:and\s+)?(?:the\s+)?\d{1,2}"
                  r"(?:st|nd|rd|th))*)(?!\w)|\b(?:on\s+)?the\s+(?P<bare>\d{1,2})(?!\w)",
                  lambda m: _add_month_days(parts, m))(rest)
    rest = _taker(rf"\b(?:(?:every|on|from|at|during)\s+)*(?P<days>{DAY_LIST})",
                  lambda m: _add_days(parts, _day_set(m["days"])))(rest)
    words = rest.split()
    parts.bare_every = "every" in words
    if any(word not in _JOINING_WORDS for word in words):
        refuse(NOT_UNDERSTOOD)
    return parts


_INTERVAL_WORDS = {
    "hourly": "hour", "daily": "day", "weekly": "week", "fortnightly": "fortnight", "biweekly": "fortnight",
}  # fmt: skip
_JOINING_WORDS = frozenset({"on", "at", "the", "of", "and", "in", "during", "every", "from", "starting", "a", "once"})
_DAY_ITEM_RE = re.compile(DAY_ITEM)


def _take_date(rest: str, parts: _Parts) -> str:
    for pattern in (DATE_PATTERNS[0], DATE_PATTERNS[1], DATE_PATTERNS[3]):
        match = re.search(rf"\b(?:on\s+)?(?:{pattern.pattern})", rest)
        if match is not None:
            parts.date = parts_of(match)
            return rest[: match.start()] + " " + rest[match.end() :]
    return rest


def _count(word: str) -> int:
    """'2', 'other', 'a' or '2nd' ('every 2nd week') -> the number of units."""
    return ordinal(word) if word[:1].isdigit() and not word.isdigit() else number(word)


def _set_week_step(parts: _Parts, match: re.Match[str]) -> None:
    word = match["n"] or match["n2"]
    parts.week_step = 2 if word in ("other", "alternate") else ordinal(word)
    _add_days(parts, {cron_dow(weekday(match["wd"] or match["wd2"]))})


def _add_days(parts: _Parts, days: set[int]) -> None:
    parts.days = (parts.days or set()) | days


def _add_month_days(parts: _Parts, match: re.Match[str]) -> None:
    days = [int(word) for word in re.findall(r"\d+", match["list"] or match["bare"])]
    parts.month_days = sorted({*(parts.month_days or []), *days})


def _nth_field(nth: str, day_word: str) -> str:
    dow = cron_dow(weekday(day_word))
    return f"L{dow}" if nth == "last" else f"{dow}#{ordinal(nth)}"


def _day_set(text: str) -> set[int]:
    days: set[int] = set()
    for item in _DAY_ITEM_RE.finditer(text):
        days |= _day_item(item.group(0))
    return days


def _day_item(item: str) -> set[int]:
    """One weekday item -> cron weekday numbers (Sunday = 0)."""
    if item.startswith("weekday"):
        return set(_WORKDAYS)
    if item.startswith("weekend"):
        return {0, 6}
    names = re.findall(WD + "s?", item)
    first, last = weekday(names[0]), weekday(names[-1])
    return {cron_dow((first + step) % 7) for step in range((last - first) % 7 + 1)}


def _within_day(parts: _Parts) -> bool:
    return parts.interval is not None and parts.interval[1] in UNIT_SECONDS


# --------------------------------------------------------------------------- the kinds of schedule


def _scheduled(ctx: Ctx, parts: _Parts, dom: str = "*", month: str = "*", dow: str | None = None) -> ScheduleSpec:
    times = ctx.times.all() or (DEFAULT_TIME,)
    cron = cron_for(times, dom, month, dow if dow is not None else _dow_field(parts))
    return ScheduleSpec(job_type=JobType.SCHEDULED, timezone=ctx.tz_name, cron=cron)


def _dow_field(parts: _Parts) -> str:
    chosen = (set(_ALL_DAYS) if parts.days is None else set(parts.days)) - parts.excluded
    if not chosen:
        refuse("no day is left once the exceptions are taken out")
    if chosen == _ALL_DAYS:
        return "*"
    return number_field(sorted(chosen))


def _weekly(parts: _Parts, ctx: Ctx) -> ScheduleSpec:
    return _scheduled(ctx, parts)


def _per_day(parts: _Parts, ctx: Ctx) -> ScheduleSpec:
    wanted = parts.per_day or ""
    count = TIMES_A_DAY.get(wanted) or number(wanted.split()[0])
    if len(set(ctx.times.all())) != count:
        refuse(f"'{wanted} a day' needs {count} distinct times, e.g. 'twice a day at 9 and 21'")
    return _scheduled(ctx, parts)


def _per_week(parts: _Parts, ctx: Ctx) -> ScheduleSpec:
    """'twice a week on Monday and Thursday': as many weekdays as times; 'once a week' alone is every 7 days."""
    wanted = parts.per_week or ""
    count = TIMES_A_DAY.get(wanted) or number(wanted.split()[0])
    if count == 1 and parts.days is None:
        parts.interval = (1, "week")
        return _interval(parts, ctx)
    if parts.days is None or len(parts.days) != count:
        refuse(f"'{wanted} a week' needs {count} weekday{'s' if count > 1 else ''}, "
               "e.g. 'twice a week on Monday and Thursday'")
    return _weekly(parts, ctx)


def _calendar(parts: _Parts, ctx: Ctx) -> ScheduleSpec:
    months = _QUARTER_MONTHS if parts.calendar == "quarter" else "*"
    if parts.days is not None or parts.excluded:
        refuse("a day of the month and days of the week cannot be combined in one rule")
    if parts.interval is not None or parts.week_step is not None or parts.date is not None:
        refuse(NOT_UNDERSTOOD)
    if parts.last_day:
        if parts.calendar == "quarter":
            refuse("say which day of January, April, July and October, e.g. 'quarterly on the 15th'")
        return _scheduled(ctx, parts, "L", months, "*")
    if parts.nth is not None:
        return _scheduled(ctx, parts, "*", months, parts.nth)
    if not parts.month_days:
        refuse("say which day of the month, e.g. 'on the 1st of every month' or 'monthly on the 15th'")
    bad = [day for day in parts.month_days if not 1 <= day <= 31]
    if bad:
        refuse(f"day {bad[0]} does not exist in any month")
    return _scheduled(ctx, parts, ",".join(map(str, parts.month_days)), months, "*")


def _yearly(parts: _Parts, ctx: Ctx) -> ScheduleSpec:
    date = parts.date
    if date is None or date.year is not None or parts.days is not None or parts.interval is not None:
        refuse(NOT_UNDERSTOOD)
    check_month_day(date.month, date.day, None)
    return _scheduled(ctx, parts, str(date.day), str(date.month), "*")


def _every_n_weeks(parts: _Parts, ctx: Ctx, weeks: int) -> ScheduleSpec:
    if weeks == 0:
        refuse(ZERO_INTERVAL)
    if weeks == 1:
        return _weekly(parts, ctx)
    if parts.days is None or len(parts.days) != 1 or parts.excluded:
        refuse("'every N weeks' takes one weekday, e.g. 'every other Monday at 9'")
    clock = ctx.single_time(DEFAULT_TIME)
    on_weekday = (next(iter(parts.days)) - 1) % 7
    return _recurring_days(ctx, 7 * weeks, next_wall(ctx, clock, on_weekday), clock)


def _interval(parts: _Parts, ctx: Ctx) -> ScheduleSpec:
    assert parts.interval is not None
    count, unit = parts.interval
    if unit in ("month", "year"):
        refuse(f"intervals of {unit}s are not supported; say e.g. 'on the 1st of every month'")
    if unit in UNIT_SECONDS:
        return _within_day_interval(parts, ctx, count * UNIT_SECONDS[unit])
    if parts.on_the_hour:
        refuse("'on the hour' goes with 'every hour' or 'every N hours' where N divides 24")
    days = count * UNIT_DAYS[unit]
    if parts.days is not None and days % 7 == 0:
        return _every_n_weeks(parts, ctx, days // 7)
    if days == 1 and (ctx.times.given or parts.days is not None or parts.excluded):
        return _scheduled(ctx, parts)
    if parts.days is not None or parts.excluded:
        refuse(f"'every {days} days' cannot be limited to some days of the week")
    if not ctx.times.given:
        wall = ctx.local_s.time()
        return _recurring_days(ctx, days, ctx.moment(ctx.today + timedelta(days=days), wall), wall)
    clock = ctx.single_time(DEFAULT_TIME)
    return _recurring_days(ctx, days, next_wall(ctx, clock), clock)


def _within_day_interval(parts: _Parts, ctx: Ctx, seconds: int) -> ScheduleSpec:
    bound = ctx.times.span is not None or parts.days is not None or parts.excluded
    if parts.on_the_hour:
        if seconds % 3600 or 86400 % seconds or ctx.times.given:
            refuse("'on the hour' goes with 'every hour' or 'every N hours' where N divides 24")
        if not bound:
            hours = seconds // 3600
            return _cron(ctx, "0 * * * *" if hours == 1 else f"0 */{hours} * * *")
        return _clock_grid(parts, ctx, seconds)
    if ctx.times.given:
        refuse("an interval of seconds, minutes or hours takes no time of day")
    if bound:
        return _clock_grid(parts, ctx, seconds)
    if seconds > MAX_DAYS * 86400:
        refuse(f"the interval is too long (at most {MAX_DAYS} days)")
    return ScheduleSpec(
        job_type=JobType.RECURRING, timezone=ctx.tz_name, interval_seconds=seconds,
        anchor_at=ctx.now_s + timedelta(seconds=seconds),
    )


def _clock_grid(parts: _Parts, ctx: Ctx, seconds: int) -> ScheduleSpec:
    """Fires every `seconds` from the range's start to its end (both included), or over the whole day."""
    if seconds % 60 or seconds >= 86400:
        refuse("a rule on the clock takes a step of whole minutes under a day, e.g. 'every 20 minutes'")
    start, end = ctx.times.span or (time(0), time(23, 59))
    first, last = start.hour * 60 + start.minute, end.hour * 60 + end.minute
    if last < first:
        last += 1440  # the range runs past midnight: its late part falls on the next day
    minutes = range(first, last + 1, seconds // 60)
    points = [(minute // 1440, time(minute % 1440 // 60, minute % 60)) for minute in minutes]
    cron = cron_for_days(points, "*", "*", _dow_field(parts))
    return ScheduleSpec(job_type=JobType.SCHEDULED, timezone=ctx.tz_name, cron=cron)


def _cron(ctx: Ctx, cron: str) -> ScheduleSpec:
    return ScheduleSpec(job_type=JobType.SCHEDULED, timezone=ctx.tz_name, cron=cron)


def _recurring_days(ctx: Ctx, days: int, anchor: datetime, wall_time: time) -> ScheduleSpec:
    if days > MAX_DAYS:
        refuse(f"the interval is too long (at most {MAX_DAYS} days)")
    return ScheduleSpec(
        job_type=JobType.RECURRING, timezone=ctx.tz_name, interval_days=days, anchor_at=anchor, wall_time=wall_time,
    )
