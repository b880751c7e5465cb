"""Plain-words schedules -> the explicit ScheduleSpec (meaning fixed in docs/schedule-conventions.md).

A small grammar of our own, not a general date parser: every phrase it accepts has
one documented meaning, and anything else is refused with a reason and examples. The
text is normalized, the times of day are taken out of it, and what remains is matched
against two rule tables: recurrences (SCHEDULED cron lines, RECURRING intervals) and
one-offs. dateparser only reads numeric dates the grammar does not spell ('15.01.2027',
'12/31/2027'), always with a relative base derived from `now`, never the clock.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo

import dateparser

from scheduler.schedules.schedule_math import localize, validate_cron
from scheduler.schedules.spec import ScheduleSpec
from scheduler.schedules.timezones import zone
from store.enums import JobType
from store.errors import InvalidArgument

__all__ = ["DEFAULT_TIME", "EXAMPLES", "parse_schedule"]

EXAMPLES = "a schedule such as 'every Monday at 9am', 'tomorrow at 17:00', 'in 90 minutes' or 'every 15 minutes'"
DEFAULT_TIME = time(9, 0)
NOT_UNDERSTOOD = "no schedule recognised in this text"
PAST = "that moment is already past"
ZERO_INTERVAL = "the interval must be greater than zero"
ZERO_DELAY = "the delay must be greater than zero"
MAX_DAYS = 3660
MAX_YEARS_AHEAD = 100
MAX_TEXT_CHARS = 200

_PERIODS = {
    "morning": time(9), "afternoon": time(15), "evening": time(18), "night": time(20), "tonight": time(20),
}  # fmt: skip
_NAMED_TIMES = {"noon": time(12), "midday": time(12), "midnight": time(0)}
_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "weds": 2, "wed": 2,
    "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}  # fmt: skip
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name[:3]: number for name, number in list(_MONTHS.items())} | {"sept": 9}
_HOLIDAYS = {
    "new years day": (1, 1), "new years": (1, 1), "new years eve": (12, 31),
    "christmas eve": (12, 24), "christmas day": (12, 25), "christmas": (12, 25),
}  # fmt: skip
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "other": 2,
}  # fmt: skip
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "fifteenth": 15, "twentieth": 20,
}  # fmt: skip
_UNIT_SECONDS = {"second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600}
_UNIT_DAYS = {"day": 1, "week": 7, "fortnight": 14}
_TIMES_A_DAY = {"once": 1, "twice": 2, "thrice": 3}


def _alternation(words: object) -> str:
    return "|".join(sorted((re.escape(str(word)) for word in words), key=len, reverse=True))


_WD = rf"(?:{_alternation(_WEEKDAYS)})"
_MONTH = rf"(?:{_alternation(_MONTHS)})"
_NUM = rf"(?:\d+|{_alternation(_NUMBER_WORDS)})"
_ORD = rf"(?:\d+(?:st|nd|rd|th)?|{_alternation(_ORDINAL_WORDS)})"
_UNIT = r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|fortnights?|months?|years?)"


class _Refused(Exception):
    """Internal: the text cannot be read; `reason` says why (turned into InvalidArgument)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _refuse(reason: str) -> NoReturn:
    raise _Refused(reason)


@dataclass(frozen=True)
class _Times:
    """What the phrase says about the time of day."""

    explicit: tuple[time, ...] = ()
    periods: tuple[time, ...] = ()
    tonight: bool = False

    @property
    def given(self) -> bool:
        return bool(self.explicit or self.periods)

    def all(self) -> tuple[time, ...]:
        return self.explicit or self.periods


@dataclass(frozen=True)
class _Ctx:
    tz_name: str
    tz: ZoneInfo
    now: datetime  # aware UTC, exact
    times: _Times

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
            _refuse("that date is too far in the future")

    def single_time(self, default: time | None) -> time | None:
        times = self.times.all()
        if len(times) > 1:
            _refuse("this schedule takes a single time of day")
        return times[0] if times else default


# --------------------------------------------------------------------------- entry point


