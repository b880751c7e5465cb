"""Chat phrasings for rules: several days and times, hour ranges, quarters, days of the month, every N weeks."""

from __future__ import annotations

from datetime import datetime

import pytest

from scheduler.schedules.phrases import parse_schedule
from scheduler.schedules.schedule_math import describe
from tests.scheduler.schedules.phrases.table import BER, NY, REC, SCH, SYD, WED, Row, check, refusal, row_id

SEVERAL_DAYS_AND_TIMES = [
    Row("every Tuesday and Thursday at 8:15 and 17:40", SCH, "cron 15 8 * * 2,4; 40 17 * * 2,4",
        ["2027-06-10T08:15:00+02:00", "2027-06-10T17:40:00+02:00", "2027-06-15T08:15:00+02:00",
         "2027-06-15T17:40:00+02:00"]),
    Row("on weekdays at 9 and 13:30", SCH, "cron 0 9 * * 1-5; 30 13 * * 1-5",
        ["2027-06-10T09:00:00+02:00", "2027-06-10T13:30:00+02:00", "2027-06-11T09:00:00+02:00"]),
    Row("every Mon, Wed and Fri at 6:45am and 7pm", SCH, "cron 45 6 * * 1,3,5; 0 19 * * 1,3,5",
        ["2027-06-09T19:00:00+02:00", "2027-06-11T06:45:00+02:00", "2027-06-11T19:00:00+02:00"]),
    Row("every day at 8:20, 12:00 and 20:40", SCH, "cron 20 8 * * *; 0 12 * * *; 40 20 * * *",
        ["2027-06-09T20:40:00+02:00", "2027-06-10T08:20:00+02:00", "2027-06-10T12:00:00+02:00"]),
    Row("twice a day at 7:45 and 19:15", SCH, "cron 45 7 * * *; 15 19 * * *",
        ["2027-06-09T19:15:00+02:00", "2027-06-10T07:45:00+02:00"]),
    Row("every weekday at 9 and 17", SCH, "cron 0 9,17 * * 1-5",
        ["2027-06-09T17:00:00+02:00", "2027-06-10T09:00:00+02:00"]),
    # days paired with their own times
    Row("every Monday at 9 and Friday at 17:30", SCH, "cron 0 9 * * 1; 30 17 * * 5",
        ["2027-06-11T17:30:00+02:00", "2027-06-14T09:00:00+02:00", "2027-06-18T17:30:00+02:00"]),
    Row("weekdays at 8 and weekends at 10:30", SCH, "cron 0 8 * * 1-5; 30 10 * * 0,6",
        ["2027-06-10T08:00:00+02:00", "2027-06-11T08:00:00+02:00", "2027-06-12T10:30:00+02:00"]),
    # DST: each line keeps the gap and overlap rules
    Row("every day at 1:45 and 2:15", SCH, "cron 45 1 * * *; 15 2 * * *",
        ["2027-03-14T01:45:00-05:00", "2027-03-14T03:00:00-04:00", "2027-03-15T01:45:00-04:00",
         "2027-03-15T02:15:00-04:00"], tz=NY, now="2027-03-13T12:00:00-05:00"),
    Row("every Sunday at 2:15 and 2:45", SCH, "cron 15,45 2 * * 0",
        ["2027-03-14T03:00:00-04:00", "2027-03-21T02:15:00-04:00", "2027-03-21T02:45:00-04:00"],
        tz=NY, now="2027-03-10T12:00:00-05:00"),
    Row("every day at 0:45 and 1:30", SCH, "cron 45 0 * * *; 30 1 * * *",
        ["2027-11-07T00:45:00-04:00", "2027-11-07T01:30:00-04:00", "2027-11-08T00:45:00-05:00",
         "2027-11-08T01:30:00-05:00"], tz=NY, now="2027-11-06T12:00:00-04:00"),
    Row("every Sunday at 1:40 and 2:25", SCH, "cron 40 1 * * 0; 25 2 * * 0",
        ["2027-10-31T01:40:00+02:00", "2027-10-31T02:25:00+02:00", "2027-11-07T01:40:00+01:00",
         "2027-11-07T02:25:00+01:00"], now="2027-10-25T12:00:00+02:00"),
    Row("daily at 2:20 and 3:10", SCH, "cron 20 2 * * *; 10 3 * * *",
        ["2027-10-03T03:00:00+11:00", "2027-10-03T03:10:00+11:00", "2027-10-04T02:20:00+11:00"],
        tz=SYD, now="2027-10-02T12:00:00+10:00"),
]

