"""Cron lines in words: "Every Monday and Wednesday at 07:45 and 18:30", "Daily, every 20 minutes from ...".

Pure string work on validated lines (see schedule_math.validate_cron). A line we
cannot phrase exactly is shown as the cron text itself: a summary that is vague
would be worse than one that is technical.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["WEEKDAY_NAMES", "describe_cron", "join_and"]

WEEKDAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_ANY = frozenset({"*", "?"})
_DOW_ALIASES = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_MONTH_ALIASES = {name[:3].lower(): number for number, name in enumerate(_MONTH_NAMES, start=1)}
_QUARTER_MONTHS = [1, 4, 7, 10]
_WORKDAYS = frozenset({1, 2, 3, 4, 5})
_MONDAY_FIRST = (1, 2, 3, 4, 5, 6, 0)
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
# Up to this many times are listed; more of them, evenly spaced, read as "every N minutes from A to B".
_LISTED_TIMES = 4


def describe_cron(lines: Sequence[str], tz_name: str) -> str:
    phrase = _lines_phrase(lines)
    return f"{phrase} ({tz_name})" if phrase else f"Cron '{'; '.join(lines)}' ({tz_name})"


def join_and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _lines_phrase(lines: Sequence[str]) -> str | None:
    fields = [line.split(" ") for line in lines]
    if len(fields) == 1:
        within = _cron_within_day(fields[0][0], fields[0][1], (fields[0][2], fields[0][3], fields[0][4]))
        if within is not None:
            return within
    if len({tuple(field[2:]) for field in fields}) == 1:
        return _same_days_phrase(fields)
    parts = [_lines_phrase([line]) for line in lines]
    if any(part is None for part in parts):
        return None
    return "; ".join(part if index == 0 else part[0].lower() + part[1:]
                     for index, part in enumerate(part for part in parts if part is not None))


def _same_days_phrase(fields: list[list[str]]) -> str | None:
    times: set[tuple[int, int]] = set()
    for field in fields:
        line_times = _clock_times(field[0], field[1])
        if line_times is None:
            return None
        times |= line_times
    days = _cron_days(*fields[0][2:])
    return None if days is None else days + _times_phrase(sorted(times))


def _times_phrase(times: list[tuple[int, int]]) -> str:
    texts = [f"{hour:02d}:{minute:02d}" for hour, minute in times]
    if len(times) > _LISTED_TIMES:
        run = _even_run([hour * 60 + minute for hour, minute in times])
        if run is not None:
            first, last, step = run
            return f", every {_step_words(step)} from {texts[first]} to {texts[last]}"
    return f" at {join_and(texts)}"


def _even_run(minutes: list[int]) -> tuple[int, int, int] | None:
    """(first, last, step) when the times are evenly spaced, possibly across midnight (22:00 ... 02:00)."""
    gaps = [(later - earlier) % 1440 for earlier, later in zip(minutes, [*minutes[1:], minutes[0]], strict=True)]
    # On a tie the wrap-around gap (the last) is the widest: the day then reads from its first time.
    widest = max(reversed(range(len(gaps))), key=lambda index: gaps[index])
    inner = gaps[:widest] + gaps[widest + 1 :]
    if len(set(inner)) != 1:
        return None
    return (widest + 1) % len(minutes), widest, inner[0]


def _step_words(minutes: int) -> str:
    if minutes % 60:
        return f"{minutes} minutes"
    return "hour" if minutes == 60 else f"{minutes // 60} hours"


def _cron_within_day(minute: str, hour: str, days: tuple[str, str, str]) -> str | None:
    """Lines that fire several times an hour or every few hours, every day."""
    if not all(field in _ANY for field in days):
        return None
    if hour == "*":
        if minute == "*":
            return "Every minute"
        minutes = _even_step(minute, 60)
        if minutes is not None:
            return f"Every {minutes} minutes"
        return _past_the_hour("Every hour", minute)
    hours = _even_step(hour, 24)
    return _past_the_hour(f"Every {hours} hours", minute) if hours is not None else None


def _even_step(field: str, cycle: int) -> int | None:
    """N for '*/N' when N divides the cycle (else the fires are not evenly spaced)."""
    match = re.fullmatch(r"\*/(\d+)", field)
    if match is None:
        return None
    step = int(match.group(1))
    return step if 1 < step < cycle and cycle % step == 0 else None


def _past_the_hour(prefix: str, minute: str) -> str | None:
    if not minute.isdigit():
        return None
    return f"{prefix} on the hour" if int(minute) == 0 else f"{prefix} at minute {int(minute)}"


def _clock_times(minute: str, hour: str) -> set[tuple[int, int]] | None:
    hours, minutes = _int_list(hour), _int_list(minute)
    if hours is None or minutes is None:
        return None
    return {(h, m) for h in hours for m in minutes}


def _cron_days(dom: str, month: str, dow: str) -> str | None:
    months = _months_phrase(month)
    if months is None:
        return None
    special = _monthly_special(dom, dow, months)
    if special is not None:
        return special
    if dom in _ANY and month in _ANY:
        return _weekday_phrase(dow)
    if dow not in _ANY or dom in _ANY:
        # Restricting both day fields means "either matches" in cron: too subtle to phrase.
        return None
    days = _int_list(dom)
    if days is None:
        return None
    if len(days) == 1 and (month.isdigit() or month in _MONTH_ALIASES):
        return f"Every year on {months} {days[0]}"
    return f"On day {join_and([str(d) for d in days])} of {months}"


def _months_phrase(month: str) -> str | None:
    if month in _ANY:
        return "every month"
    numbers = _int_list(month, _MONTH_ALIASES)
    if numbers is None or not all(1 <= number <= 12 for number in numbers):
        return None
    names = [_MONTH_NAMES[number - 1] for number in numbers]
    if numbers == _QUARTER_MONTHS:
        return "every quarter (" + ", ".join(names) + ")"
    return join_and(names)


def _monthly_special(dom: str, dow: str, months: str) -> str | None:
    """croniter's L and # forms: last day, nth weekday, last weekday of the month."""
    if dom == "L" and dow in _ANY:
        return f"On the last day of {months}"
    if dom not in _ANY:
        return None
    nth, _, weekday = dow.partition("#")
    if weekday and nth.isdigit() and weekday.isdigit() and int(weekday) in _ORDINALS:
        return f"On the {_ORDINALS[int(weekday)]} {WEEKDAY_NAMES[int(nth) % 7]} of {months}"
    if dow.startswith("L") and dow[1:].isdigit() and int(dow[1:]) <= 7:
        return f"On the last {WEEKDAY_NAMES[int(dow[1:]) % 7]} of {months}"
    return None