def parse_schedule(text: str, timezone: str, now: datetime) -> ScheduleSpec:
    """Plain words -> ONE_OFF (run_at), SCHEDULED (cron in `timezone`) or RECURRING (interval + anchor_at).

    `now` is aware (any zone; read as an instant); `timezone` a validated IANA name.
    Raises InvalidArgument('schedule', EXAMPLES, text, reason=...) when the text is
    not a schedule, names an impossible date or time, a zero interval, or a past moment.
    """
    try:
        return _parse(text, timezone, now)
    except _Refused as refusal:
        raise InvalidArgument("schedule", EXAMPLES, text, reason=refusal.reason) from None


def _parse(text: str, timezone: str, now: datetime) -> ScheduleSpec:
    if now.tzinfo is None:
        raise ValueError("parse_schedule needs an aware `now`")
    if len(text or "") > MAX_TEXT_CHARS:
        _refuse(f"a schedule of at most {MAX_TEXT_CHARS} characters")
    normalized = _normalize(text or "")
    rest, times = _extract_times(normalized)
    ctx = _Ctx(tz_name=timezone, tz=zone(timezone), now=now.astimezone(UTC), times=times)
    if _RECURRENCE_MARK.search(rest):
        return _first_rule(_RECURRING_RULES, rest, ctx)
    return _first_rule(_ONE_OFF_RULES, rest, ctx) if rest or times.given else _refuse(NOT_UNDERSTOOD)


_Rule = tuple[re.Pattern[str], Callable[[re.Match[str], _Ctx], ScheduleSpec]]


def _first_rule(rules: list[_Rule], rest: str, ctx: _Ctx) -> ScheduleSpec:
    for pattern, handler in rules:
        match = pattern.fullmatch(rest)
        if match is not None:
            return handler(match, ctx)
    return _absolute_date_fallback(rest, ctx)


# --------------------------------------------------------------------------- normalizing


_SUBSTITUTIONS = [
    (r"[’‘`´]", "'"),
    (r"\b([ap])\.\s?m\b\.?", r"\1m"),
    (r"\b(\d{1,2})\.(\d{2})\s*([ap]m)\b", r"\1:\2\3"),
    (r"\b(\d{4}-\d{1,2}-\d{1,2})t(?=\d)", r"\1 "),
    (r"\bo'?clock\b", " "),
    (r"'", ""),
    (r"(?<!\d)\.|\.(?!\d)", " "),
    (r"[,;:!?()\"](?!\d)", " "),
    (r"&", " and "),
    (r"@", " at "),
    (r"\s+", " "),
    (r"\b(?:a\s+)?half\s+(?:an\s+)?hour\b", "30 minutes"),
    (r"\ban\s+hour\s+and\s+a\s+half\b", "90 minutes"),
    (r"\beveryday\b", "every day"),
    (r"\beach\b", "every"),
    (r"\bevery\s+single\b", "every"),
    (r"\b12\s+(noon|midnight)\b", r"\1"),
    (r"\b(?:the\s+)?day\s+after\s+tomorrow\b", "dayaftertomorrow"),
    (r"\bweek\s+days\b|\bwork\s*days\b", "weekdays"),
    (r"\bweek\s+day\b|\bwork\s*day\b", "weekday"),
    (r"\bweekend\s+days\b", "weekends"),
]
_SUBSTITUTIONS_RE = [(re.compile(pattern), replacement) for pattern, replacement in _SUBSTITUTIONS]


def _normalize(text: str) -> str:
    text = text.lower()
    for pattern, replacement in _SUBSTITUTIONS_RE:
        text = pattern.sub(replacement, text)
    return text.strip()


# --------------------------------------------------------------------------- times of day

_PERIOD_RE = re.compile(
    r"\b(?P<lead>this\s+|in\s+the\s+|at\s+)?(?P<period>morning|afternoon|evening|tonight|night)s?\b"
)
_NAMED_RE = re.compile(rf"\b(?:at\s+)?(?P<name>{_alternation(_NAMED_TIMES)})\b")
_T = r"\d+(?::\d+)?(?:\s*[ap]m\b)?"
_AT_LIST_RE = re.compile(rf"\bat\s+(?P<list>{_T}(?:\s+(?:and\s+)?{_T})*)(?![\w:/.-])")
_LOOSE_TIME_RE = re.compile(r"(?<![\w:/.-])(?P<list>\d+:\d+(?:\s*[ap]m\b)?|\d+\s*[ap]m\b)(?![\w:/.-])")
_TOKEN_RE = re.compile(r"(?P<h>\d+)(?::(?P<m>\d+))?\s*(?P<ap>[ap]m)?")
_MARK = "\x00"
_MARK_RE = re.compile(rf"(?:\band\s+)?{_MARK}(?:\s+and\b)?")