HOUR_RANGES = [
    Row("every hour between 9am and 5pm", SCH, "cron 0 9-17 * * *",
        ["2027-06-09T15:00:00+02:00", "2027-06-09T16:00:00+02:00", "2027-06-09T17:00:00+02:00",
         "2027-06-10T09:00:00+02:00"]),
    Row("every 30 minutes from 10:00 to 12:00 on Saturdays", SCH, "cron 0,30 10,11 * * 6; 0 12 * * 6",
        ["2027-06-12T10:00:00+02:00", "2027-06-12T10:30:00+02:00", "2027-06-12T11:00:00+02:00",
         "2027-06-12T11:30:00+02:00", "2027-06-12T12:00:00+02:00", "2027-06-19T10:00:00+02:00"]),
    Row("on weekdays every 2 hours from 8 to 20", SCH, "cron 0 8,10,12,14,16,18,20 * * 1-5",
        ["2027-06-09T16:00:00+02:00", "2027-06-09T18:00:00+02:00", "2027-06-09T20:00:00+02:00",
         "2027-06-10T08:00:00+02:00"]),
    Row("every 45 minutes between 9:00 and 12:00", SCH, "cron 0,45 9 * * *; 30 10 * * *; 15 11 * * *; 0 12 * * *",
        ["2027-06-10T09:00:00+02:00", "2027-06-10T09:45:00+02:00", "2027-06-10T10:30:00+02:00",
         "2027-06-10T11:15:00+02:00", "2027-06-10T12:00:00+02:00"]),
    Row("hourly from 7am to 11am on weekends", SCH, "cron 0 7-11 * * 0,6",
        ["2027-06-12T07:00:00+02:00", "2027-06-12T08:00:00+02:00"]),
    Row("every 30 minutes between 11pm and 1am", SCH, "cron 0,30 0,23 * * *; 0 1 * * *",
        ["2027-06-09T23:00:00+02:00", "2027-06-09T23:30:00+02:00", "2027-06-10T00:00:00+02:00",
         "2027-06-10T00:30:00+02:00", "2027-06-10T01:00:00+02:00"]),
    Row("every hour from 10pm to 1am on Fridays", SCH, "cron 0 22,23 * * 5; 0 0,1 * * 6",
        ["2027-06-11T22:00:00+02:00", "2027-06-11T23:00:00+02:00", "2027-06-12T00:00:00+02:00",
         "2027-06-12T01:00:00+02:00", "2027-06-18T22:00:00+02:00"]),
    Row("every hour on weekdays", SCH, "cron 0 0-23 * * 1-5", ["2027-06-09T15:00:00+02:00"]),
    # New York springs forward at 02:00 on 2027-03-14: 02:00 fires at 03:00, and 03:00 once
    Row("every hour from 1am to 4am", SCH, "cron 0 1-4 * * *",
        ["2027-03-14T01:00:00-05:00", "2027-03-14T03:00:00-04:00", "2027-03-14T04:00:00-04:00",
         "2027-03-15T01:00:00-04:00"], tz=NY, now="2027-03-13T12:00:00-05:00"),
]

