"""Calendar dates in words or digits: 'dec 24', 'the 4th of july 2028', '2027-01-15', 'christmas', '15.01.2028'."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time

from scheduler.schedules.phrases.context import (
    DEFAULT_TIME,
    MAX_YEARS_AHEAD,
    NOT_UNDERSTOOD,
    PAST,
    Ctx,
    check_month_day,
    is_valid_date,
    one_off,
    refuse,
    weekday,
)
from scheduler.schedules.phrases.words import HOLIDAYS, MONTH, MONTHS, WD, alternation
from scheduler.schedules.spec import ScheduleSpec

__all__ = ["DateParts", "dated_moment", "match_date", "numeric_date", "DATE_PATTERNS"]


@dataclass(frozen=True)
class DateParts:
    month: int
    day: int
    year: int | None
    weekday: int | None


DATE_PATTERNS = [
    re.compile(rf"(?P<mon>{MONTH})\s+(?:the\s+)?(?P<day>\d+)(?:st|nd|rd|th)?(?:\s+(?P<year>\d{{4}}))?(?!\w)"),
    re.compile(rf"(?:the\s+)?(?P<day>\d+)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{MONTH})(?:\s+(?P<year>\d{{4}}))?(?!\w)"),
    re.compile(r"(?P<year>\d{4})-(?P<mon>\d{1,2})-(?P<day>\d{1,2})"),
    re.compile(rf"(?P<holiday>{alternation(HOLIDAYS)})(?!\w)"),
]
_DATE_PREFIX_RE = re.compile(rf"(?:on\s+)?(?:(?P<wd>{WD})\s+)?(?:the\s+)?(?P<date>.+)")


def match_date(text: str) -> DateParts | None:
    """'dec 24', '24th of december 2027', '2027-01-15', 'new years day' (optionally 'on friday ...')."""
    prefix = _DATE_PREFIX_RE.fullmatch(text)
    if prefix is None:
        return None
    for pattern in DATE_PATTERNS:
        match = pattern.fullmatch(prefix["date"])
        if match is not None:
            return parts_of(match, weekday(prefix["wd"]) if prefix["wd"] else None)
    return None


def parts_of(match: re.Match[str], on_weekday: int | None = None) -> DateParts:
    if "holiday" in match.groupdict():
        month, day = HOLIDAYS[match["holiday"]]
        return DateParts(month, day, None, on_weekday)
    mon = match["mon"]
    month = int(mon) if mon.isdigit() else MONTHS[mon]
    year = int(match["year"]) if match["year"] else None
    return DateParts(month, int(match["day"]), year, on_weekday)


def dated_moment(parts: DateParts, ctx: Ctx, clock: time) -> datetime:
    if parts.year is not None and parts.year < 1:
        refuse(PAST)
    check_month_day(parts.month, parts.day, parts.year)
    if parts.year is not None:
        if parts.year > ctx.today.year + MAX_YEARS_AHEAD:
            refuse("that date is too far in the future")
        day = date(parts.year, parts.month, parts.day)
        _check_weekday(day, parts.weekday)
        return ctx.moment(day, clock)
    for year in range(ctx.today.year, ctx.today.year + 9):
        if is_valid_date(year, parts.month, parts.day):
            day = date(year, parts.month, parts.day)
            instant = ctx.moment(day, clock)
            if instant > ctx.now:
                _check_weekday(day, parts.weekday)
                return instant
    raise AssertionError("unreachable: every month/day recurs within 8 years")  # pragma: no cover


def _check_weekday(day: date, on_weekday: int | None) -> None:
    """'Monday, December 24th 2027' names two different days: refuse rather than guess."""
    if on_weekday is not None and day.weekday() != on_weekday:
        refuse(f"{day:%B} {day.day}, {day.year} is a {day:%A}, not a {calendar.day_name[on_weekday]}")


# Only numeric dates reach dateparser: given words, it skips what it does not know and
# reads 'minutes 21 2' as February 21, and a wrong reminder is worse than none.
_NUMERIC_DATE_RE = re.compile(
    rf"(?:on\s+)?(?:(?P<wd>{WD})\s+)?(?P<date>(?P<a>\d{{1,4}})[/.](?P<b>\d{{1,2}})(?:[/.]\d{{2,4}})?)"
)


def numeric_date(rest: str, ctx: Ctx) -> ScheduleSpec:
    """Last resort for numeric dates ('15.01.2027', '2027/01/15'), read by dateparser."""
    numeric = _NUMERIC_DATE_RE.fullmatch(rest)
    if numeric is None:
        refuse(NOT_UNDERSTOOD)
    text = numeric["date"]
    if int(numeric["a"]) <= 12 and int(numeric["b"]) <= 12 and int(numeric["a"]) != int(numeric["b"]):
        refuse(f"{text} is ambiguous (day or month first?); write it as 2027-01-15 or 'January 15'")
    settings = {
        "RELATIVE_BASE": ctx.local_s,
        "PREFER_DATES_FROM": "future",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "REQUIRE_PARTS": ["day", "month"],
        "PARSERS": ["custom-formats", "absolute-time"],
    }
    import dateparser  # here: only this last resort pays for its import

    parsed = dateparser.parse(text, languages=["en"], settings=settings)
    if parsed is None or parsed.time() != time(0):
        refuse(f"{text} is not a date")
    clock = ctx.single_time(DEFAULT_TIME)
    _check_weekday(parsed.date(), weekday(numeric["wd"]) if numeric["wd"] else None)
    return one_off(ctx, ctx.moment(parsed.date(), clock))