def _extract_times(text: str) -> tuple[str, _Times]:
    """Take every time of day out of the text: (what is left, the times)."""
    periods: list[tuple[str, bool]] = []

    def take_period(match: re.Match[str]) -> str:
        periods.append((match["period"], bool(match["lead"] and match["lead"].startswith("this"))))
        if match["period"] == "tonight":
            return " tonight "
        return " today " if periods[-1][1] else f" {_MARK} "

    text = _PERIOD_RE.sub(take_period, text)
    hint = periods[0][0] if len(periods) == 1 else None
    explicit: list[time] = []

    def take_named(match: re.Match[str]) -> str:
        explicit.append(_NAMED_TIMES[match["name"]])
        return f" {_MARK} "

    def take_list(match: re.Match[str]) -> str:
        explicit.extend(_time_of(token.group(0), hint) for token in _TOKEN_RE.finditer(match["list"]))
        return f" {_MARK} "

    text = _NAMED_RE.sub(take_named, text)
    text = _AT_LIST_RE.sub(take_list, text)
    text = _LOOSE_TIME_RE.sub(take_list, text)
    rest = " ".join(_MARK_RE.sub(" ", text).split())
    times = _Times(
        explicit=tuple(explicit),
        periods=tuple(_PERIODS[name] for name, _ in periods),
        tonight=any(name == "tonight" for name, _ in periods),
    )
    return rest, times


def _time_of(token: str, hint: str | None) -> time:
    """'9', '9am', '9:30 pm', '21:00' -> a time; an impossible time is refused."""
    token = token.strip()
    match = _TOKEN_RE.fullmatch(token)
    if match is None:  # pragma: no cover - tokens come from _TOKEN_RE itself
        _refuse(f"{token} is not a valid time")
    hour, minute_text, meridiem = int(match["h"]), match["m"], match["ap"]
    minute = int(minute_text) if minute_text is not None else 0
    if (minute_text is not None and len(minute_text) != 2) or minute > 59:
        _refuse(f"{token} is not a valid time")
    if meridiem:
        if not 1 <= hour <= 12:
            _refuse(f"{token} is not a valid time")
        return time(hour % 12 + (12 if meridiem == "pm" else 0), minute)
    if hour > 23:
        _refuse(f"{token} is not a valid time")
    return time(_afternoon_hour(hour, hint), minute)


def _afternoon_hour(hour: int, hint: str | None) -> int:
    """'this evening at 7' is 19:00, 'tonight at 8' 20:00, 'every morning at 7' 07:00."""
    if hint in ("afternoon", "evening") and 1 <= hour <= 11:
        return hour + 12
    if hint in ("night", "tonight") and 5 <= hour <= 11:
        return hour + 12
    return hour


# --------------------------------------------------------------------------- shared pieces


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def _ordinal(word: str) -> int:
    digits = re.match(r"\d+", word)
    return int(digits.group(0)) if digits else _ORDINAL_WORDS[word]


def _weekday(word: str) -> int:
    """Monday = 0 ... Sunday = 6 (Python's numbering)."""
    return _WEEKDAYS[word] if word in _WEEKDAYS else _WEEKDAYS[word.removesuffix("s")]


def _cron_dow(weekday: int) -> int:
    return (weekday + 1) % 7


def _check_month_day(month: int, day: int, year: int | None) -> None:
    if not 1 <= month <= 12:
        _refuse(f"month {month} does not exist")
    name = calendar.month_name[month]
    if 1 <= day <= calendar.monthrange(2000 if year is None else year, month)[1]:
        return
    if year is not None and (month, day) == (2, 29):
        _refuse(f"February 29 does not exist in {year} (not a leap year)")
    _refuse(f"{name} {day} does not exist")


def _is_valid_date(year: int, month: int, day: int) -> bool:
    return day <= calendar.monthrange(year, month)[1]