QUARTERS = [
    Row("every quarter on the 10th at 8:30", SCH, "cron 30 8 10 1,4,7,10 *",
        ["2027-07-10T08:30:00+02:00", "2027-10-10T08:30:00+02:00", "2028-01-10T08:30:00+01:00"]),
    Row("quarterly on the last Friday", SCH, "cron 0 9 * 1,4,7,10 L5",
        ["2027-07-30T09:00:00+02:00", "2027-10-29T09:00:00+02:00", "2028-01-28T09:00:00+01:00"]),
    Row("on the first Monday of every quarter", SCH, "cron 0 9 * 1,4,7,10 1#1",
        ["2027-07-05T09:00:00+02:00", "2027-10-04T09:00:00+02:00", "2028-01-03T09:00:00+01:00"]),
    Row("each quarter on the 5th at noon", SCH, "cron 0 12 5 1,4,7,10 *",
        ["2027-07-05T12:00:00+02:00", "2027-10-05T12:00:00+02:00", "2028-01-05T12:00:00+01:00"]),
]

DAYS_OF_THE_MONTH = [
    Row("on the 31st of each month", SCH, "cron 0 9 31 * *",
        ["2027-07-31T09:00:00+02:00", "2027-08-31T09:00:00+02:00", "2027-10-31T09:00:00+01:00"]),
    Row("every month on the 29th at 10", SCH, "cron 0 10 29 * *",
        ["2027-01-29T10:00:00+01:00", "2027-03-29T10:00:00+02:00"], now="2027-01-15T12:00:00+01:00"),
    Row("every month on the 29th at 10", SCH, "cron 0 10 29 * *",
        ["2028-01-29T10:00:00+01:00", "2028-02-29T10:00:00+01:00"], now="2028-01-15T12:00:00+01:00"),
    Row("monthly on the 30th", SCH, "cron 0 9 30 * *",
        ["2027-03-30T09:00:00+02:00", "2027-04-30T09:00:00+02:00"], now="2027-01-31T12:00:00+01:00"),
    Row("every 15th", SCH, "cron 0 9 15 * *", ["2027-06-15T09:00:00+02:00", "2027-07-15T09:00:00+02:00"]),
    Row("each month on the 3rd", SCH, "cron 0 9 3 * *", ["2027-07-03T09:00:00+02:00"]),
]

EVERY_OTHER_WEEK = [
    Row("every other week on Friday at 8", REC, "days 14",
        ["2027-06-11T08:00:00+02:00", "2027-06-25T08:00:00+02:00", "2027-07-09T08:00:00+02:00"]),
    Row("every 2 weeks on Wednesday at 11:00", REC, "days 14",
        ["2027-06-16T11:00:00+02:00", "2027-06-30T11:00:00+02:00"]),
    Row("biweekly on Mondays at 9:30", REC, "days 14", ["2027-06-14T09:30:00+02:00", "2027-06-28T09:30:00+02:00"]),
    Row("every second week on Sunday", REC, "days 14", ["2027-06-13T09:00:00+02:00", "2027-06-27T09:00:00+02:00"]),
    Row("on alternate Tuesdays at 18:00", REC, "days 14", ["2027-06-15T18:00:00+02:00", "2027-06-29T18:00:00+02:00"]),
    Row("every 3 weeks on Thursday", REC, "days 21", ["2027-06-10T09:00:00+02:00", "2027-07-01T09:00:00+02:00"]),
    Row("every other week on Sunday at 2:30", REC, "days 14",
        ["2027-03-14T03:00:00-04:00", "2027-03-28T02:30:00-04:00", "2027-04-11T02:30:00-04:00"],
        tz=NY, now="2027-03-10T12:00:00-05:00"),
]

CALENDAR_RULES_AT_NINE = [
    Row("on weekends", SCH, "cron 0 9 * * 0,6", ["2027-06-12T09:00:00+02:00", "2027-06-13T09:00:00+02:00"]),
    Row("every Tuesday", SCH, "cron 0 9 * * 2", ["2027-06-15T09:00:00+02:00"]),
    Row("every year on Oct 1", SCH, "cron 0 9 1 10 *", ["2027-10-01T09:00:00+02:00", "2028-10-01T09:00:00+02:00"]),
    Row("quarterly on the 1st", SCH, "cron 0 9 1 1,4,7,10 *",
        ["2027-07-01T09:00:00+02:00", "2027-10-01T09:00:00+02:00", "2028-01-01T09:00:00+01:00"]),
    Row("on the last day of every month", SCH, "cron 0 9 L * *", ["2027-06-30T09:00:00+02:00"]),
]