def _weekday_phrase(dow: str) -> str | None:
    if dow in _ANY:
        return "Daily"
    days = _weekday_set(dow)
    if days is None:
        return None
    if days == set(range(7)):
        return "Daily"
    if days == _WORKDAYS:
        return "Every weekday"
    if len(days) == 6:
        return f"Every day except {WEEKDAY_NAMES[(set(range(7)) - days).pop()]}"
    return "Every " + join_and([WEEKDAY_NAMES[d] for d in _MONDAY_FIRST if d in days])


def _weekday_set(field: str) -> set[int] | None:
    days: set[int] = set()
    for token in field.split(","):
        first, _, last = token.partition("-")
        low, high = _weekday_number(first), _weekday_number(last or first)
        if low is None or high is None or low > high:
            return None
        days.update(d % 7 for d in range(low, high + 1))  # cron allows 7 for Sunday
    return days


def _weekday_number(token: str) -> int | None:
    if token.isdigit():
        return int(token) if int(token) <= 7 else None
    return _DOW_ALIASES.get(token)


def _int_list(field: str, names: dict[str, int] | None = None) -> list[int] | None:
    """'1,15' or '8-18' or 'jan,apr' -> sorted numbers; None for '*', steps and markers."""
    numbers: set[int] = set()
    for token in field.split(","):
        first, _, last = token.partition("-")
        low, high = _token_number(first, names), _token_number(last or first, names)
        if low is None or high is None or low > high:
            return None
        numbers.update(range(low, high + 1))
    return sorted(numbers)


def _token_number(token: str, names: dict[str, int] | None) -> int | None:
    if token.isdigit():
        return int(token)
    return None if names is None else names.get(token)