def _one_off(ctx: _Ctx, instant: datetime) -> ScheduleSpec:
    if instant <= ctx.now:
        local = instant.astimezone(ctx.tz).isoformat(timespec="seconds")
        _refuse(f"{PAST} ({local})")
    return ScheduleSpec(job_type=JobType.ONE_OFF, timezone=ctx.tz_name, run_at=instant)


def _next_wall(ctx: _Ctx, clock: time, weekday: int | None = None) -> datetime:
    """The first `clock` (on `weekday`, if given) strictly after now."""
    day = ctx.today
    for _ in range(9):
        if weekday is None or day.weekday() == weekday:
            instant = ctx.moment(day, clock)
            if instant > ctx.now:
                return instant
        day += timedelta(days=1)
    raise AssertionError("unreachable: a weekday recurs within 8 days")  # pragma: no cover


# --------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class _DateParts:
    month: int
    day: int
    year: int | None
    weekday: int | None


_DATE_PATTERNS = [
    re.compile(rf"(?P<mon>{_MONTH})\s+(?:the\s+)?(?P<day>\d+)(?:st|nd|rd|th)?(?:\s+(?P<year>\d{{4}}))?"),
    re.compile(rf"(?:the\s+)?(?P<day>\d+)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MONTH})(?:\s+(?P<year>\d{{4}}))?"),
    re.compile(r"(?P<year>\d{4})-(?P<mon>\d{1,2})-(?P<day>\d{1,2})"),
    re.compile(rf"(?P<holiday>{_alternation(_HOLIDAYS)})"),
]
_DATE_PREFIX_RE = re.compile(rf"(?:on\s+)?(?:(?P<wd>{_WD})\s+)?(?:the\s+)?(?P<date>.+)")


def _match_date(text: str) -> _DateParts | None:
    """'dec 24', '24th of december 2027', '2027-01-15', 'new years day' (optionally 'on friday ...')."""
    prefix = _DATE_PREFIX_RE.fullmatch(text)
    if prefix is None:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(prefix["date"])
        if match is None:
            continue
        weekday = _weekday(prefix["wd"]) if prefix["wd"] else None
        if "holiday" in match.groupdict():
            month, day = _HOLIDAYS[match["holiday"]]
            return _DateParts(month, day, None, weekday)
        mon = match["mon"]
        month = int(mon) if mon.isdigit() else _MONTHS[mon]
        year = int(match["year"]) if match["year"] else None
        return _DateParts(month, int(match["day"]), year, weekday)
    return None


def _dated_moment(parts: _DateParts, ctx: _Ctx, clock: time) -> datetime:
    if parts.year is not None and parts.year < 1:
        _refuse(PAST)
    _check_month_day(parts.month, parts.day, parts.year)
    if parts.year is not None:
        if parts.year > ctx.today.year + MAX_YEARS_AHEAD:
            _refuse("that date is too far in the future")
        day = date(parts.year, parts.month, parts.day)
        _check_weekday(day, parts.weekday)
        return ctx.moment(day, clock)
    for year in range(ctx.today.year, ctx.today.year + 9):
        if _is_valid_date(year, parts.month, parts.day):
            day = date(year, parts.month, parts.day)
            instant = ctx.moment(day, clock)
            if instant > ctx.now:
                _check_weekday(day, parts.weekday)
                return instant
    raise AssertionError("unreachable: every month/day recurs within 8 years")  # pragma: no cover


def _check_weekday(day: date, weekday: int | None) -> None:
    """'Monday, December 24th 2027' names two different days: refuse rather than guess."""
    if weekday is not None and day.weekday() != weekday:
        _refuse(f"{day:%B} {day.day}, {day.year} is a {day:%A}, not a {calendar.day_name[weekday]}")


# Only numeric dates reach dateparser: given words, it skips what it does not know and
# reads 'minutes 21 2' as February 21, and a wrong reminder is worse than none.
_NUMERIC_DATE_RE = re.compile(
    rf"(?:on\s+)?(?:(?P<wd>{_WD})\s+)?(?P<date>(?P<a>\d{{1,4}})[/.](?P<b>\d{{1,2}})(?:[/.]\d{{2,4}})?)"
)