TIMES_A_WEEK = [
    Row("twice a week on Tuesday and Friday at 7", SCH, "cron 0 7 * * 2,5", ["2027-06-11T07:00:00+02:00"]),
    Row("once a week on Sunday", SCH, "cron 0 9 * * 0", ["2027-06-13T09:00:00+02:00"]),
    Row("once a week", REC, "days 7", ["2027-06-16T14:20:05+02:00"]),
    Row("once a month on the 15th at 10", SCH, "cron 0 10 15 * *", ["2027-06-15T10:00:00+02:00"]),
]

TABLES = {
    "several days and times": SEVERAL_DAYS_AND_TIMES, "hour ranges": HOUR_RANGES, "quarters": QUARTERS,
    "days of the month": DAYS_OF_THE_MONTH, "every other week": EVERY_OTHER_WEEK,
    "calendar rules at nine": CALENDAR_RULES_AT_NINE, "times a week": TIMES_A_WEEK,
}
ALL = [pytest.param(row, id=f"{name}: {row_id(row)}") for name, rows in TABLES.items() for row in rows]


@pytest.mark.parametrize("row", ALL)
def test_rule_gives_its_fires(row: Row) -> None:
    check(row)


@pytest.mark.parametrize(("phrase", "summary"), [
    ("every Monday and Wednesday at 7:45 and 18:30", "Every Monday and Wednesday at 07:45 and 18:30 (Europe/Berlin)"),
    ("every hour from 8am to 6pm on weekdays", "Every weekday, every hour from 08:00 to 18:00 (Europe/Berlin)"),
    ("every 15 minutes between 10pm and 2am", "Daily, every 15 minutes from 22:00 to 02:00 (Europe/Berlin)"),
    ("every Monday at 9 and Friday at 17:30", "Every Monday at 09:00; every Friday at 17:30 (Europe/Berlin)"),
    ("quarterly on the 15th at noon",
     "On day 15 of every quarter (January, April, July, October) at 12:00 (Europe/Berlin)"),
    ("every day at 10 except Sundays", "Every day except Sunday at 10:00 (Europe/Berlin)"),
])
def test_summaries_say_the_rule(phrase: str, summary: str) -> None:
    assert describe(parse_schedule(phrase, BER, datetime.fromisoformat(WED))) == summary


@pytest.mark.parametrize(("phrase", "reason"), [
    ("on the 33rd", "day 33 does not exist in any month"),
    ("every month on the 40th", "day 40 does not exist in any month"),
    ("on the 32nd of each quarter", "day 32 does not exist in any month"),
    ("every quarter", "say which day of the month"),
    ("on the last day of every quarter", "say which day of January, April, July and October"),
    ("Monday and Thursday at 9", "several days without 'every'"),
    ("every other Monday and Thursday", "'every N weeks' takes one weekday"),
    ("every 3 days on Mondays", "'every 3 days' cannot be limited to some days of the week"),
    ("every day except every day", "no schedule recognised"),
    ("every day except Monday to Sunday", "no day is left once the exceptions are taken out"),
    ("every Monday on the 15th", "a day of the month and days of the week cannot be combined"),
    ("every 7 minutes on weekdays", "these times need more cron lines than a job holds"),
    ("every 90 seconds from 9 to 10", "a rule on the clock takes a step of whole minutes"),
    ("every 0 minutes from 9 to 10", "the interval must be greater than zero"),
    ("every 2 weeks on Tuesday at 9 and 17", "this schedule takes a single time of day"),
    ("twice a week at 9", "'twice a week' needs 2 weekdays"),
])
def test_unusable_rules_are_refused(phrase: str, reason: str) -> None:
    assert refusal(phrase).startswith(reason)
