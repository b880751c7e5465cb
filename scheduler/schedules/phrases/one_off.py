"""Single moments: 'tomorrow at 9', 'Thursday', 'in 90 minutes', 'on the 15th', 'Dec 24 at 18:00'."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, timedelta

from scheduler.schedules.phrases.context import (
    DEFAULT_TIME,
    MAX_DAYS,
    NOT_UNDERSTOOD,
    PAST,
    ZERO_DELAY,
    Ctx,
    is_valid_date,
    next_wall,
    number,
    one_off,
    ordinal,
    refuse,
    weekday,
)
from scheduler.schedules.phrases.dates import dated_moment, match_date, numeric_date
from scheduler.schedules.phrases.words import NUM, ORD, PERIODS, UNIT, UNIT_DAYS, UNIT_SECONDS, WD
from scheduler.schedules.spec import ScheduleSpec

__all__ = ["Rule", "first_rule", "read_one_off"]

Rule = tuple[re.Pattern[str], Callable[[re.Match[str], Ctx], ScheduleSpec]]


def first_rule(rules: list[Rule], rest: str, ctx: Ctx) -> ScheduleSpec:
    for pattern, handler in rules:
        match = pattern.fullmatch(rest)
        if match is not None:
            return handler(match, ctx)
    return numeric_date(rest, ctx)


def read_one_off(rest: str, ctx: Ctx) -> ScheduleSpec:
    if not rest and not ctx.times.given:
        refuse(NOT_UNDERSTOOD)
    if len(_WEEKDAY_RE.findall(rest)) > 1:
        # 'Monday and Tuesday at 9' may mean this week only or every week: a wrong guess repeats forever.
        refuse("several days without 'every': say 'every Monday and Tuesday' for a weekly rule, "
               "or create one job for each day")
    return first_rule(_RULES, rest, ctx)


_WEEKDAY_RE = re.compile(rf"\b{WD}\b")


def _bare_time(match: re.Match[str], ctx: Ctx) -> ScheduleSpec:
    if not ctx.times.given:
        refuse(NOT_UNDERSTOOD)
    return one_off(ctx, next_wall(ctx, ctx.single_time(DEFAULT_TIME)))


_DAY_OFFSETS = {"today": 0, "tonight": 0, "tomorrow": 1, "dayaftertomorrow": 2}


def _day_word(match: re.Match[str], ctx: Ctx) -> ScheduleSpec:
    offset = _DAY_OFFSETS[match["word"]]
    clock = ctx.single_time(PERIODS["tonight"] if match["word"] == "tonight" else DEFAULT_TIME)
    if ctx.times.tonight and clock.hour < 5:
        offset += 1  # 'at midnight tonight', 'tonight at 1am': the early hours of the next day
    return one_off(ctx, ctx.moment(ctx.today + timedelta(days=offset), clock))


def _on_weekday(match: re.Match[str], ctx: Ctx) -> ScheduleSpec:
    """'next Friday' and a bare 'Friday' are the first Friday after today; 'this Friday' is in this week."""
    day = weekday(match["wd"])
    clock = ctx.single_time(DEFAULT_TIME)
    ahead = day - ctx.today.weekday()
    if match["which"] == "this":
        if ahead < 0:
            refuse(f"{PAST} ({calendar.day_name[day]} of this week has gone by)")
        return one_off(ctx, ctx.moment(ctx.today + timedelta(days=ahead), clock))
    return one_off(ctx, ctx.moment(ctx.today + timedelta(days=(ahead - 1) % 7 + 1), clock))


def _weekday_of_week(match: re.Match[str], ctx: Ctx) -> ScheduleSpec:
    """'Thursday next week', 'next week on Thursday': that day of the next Monday-to-Sunday week."""
    monday = ctx.today - timedelta(days=ctx.today.weekday())
    weeks = 1 if (match["which"] or match["which2"]) == "next" else 0
    day = monday + timedelta(days=7 * weeks + weekday(match["wd"] or match["wd2"]))
    return one_off(ctx, ctx.moment(day, ctx.single_time(DEFAULT_TIME)))


def _offset(match: re.Match[str], ctx: Ctx) -> ScheduleSpec:
    count, unit = number(match["n"]), match["unit"].removesuffix("s")
    if unit in ("month", "year"):
        refuse(f"offsets in {unit}s are not supported; give the date, e.g. 'on 2027-01-15'")
    if count == 0:
        refuse(ZERO_DELAY)
    if unit in UNIT_SECONDS:
        if ctx.times.given:
            refuse("an offset in seconds, minutes or hours takes no time of day")
        seconds = count * UNIT_SECONDS[unit]
        if seconds > MAX_DAYS * 86400:
            refuse(f"that is too far ahead (at most {MAX_DAYS} days)")
        return one_off(ctx, ctx.now_s + timedelta(seconds=seconds))
    days = count * UNIT_DAYS[unit]
    if days > MAX_DAYS:
        refuse(f"that is too far ahead (at most {MAX_DAYS} days)")
    clock = ctx.single_time(ctx.local_s.time())
    return one_off(ctx, ctx.moment(ctx.today + timedelta(days=days), clock))


def _day_of_month(match: re.Match[str], ctx: Ctx) -> ScheduleSpec:
    day = ordinal(match["day"])
    if not 1 <= day <= 31:
        refuse(f"day {day} does not exist in any month")
    clock = ctx.single_time(DEFAULT_TIME)
    year, month = ctx.today.year, ctx.today.month
    for _ in range(14):
        if is_valid_date(year, month, day):
            instant = ctx.moment(date(year, month, day), clock)
            if instant > ctx.now:
                return one_off(ctx, instant)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("unreachable: every day 1-31 occurs within 14 months")  # pragma: no cover


def _past(match: re.Match[str], ctx: Ctx) -> ScheduleSpec:
    refuse(PAST)


def _dated(match: re.Match[str], ctx: Ctx) -> ScheduleSpec:
    parts = match_date(match.group(0))
    if parts is None:
        return numeric_date(match.group(0), ctx)
    return one_off(ctx, dated_moment(parts, ctx, ctx.single_time(DEFAULT_TIME)))


_RULES: list[Rule] = [
    (re.compile(r""), _bare_time),
    (re.compile(r"(?:on\s+)?(?P<word>today|tonight|tomorrow|dayaftertomorrow)"), _day_word),
    (re.compile(rf"(?:(?P<which>next|this|on)\s+)?(?:on\s+)?(?P<wd>{WD})"), _on_weekday),
    (re.compile(rf"(?:on\s+)?(?P<wd>{WD})\s+(?:of\s+)?(?P<which>next|this)\s+week"
                rf"|(?P<which2>next|this)\s+week\s+(?:on\s+)?(?P<wd2>{WD})"), _weekday_of_week),
    (re.compile(rf"(?:in|after)\s+(?P<n>{NUM})\s+{UNIT}(?:\s+time)?(?:\s+(?:from\s+)?(?:now|today))?"), _offset),
    (re.compile(rf"(?P<n>{NUM})\s+{UNIT}\s+(?:from\s+(?:now|today)|later)"), _offset),
    (re.compile(rf"(?:on\s+)?the\s+(?P<day>{ORD})(?:\s+of\s+(?:this|the)\s+month)?"), _day_of_month),
    (re.compile(rf".*\b(?:yesterday|ago)\b.*|(?:on\s+)?last\s+(?:{WD}|week|month|year)"), _past),
    (re.compile(r".+"), _dated),
]