def _absolute_date_fallback(rest: str, ctx: _Ctx) -> ScheduleSpec:
    """Last resort for numeric dates ('15.01.2027', '2027/01/15'), read by dateparser."""
    numeric = _NUMERIC_DATE_RE.fullmatch(rest)
    if numeric is None:
        _refuse(NOT_UNDERSTOOD)
    text = numeric["date"]
    if int(numeric["a"]) <= 12 and int(numeric["b"]) <= 12 and int(numeric["a"]) != int(numeric["b"]):
        _refuse(f"{text} is ambiguous (day or month first?); write it as 2027-01-15 or 'January 15'")
    settings = {
        "RELATIVE_BASE": ctx.local_s,
        "PREFER_DATES_FROM": "future",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "REQUIRE_PARTS": ["day", "month"],
        "PARSERS": ["custom-formats", "absolute-time"],
    }
    parsed = dateparser.parse(text, languages=["en"], settings=settings)
    if parsed is None or parsed.time() != time(0):
        _refuse(f"{text} is not a date")
    clock = ctx.single_time(DEFAULT_TIME)
    assert clock is not None
    _check_weekday(parsed.date(), _weekday(numeric["wd"]) if numeric["wd"] else None)
    return _one_off(ctx, ctx.moment(parsed.date(), clock))


# --------------------------------------------------------------------------- one-off rules


def _bare_time(match: re.Match[str], ctx: _Ctx) -> ScheduleSpec:
    clock = ctx.single_time(None)
    if clock is None:
        _refuse(NOT_UNDERSTOOD)
    return _one_off(ctx, _next_wall(ctx, clock))


_DAY_OFFSETS = {"today": 0, "tonight": 0, "tomorrow": 1, "dayaftertomorrow": 2}


def _day_word(match: re.Match[str], ctx: _Ctx) -> ScheduleSpec:
    offset = _DAY_OFFSETS[match["word"]]
    clock = ctx.single_time(_PERIODS["tonight"] if match["word"] == "tonight" else DEFAULT_TIME)
    assert clock is not None
    if ctx.times.tonight and clock.hour < 5:
        offset += 1  # 'at midnight tonight', 'tonight at 1am': the early hours of the next day
    return _one_off(ctx, ctx.moment(ctx.today + timedelta(days=offset), clock))


def _on_weekday(match: re.Match[str], ctx: _Ctx) -> ScheduleSpec:
    weekday = _weekday(match["wd"])
    clock = ctx.single_time(DEFAULT_TIME)
    assert clock is not None
    ahead = weekday - ctx.today.weekday()
    which = match["which"]
    if which == "next":
        return _one_off(ctx, ctx.moment(ctx.today + timedelta(days=(ahead - 1) % 7 + 1), clock))
    if which == "this":
        if ahead < 0:
            _refuse(f"{PAST} ({calendar.day_name[weekday]} of this week has gone by)")
        return _one_off(ctx, ctx.moment(ctx.today + timedelta(days=ahead), clock))
    return _one_off(ctx, _next_wall(ctx, clock, weekday))


def _offset(match: re.Match[str], ctx: _Ctx) -> ScheduleSpec:
    count, unit = _number(match["n"]), match["unit"].removesuffix("s")
    if unit in ("month", "year"):
        _refuse(f"offsets in {unit}s are not supported; give the date, e.g. 'on 2027-01-15'")
    if count == 0:
        _refuse(ZERO_DELAY)
    if unit in _UNIT_SECONDS:
        if ctx.times.given:
            _refuse("an offset in seconds, minutes or hours takes no time of day")
        seconds = count * _UNIT_SECONDS[unit]
        if seconds > MAX_DAYS * 86400:
            _refuse(f"that is too far ahead (at most {MAX_DAYS} days)")
        return _one_off(ctx, ctx.now_s + timedelta(seconds=seconds))
    days = count * _UNIT_DAYS[unit]
    if days > MAX_DAYS:
        _refuse(f"that is too far ahead (at most {MAX_DAYS} days)")
    clock = ctx.single_time(ctx.local_s.time())
    assert clock is not None
    return _one_off(ctx, ctx.moment(ctx.today + timedelta(days=days), clock))


