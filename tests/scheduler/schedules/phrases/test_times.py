"""Chat phrasings: a bare hour is on the 24-hour clock, except after 'tonight' or 'this evening'."""

from __future__ import annotations

import pytest

from tests.scheduler.schedules.phrases.table import ONE, SCH, Row, check, refusal, row_id

ROWS = [
    Row("Mondays at 7", SCH, "cron 0 7 * * 1", ["2027-06-14T07:00:00+02:00"]),
    Row("every Saturday at 6", SCH, "cron 0 6 * * 6", ["2027-06-12T06:00:00+02:00"]),
    Row("tomorrow at 20", ONE, "", ["2027-06-10T20:00:00+02:00"]),
    Row("at 9", ONE, "", ["2027-06-10T09:00:00+02:00"]),  # 09:00 today has passed
    Row("at 17", ONE, "", ["2027-06-09T17:00:00+02:00"]),
    Row("friday at 3", ONE, "", ["2027-06-11T03:00:00+02:00"]),
    # after 'tonight' and 'this evening', 1 to 11 are pm
    Row("tonight at 9", ONE, "", ["2027-06-09T21:00:00+02:00"]),
    Row("tonight at 11:30", ONE, "", ["2027-06-09T23:30:00+02:00"]),
    Row("this evening at 6", ONE, "", ["2027-06-09T18:00:00+02:00"]),
    Row("this evening at 8:15", ONE, "", ["2027-06-09T20:15:00+02:00"]),
    Row("at 10 tonight", ONE, "", ["2027-06-09T22:00:00+02:00"]),
    Row("tonight at 12", ONE, "", ["2027-06-10T00:00:00+02:00"]),  # midnight, the start of tomorrow
    Row("tonight at 23:00", ONE, "", ["2027-06-09T23:00:00+02:00"]),
    # spelled and clock-word times
    Row("at five thirty pm", ONE, "", ["2027-06-09T17:30:00+02:00"]),
    Row("tomorrow at quarter past 8", ONE, "", ["2027-06-10T08:15:00+02:00"]),
    Row("tomorrow at half past 6pm", ONE, "", ["2027-06-10T18:30:00+02:00"]),
    Row("at a quarter to 7pm", ONE, "", ["2027-06-09T18:45:00+02:00"]),
    Row("at ten to 4pm", ONE, "", ["2027-06-09T15:50:00+02:00"]),
]


@pytest.mark.parametrize("row", ROWS, ids=[row_id(row) for row in ROWS])
def test_bare_hours(row: Row) -> None:
    check(row)


@pytest.mark.parametrize(("phrase", "reason"), [
    ("every hour from 9 to 5", "'9 to 5' is ambiguous"),
    ("every 30 minutes between 10 and 2", "'10 to 2' is ambiguous"),
    ("every Monday from 9am to 5pm", "a time range goes with 'every N minutes' or 'every N hours'"),
    ("tomorrow from 9 to 11", "a time range goes with 'every N minutes' or 'every N hours'"),
    ("every hour from 8 to 10 and from 14 to 16", "give one time range"),
    ("tonight at 25", "25 is not a valid time"),
])
def test_unusable_times_are_refused(phrase: str, reason: str) -> None:
    assert refusal(phrase).startswith(reason)
