"""Times of day and day fields -> the fewest cron lines that fire at exactly those times.

One cron line fires at every combination of its minutes and hours, so 07:45 and
18:30 need two lines ('45 7 ...; 30 18 ...'); hours that share their minutes share
a line ('0 9,17 ...', '0 8-18 ...').
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import time

from scheduler.schedules.phrases.context import refuse
from scheduler.schedules.schedule_math import CRON_MAX_CHARS, CRON_SEPARATOR, validate_cron

__all__ = ["cron_for", "cron_for_days", "number_field", "shift_dow"]

_TOO_MANY = "these times need more cron lines than a job holds; choose a step that divides the hour, e.g. 20 minutes"


def cron_for(times: Iterable[time], dom: str, month: str, dow: str) -> str:
    """Cron text that fires at each of `times` on the days the three day fields select."""
    return cron_for_days([(0, clock) for clock in times], dom, month, dow)


def cron_for_days(times: Iterable[tuple[int, time]], dom: str, month: str, dow: str) -> str:
    """Like cron_for, for times tagged with a day shift: 1 = the day after (a range past midnight)."""
    by_days: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for shift, clock in times:
        by_days[shift_dow(dow, shift)][clock.hour].add(clock.minute)
    return _checked(CRON_SEPARATOR.join(_lines(hours, dom, month, days) for days, hours in by_days.items()))


def _lines(by_hour: dict[int, set[int]], dom: str, month: str, dow: str) -> str:
    hours_by_minutes: dict[frozenset[int], list[int]] = defaultdict(list)
    for hour in sorted(by_hour):
        hours_by_minutes[frozenset(by_hour[hour])].append(hour)
    lines = [
        f"{number_field(sorted(minutes))} {number_field(hours)} {dom} {month} {dow}"
        for minutes, hours in sorted(hours_by_minutes.items(), key=lambda item: (item[1][0], min(item[0])))
    ]
    return CRON_SEPARATOR.join(lines)


def _checked(text: str) -> str:
    if len(text) > CRON_MAX_CHARS:
        refuse(_TOO_MANY)
    return validate_cron(text)


def number_field(numbers: list[int]) -> str:
    """[8, 9, 10, 11] -> '8-11'; [9, 21] -> '9,21'; runs of three or more become ranges."""
    parts: list[str] = []
    start = 0
    while start < len(numbers):
        end = start
        while end + 1 < len(numbers) and numbers[end + 1] == numbers[end] + 1:
            end += 1
        if end - start >= 2:
            parts.append(f"{numbers[start]}-{numbers[end]}")
        else:
            parts.extend(str(n) for n in numbers[start : end + 1])
        start = end + 1
    return ",".join(parts)


def shift_dow(dow: str, days: int) -> str:
    """A cron day-of-week field moved `days` later ('1-5' + 1 -> '2-6'); '*' stays '*'."""
    if dow == "*" or days == 0:
        return dow
    numbers = set()
    for token in dow.split(","):
        first, _, last = token.partition("-")
        numbers.update(range(int(first), int(last or first) + 1))
    return number_field(sorted({(n + days) % 7 for n in numbers}))