def _day_of_month(match: re.Match[str], ctx: _Ctx) -> ScheduleSpec:
    day = _ordinal(match["day"])
    if not 1 <= day <= 31:
        _refuse(f"day {day} does not exist in any month")
    clock = ctx.single_time(DEFAULT_TIME)
    assert clock is not None
    year, month = ctx.today.year, ctx.today.month
    for _ in range(14):
        if _is_valid_date(year, month, day):
            instant = ctx.moment(date(year, month, day), clock)
            if instant > ctx.now:
                return _one_off(ctx, instant)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("unreachable: every day 1-31 occurs within 14 months")  # pragma: no cover


def _past(match: re.Match[str], ctx: _Ctx) -> ScheduleSpec:
    _refuse(PAST)


def _dated(match: re.Match[str], ctx: _Ctx) -> ScheduleSpec:
    parts = _match_date(match.group(0))
    if parts is None:
        return _absolute_date_fallback(match.group(0), ctx)
    clock = ctx.single_time(DEFAULT_TIME)
    assert clock is not None
    return _one_off(ctx, _dated_moment(parts, ctx, clock))


_ONE_OFF_RULES: list[_Rule] = [
    (re.compile(r""), _bare_time),
    (re.compile(r"(?:on\s+)?(?P<word>today|tonight|tomorrow|dayaftertomorrow)"), _day_word),
    (re.compile(rf"(?:(?P<which>next|this|coming|on)\s+)?(?:on\s+)?(?P<wd>{_WD})"), _on_weekday),
    (re.compile(rf"(?:in|after)\s+(?P<n>{_NUM})\s+{_UNIT}(?:\s+time)?(?:\s+(?:from\s+)?today)?"), _offset),
    (re.compile(rf"(?P<n>{_NUM})\s+{_UNIT}\s+(?:from\s+(?:now|today)|later)"), _offset),
    (re.compile(rf"(?:on\s+)?the\s+(?P<day>{_ORD})"), _day_of_month),
    (re.compile(rf".*\b(?:yesterday|ago)\b.*|(?:on\s+)?last\s+(?:{_WD}|week|month|year)"), _past),
    (re.compile(r".+"), _dated),
]


# --------------------------------------------------------------------------- recurring rules

_RECURRENCE_MARK = re.compile(
    r"\b(?:every|daily|hourly|weekly|fortnightly|biweekly|monthly|yearly|annually|twice|thrice|times"
    rf"|weekdays|weekends|(?:{_alternation(w for w in _WEEKDAYS if len(w) > 5)})s)\b"
    r"|\b(?:once|twice|thrice|times)\s+(?:a|per)\s+"
    rf"|\b{_WD}\s*(?:-|to|through|thru|till|until)\s*{_WD}\b"
)
_MONTH_MARK_RE = re.compile(r"\b(?:of\s+)?every\s+month\b|\bmonthly\b|\b(?:once\s+)?(?:a|per)\s+month\b")
_YEAR_MARK_RE = re.compile(
    r"\b(?:of\s+)?every\s+year\b|\byearly\b|\bannually\b|\b(?:once\s+)?(?:a|per)\s+year\b"
)


def _scheduled(ctx: _Ctx, dom: str, month: str, dow: str) -> ScheduleSpec:
    minute, hours = _cron_clock(ctx)
    cron = validate_cron(f"{minute} {hours} {dom} {month} {dow}")
    return ScheduleSpec(job_type=JobType.SCHEDULED, timezone=ctx.tz_name, cron=cron)


def _cron_clock(ctx: _Ctx) -> tuple[str, str]:
    times = sorted(set(ctx.times.all())) or [DEFAULT_TIME]
    minutes = {clock.minute for clock in times}
    if len(minutes) > 1:
        _refuse("the times of one rule must share their minutes, e.g. 9:30 and 17:30")
    return str(minutes.pop()), ",".join(str(clock.hour) for clock in times)


def _recurring_seconds(ctx: _Ctx, seconds: int) -> ScheduleSpec:
    if seconds > MAX_DAYS * 86400:
        _refuse(f"the interval is too long (at most {MAX_DAYS} days)")
    return ScheduleSpec(
        job_type=JobType.RECURRING, timezone=ctx.tz_name, interval_seconds=seconds,
        anchor_at=ctx.now_s + timedelta(seconds=seconds),
    )


