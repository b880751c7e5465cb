"""The fewest cron lines for a set of times: hours that share their minutes share a line."""

from __future__ import annotations

from datetime import time

import pytest

from scheduler.schedules.phrases.context import Refused
from scheduler.schedules.phrases.cron_text import cron_for, cron_for_days, number_field, shift_dow


@pytest.mark.parametrize(("numbers", "field"), [
    ([9], "9"), ([9, 21], "9,21"), ([8, 9], "8,9"), ([8, 9, 10, 11], "8-11"), ([0, 1, 2, 4, 6], "0-2,4,6"),
    ([0, 15, 30, 45], "0,15,30,45"),
])
def test_number_field(numbers: list[int], field: str) -> None:
    assert number_field(numbers) == field


@pytest.mark.parametrize(("dow", "days", "shifted"), [
    ("*", 1, "*"), ("5", 1, "6"), ("6", 1, "0"), ("1-5", 1, "2-6"), ("0,6", 1, "0,1"), ("1-5", 0, "1-5"),
])
def test_shift_dow(dow: str, days: int, shifted: str) -> None:
    assert shift_dow(dow, days) == shifted


def test_times_with_the_same_minutes_share_a_line() -> None:
    assert cron_for([time(9), time(17), time(21)], "*", "*", "1-5") == "0 9,17,21 * * 1-5"


def test_times_with_different_minutes_get_a_line_each_in_clock_order() -> None:
    assert cron_for([time(18, 30), time(7, 45)], "*", "*", "1,3") == "45 7 * * 1,3; 30 18 * * 1,3"


def test_hours_are_grouped_by_their_minute_sets() -> None:
    times = [time(h, m) for h in range(9, 12) for m in (0, 30)] + [time(12)]
    assert cron_for(times, "*", "*", "*") == "0,30 9-11 * * *; 0 12 * * *"


def test_times_of_the_next_day_move_their_weekday() -> None:
    times = [(0, time(23)), (1, time(0)), (1, time(1))]
    assert cron_for_days(times, "*", "*", "5") == "0 23 * * 5; 0 0,1 * * 6"
    assert cron_for_days(times, "*", "*", "*") == "0 0,1,23 * * *"


def test_too_many_lines_are_refused() -> None:
    with pytest.raises(Refused, match="more cron lines than a job holds"):
        cron_for([time(h, (h * 7) % 60) for h in range(24)], "*", "*", "*")
