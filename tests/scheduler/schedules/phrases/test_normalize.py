"""Chat phrasings: word order and short forms ('5pm tomorrow', 'tmrw', 'Thurs', 'hrs', 'forty', 'half an hour')."""

from __future__ import annotations

import pytest

from scheduler.schedules.phrases.normalize import normalize
from tests.scheduler.schedules.phrases.table import ONE, REC, SCH, Row, check, row_id

ROWS = [
    # order
    Row("8am tomorrow", ONE, "", ["2027-06-10T08:00:00+02:00"]),
    Row("tomorrow 8am", ONE, "", ["2027-06-10T08:00:00+02:00"]),
    Row("tomorrow midnight", ONE, "", ["2027-06-10T00:00:00+02:00"]),
    Row("noon on Friday", ONE, "", ["2027-06-11T12:00:00+02:00"]),
    Row("7:30pm Thursday", ONE, "", ["2027-06-10T19:30:00+02:00"]),
    Row("at 6 every Tuesday", SCH, "cron 0 6 * * 2", ["2027-06-15T06:00:00+02:00"]),
    # short forms
    Row("tmr at 10", ONE, "", ["2027-06-10T10:00:00+02:00"]),
    Row("Tmrw 9am", ONE, "", ["2027-06-10T09:00:00+02:00"]),
    Row("Tue 11am", ONE, "", ["2027-06-15T11:00:00+02:00"]),
    Row("Thurs at 14:00", ONE, "", ["2027-06-10T14:00:00+02:00"]),
    Row("every Fri at 17:00", SCH, "cron 0 17 * * 5", ["2027-06-11T17:00:00+02:00"]),
    Row("in 20 mins", ONE, "", ["2027-06-09T14:40:05+02:00"]),
    Row("in 1 min", ONE, "", ["2027-06-09T14:21:05+02:00"]),
    Row("in 2 hrs", ONE, "", ["2027-06-09T16:20:05+02:00"]),
    Row("every 3 hr", REC, "seconds 10800", ["2027-06-09T17:20:05+02:00"]),
    Row("every 10 min", REC, "seconds 600", ["2027-06-09T14:30:05+02:00"]),
    # plural weekdays mean every; 'each' is 'every'
    Row("Sundays at 10", SCH, "cron 0 10 * * 0", ["2027-06-13T10:00:00+02:00", "2027-06-20T10:00:00+02:00"]),
    Row("Mondays and Thursdays at 18:00", SCH, "cron 0 18 * * 1,4",
        ["2027-06-10T18:00:00+02:00", "2027-06-14T18:00:00+02:00"]),
    Row("on Saturdays", SCH, "cron 0 9 * * 6", ["2027-06-12T09:00:00+02:00"]),
    Row("each Friday at 4pm", SCH, "cron 0 16 * * 5", ["2027-06-11T16:00:00+02:00"]),
    Row("each day at 7", SCH, "cron 0 7 * * *", ["2027-06-10T07:00:00+02:00"]),
    # 'every day ... except' days
    Row("daily at 7:30 except weekends", SCH, "cron 30 7 * * 1-5",
        ["2027-06-10T07:30:00+02:00", "2027-06-11T07:30:00+02:00", "2027-06-14T07:30:00+02:00"]),
    Row("every day except Saturday and Sunday at 8", SCH, "cron 0 8 * * 1-5", ["2027-06-10T08:00:00+02:00"]),
    Row("every day at 10 except Sundays", SCH, "cron 0 10 * * 1-6",
        ["2027-06-10T10:00:00+02:00", "2027-06-11T10:00:00+02:00", "2027-06-12T10:00:00+02:00",
         "2027-06-14T10:00:00+02:00"]),
    Row("every day except weekends", SCH, "cron 0 9 * * 1-5", ["2027-06-10T09:00:00+02:00"]),
    Row("every weekday except Friday at 9", SCH, "cron 0 9 * * 1-4",
        ["2027-06-10T09:00:00+02:00", "2027-06-14T09:00:00+02:00"]),
    # number words up to sixty
    Row("every forty-five minutes", REC, "seconds 2700", ["2027-06-09T15:05:05+02:00"]),
    Row("in twenty minutes", ONE, "", ["2027-06-09T14:40:05+02:00"]),
    Row("every thirty seconds", REC, "seconds 30", ["2027-06-09T14:20:35+02:00"]),
    Row("in sixty minutes", ONE, "", ["2027-06-09T15:20:05+02:00"]),
    Row("every twelve hours", REC, "seconds 43200", ["2027-06-10T02:20:05+02:00"]),
    Row("in three days", ONE, "", ["2027-06-12T14:20:05+02:00"]),
    Row("on the twenty-first", ONE, "", ["2027-06-21T09:00:00+02:00"]),
    # quarter, half and one and a half hours
    Row("every quarter of an hour", REC, "seconds 900", ["2027-06-09T14:35:05+02:00"]),
    Row("in a quarter hour", ONE, "", ["2027-06-09T14:35:05+02:00"]),
    Row("every half an hour", REC, "seconds 1800", ["2027-06-09T14:50:05+02:00"]),
    Row("every hour and a half", REC, "seconds 5400", ["2027-06-09T15:50:05+02:00"]),
    Row("in one and a half hours", ONE, "", ["2027-06-09T15:50:05+02:00"]),
    Row("in 2 hours and 15 minutes", ONE, "", ["2027-06-09T16:35:05+02:00"]),
    Row("in 1.5 hours", ONE, "", ["2027-06-09T15:50:05+02:00"]),
]


@pytest.mark.parametrize("row", ROWS, ids=[row_id(row) for row in ROWS])
def test_order_and_short_forms(row: Row) -> None:
    check(row)


@pytest.mark.parametrize(("text", "canonical"), [
    ("Twenty-Five", "25"),
    ("fifty one minutes", "51 minutes"),
    ("the thirty-first", "the 31st"),
    ("every second Tuesday", "every 2nd tuesday"),
    ("in 30 seconds", "in 30 seconds"),  # 'second' the unit is not an ordinal
    ("at 8, 12 and 18", "at 8 12 and 18"),  # commas between times never join into 8:12
    ("a quarter of an hour", "15 minutes"),
    ("an hour and a half", "90 minutes"),
])
def test_canonical_spelling(text: str, canonical: str) -> None:
    assert normalize(text) == canonical