def _recurring_days(ctx: _Ctx, days: int, anchor: datetime, wall_time: time) -> ScheduleSpec:
    if days > MAX_DAYS:
        _refuse(f"the interval is too long (at most {MAX_DAYS} days)")
    return ScheduleSpec(
        job_type=JobType.RECURRING, timezone=ctx.tz_name, interval_days=days, anchor_at=anchor, wall_time=wall_time,
    )


_INTERVAL_WORDS = {
    "hourly": "hour", "daily": "day", "weekly": "week", "fortnightly": "fortnight", "biweekly": "fortnight",
}  # fmt: skip


def _interval(match: re.Match[str], ctx: _Ctx) -> ScheduleSpec:
    word = match.groupdict().get("word")
    if word:
        count, unit = 1, _INTERVAL_WORDS[word]
    else:
        count, unit = (_number(match["n"]) if match["n"] else 1), match["unit"].removesuffix("s")
    if count == 0:
        _refuse(ZERO_INTERVAL)
    if match["on_the_hour"]:
        return _on_the_hour(ctx, count, unit)
    if unit in ("month", "year"):
        _refuse(f"intervals of {unit}s are not supported; say e.g. 'on the 1st of every month'")
    if unit in _UNIT_SECONDS:
        if ctx.times.given:
            _refuse("an interval of seconds, minutes or hours takes no time of day")
        return _recurring_seconds(ctx, count * _UNIT_SECONDS[unit])
    days = count * _UNIT_DAYS[unit]
    if days == 1 and ctx.times.given:
        return _scheduled(ctx, "*", "*", "*")
    if not ctx.times.given:
        wall = ctx.local_s.time()
        return _recurring_days(ctx, days, ctx.moment(ctx.today + timedelta(days=days), wall), wall)
    clock = ctx.single_time(None)
    assert clock is not None
    return _recurring_days(ctx, days, _next_wall(ctx, clock), clock)


def _on_the_hour(ctx: _Ctx, count: int, unit: str) -> ScheduleSpec:
    if unit != "hour" or 24 % count != 0 or ctx.times.given:
        _refuse("'on the hour' goes with 'every hour' or 'every N hours' where N divides 24")
    return _scheduled_raw(ctx, "0 * * * *" if count == 1 else f"0 */{count} * * *")


def _scheduled_raw(ctx: _Ctx, cron: str) -> ScheduleSpec:
    return ScheduleSpec(job_type=JobType.SCHEDULED, timezone=ctx.tz_name, cron=validate_cron(cron))


def _every_n_weeks_on(match: re.Match[str], ctx: _Ctx) -> ScheduleSpec:
    weeks = _number(match.groupdict().get("n") or "2")
    if weeks == 0:
        _refuse(ZERO_INTERVAL)
    if weeks == 1:
        return _scheduled(ctx, "*", "*", str(_cron_dow(_weekday(match["wd"]))))
    clock = ctx.single_time(DEFAULT_TIME)
    assert clock is not None
    return _recurring_days(ctx, 7 * weeks, _next_wall(ctx, clock, _weekday(match["wd"])), clock)


def _daily(match: re.Match[str], ctx: _Ctx) -> ScheduleSpec:
    wanted = match["count"]
    if wanted is not None:
        count = _TIMES_A_DAY.get(wanted) or _number(wanted.split()[0])
        if len(set(ctx.times.all())) != count:
            _refuse(f"'{wanted} a day' needs {count} distinct times, e.g. 'twice a day at 9 and 21'")
    elif not ctx.times.given:
        _refuse(NOT_UNDERSTOOD)
    return _scheduled(ctx, "*", "*", "*")


_DAY_ITEM = rf"{_WD}s?\s*(?:-|to|through|thru|till|until)\s*{_WD}s?|{_WD}s?|weekdays?|weekends?"
_DAY_ITEM_RE = re.compile(_DAY_ITEM)


def _weekly(match: re.Match[str], ctx: _Ctx) -> ScheduleSpec:
    days: set[int] = set()
    for item in _DAY_ITEM_RE.finditer(match["days"]):
        days |= _day_item(item.group(0))
    if days == set(range(7)):
        return _scheduled(ctx, "*", "*", "*")
    if days == {1, 2, 3, 4, 5}:
        return _scheduled(ctx, "*", "*", "1-5")
    return _scheduled(ctx, "*", "*", ",".join(str(day) for day in sorted(days)))


