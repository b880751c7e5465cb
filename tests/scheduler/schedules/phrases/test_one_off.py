"""Chat phrasings: a bare weekday is the first such day strictly after today; a day without a time is 09:00."""

from __future__ import annotations

import pytest

from tests.scheduler.schedules.phrases.table import NY, ONE, Row, check, refusal, row_id

BARE_WEEKDAY_ROWS = [
    Row("Tuesday at 9:30", ONE, "", ["2027-06-15T09:30:00+02:00"]),
    # Today is Wednesday and 16:00 is still ahead, yet a bare weekday means the next one.
    Row("on Wednesday at 16:00", ONE, "", ["2027-06-16T16:00:00+02:00"]),
    Row("Wed 8am", ONE, "", ["2027-06-16T08:00:00+02:00"]),
    Row("Sat 7pm", ONE, "", ["2027-06-12T19:00:00+02:00"]),
    Row("thurs 10:45", ONE, "", ["2027-06-10T10:45:00+02:00"]),
    Row("on Monday", ONE, "", ["2027-06-14T09:00:00+02:00"]),
    Row("Thursday next week at 8", ONE, "", ["2027-06-17T08:00:00+02:00"]),
    Row("next week on Monday at 11:15", ONE, "", ["2027-06-14T11:15:00+02:00"]),
    # New York springs forward on Sunday 2027-03-14: 02:30 does not exist and fires at 03:00 EDT.
    Row("Sunday at 2:30am", ONE, "", ["2027-03-14T03:00:00-04:00"], tz=NY, now="2027-03-10T12:00:00-05:00"),
]

DEFAULT_TIME_ROWS = [
    Row("Friday", ONE, "", ["2027-06-11T09:00:00+02:00"]),
    Row("remind me Sunday", ONE, "", ["2027-06-13T09:00:00+02:00"]),
    Row("tomorrow", ONE, "", ["2027-06-10T09:00:00+02:00"]),
    Row("on the 20th", ONE, "", ["2027-06-20T09:00:00+02:00"]),
    Row("on 3 August", ONE, "", ["2027-08-03T09:00:00+02:00"]),
]


@pytest.mark.parametrize("row", BARE_WEEKDAY_ROWS, ids=[row_id(row) for row in BARE_WEEKDAY_ROWS])
def test_a_bare_weekday_is_the_first_such_day_after_today(row: Row) -> None:
    check(row)


@pytest.mark.parametrize("row", DEFAULT_TIME_ROWS, ids=[row_id(row) for row in DEFAULT_TIME_ROWS])
def test_a_day_without_a_time_fires_at_nine(row: Row) -> None:
    check(row)


def test_this_weekday_still_means_this_week() -> None:
    check(Row("this Wednesday at 16:00", ONE, "", ["2027-06-09T16:00:00+02:00"]))
    assert refusal("this Monday").startswith("that moment is already past")


def test_several_separate_moments_are_refused() -> None:
    assert refusal("monday at 9 and friday at 5").startswith("that is several separate moments")