def _day_item(item: str) -> set[int]:
    """One weekday item -> cron weekday numbers (Sunday = 0)."""
    if item.startswith("weekday"):
        return {1, 2, 3, 4, 5}
    if item.startswith("weekend"):
        return {0, 6}
    names = re.findall(_WD + "s?", item)
    first = _weekday(names[0])
    last = _weekday(names[-1])
    span = (last - first) % 7
    return {_cron_dow((first + step) % 7) for step in range(span + 1)}


_NTH_WEEKDAY_RE = re.compile(
    rf"(?P<nth>last|first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th)\s+(?P<wd>{_WD})"
)


def _monthly(match: re.Match[str], ctx: _Ctx) -> ScheduleSpec:
    rest = " ".join(_MONTH_MARK_RE.sub(" ", match.group(0)).replace("of the month", " ").split())
    rest = re.sub(r"^(?:on\s+)?(?:the\s+)?", "", rest)
    if not rest:
        _refuse("say which day of the month, e.g. 'on the 1st of every month' or 'monthly on the 15th'")
    if re.fullmatch(r"last\s+day", rest):
        return _scheduled(ctx, "L", "*", "*")
    nth = _NTH_WEEKDAY_RE.fullmatch(rest)
    if nth is not None:
        dow = _cron_dow(_weekday(nth["wd"]))
        which = nth["nth"]
        return _scheduled(ctx, "*", "*", f"L{dow}" if which == "last" else f"{dow}#{_ordinal(which)}")
    if re.fullmatch(rf"{_ORD}(?:\s+(?:and\s+)?(?:the\s+)?{_ORD})*", rest):
        days = sorted({_ordinal(word) for word in re.findall(_ORD, rest)})
        bad = [day for day in days if not 1 <= day <= 31]
        if bad:
            _refuse(f"day {bad[0]} does not exist in any month")
        return _scheduled(ctx, ",".join(map(str, days)), "*", "*")
    _refuse(NOT_UNDERSTOOD)


def _yearly(match: re.Match[str], ctx: _Ctx) -> ScheduleSpec:
    rest = " ".join(_YEAR_MARK_RE.sub(" ", match.group(0)).split())
    rest = re.sub(r"^every\s+", "", rest)
    parts = _match_date(rest)
    if parts is None or parts.year is not None or parts.weekday is not None:
        _refuse(NOT_UNDERSTOOD)
    _check_month_day(parts.month, parts.day, None)
    return _scheduled(ctx, str(parts.day), str(parts.month), "*")


_RECURRING_RULES: list[_Rule] = [
    (re.compile(rf".*(?:{_MONTH_MARK_RE.pattern}).*"), _monthly),
    (re.compile(rf".*(?:{_YEAR_MARK_RE.pattern}).*"), _yearly),
    (re.compile(rf"every\s+(?:(?P<n>{_NUM})\s+)?{_UNIT}(?P<on_the_hour>\s+on\s+the\s+hour)?"), _interval),
    (re.compile(r"(?P<word>hourly|daily|weekly|fortnightly|biweekly)(?P<on_the_hour>\s+on\s+the\s+hour)?"), _interval),
    (re.compile(rf"every\s+(?:other|alternate)\s+(?P<wd>{_WD})"), _every_n_weeks_on),
    (
        re.compile(rf"(?:every\s+(?P<n>{_NUM})\s+weeks?|fortnightly|biweekly)\s+on\s+(?P<wd>{_WD})"),
        _every_n_weeks_on,
    ),
    (
        re.compile(rf"every|(?P<count>twice|thrice|once|{_NUM}\s+times)\s+(?:a|per|every)\s+day|twice\s+daily"),
        _daily,
    ),
    (
        re.compile(rf"(?:(?:every\s+week\s+on|weekly\s+on|every|on)\s+)*(?P<days>(?:{_DAY_ITEM})"
                   rf"(?:\s+(?:and\s+)?(?:{_DAY_ITEM}))*)"),
        _weekly,
    ),
    (re.compile(r"every\s+.+"), _yearly),
]
