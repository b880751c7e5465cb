"""Plain-words schedules: a table of phrases, each with its zone, `now`, type, explicit form and fires.

Every expected fire below was worked out by hand from a calendar and the DST rules
of docs/schedule-conventions.md, never by running the code under test. 2027 facts used:
June 9 is a Wednesday; New York springs forward on March 14 (02:00 EST -> 03:00 EDT)
and falls back on November 7 (02:00 EDT -> 01:00 EST); Berlin on March 28 (02:00 CET
-> 03:00 CEST) and October 31 (03:00 CEST -> 02:00 CET); Sydney falls back on April 4
(03:00 AEDT -> 02:00 AEST) and springs forward on October 3 (02:00 AEST -> 03:00 AEDT).
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta, timezone

import pytest

from scheduler.schedules.phrases import EXAMPLES, parse_schedule
from scheduler.schedules.preview import SchedulePreview, preview_schedule
from scheduler.schedules.schedule_math import describe
from scheduler.schedules.spec import ScheduleSpec
from store.enums import JobType
from store.errors import InvalidArgument
from tests.scheduler.schedules.phrases.table import form_of

ONE, SCH, REC = JobType.ONE_OFF, JobType.SCHEDULED, JobType.RECURRING
BER, NY, SYD, UTC_ZONE = "Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"
# Wednesday 2027-06-09, 14:20:05 summer time in Berlin: far from any DST change.
WED = "2027-06-09T14:20:05+02:00"

# (phrase, zone, now, job type, explicit form, expected fires in local ISO 8601)
# The explicit form is "cron <line>", "seconds <n>", "days <n>" or "" for a one-off.
PLAIN_ROWS: list[tuple[str, str, str, JobType, str, list[str]]] = [
    # ---- one-offs, Berlin, Wednesday afternoon
    ("tomorrow at 9am", BER, WED, ONE, "", ["2027-06-10T09:00:00+02:00"]),
    ("tomorrow morning", BER, WED, ONE, "", ["2027-06-10T09:00:00+02:00"]),
    ("the day after tomorrow at 10", BER, WED, ONE, "", ["2027-06-11T10:00:00+02:00"]),
    ("next Friday at 5pm", BER, WED, ONE, "", ["2027-06-11T17:00:00+02:00"]),
    ("this Friday at 5pm", BER, WED, ONE, "", ["2027-06-11T17:00:00+02:00"]),
    ("next Wednesday", BER, WED, ONE, "", ["2027-06-16T09:00:00+02:00"]),
    ("next Monday at 8:15", BER, WED, ONE, "", ["2027-06-14T08:15:00+02:00"]),
    ("this Sunday at 10am", BER, WED, ONE, "", ["2027-06-13T10:00:00+02:00"]),
    # A bare weekday is the first such day strictly after today, like 'next <weekday>' (Chat phrasings).
    ("Wednesday at 3pm", BER, WED, ONE, "", ["2027-06-16T15:00:00+02:00"]),
    ("on Wednesday at 1pm", BER, WED, ONE, "", ["2027-06-16T13:00:00+02:00"]),
    ("on Dec 24 at 18:00", BER, WED, ONE, "", ["2027-12-24T18:00:00+01:00"]),
    ("on 2028-01-15 at 9am", BER, WED, ONE, "", ["2028-01-15T09:00:00+01:00"]),
    ("December 24th at 6pm", BER, WED, ONE, "", ["2027-12-24T18:00:00+01:00"]),
    ("on New Year's Day", BER, WED, ONE, "", ["2028-01-01T09:00:00+01:00"]),
    ("on Christmas Eve at 6pm", BER, WED, ONE, "", ["2027-12-24T18:00:00+01:00"]),
    ("on 24 December 2027 at 18:00", BER, WED, ONE, "", ["2027-12-24T18:00:00+01:00"]),
    ("Friday, December 24th 2027 at 9", BER, WED, ONE, "", ["2027-12-24T09:00:00+01:00"]),
    ("on June 30 at 9:30 pm", BER, WED, ONE, "", ["2027-06-30T21:30:00+02:00"]),
    ("on June 1", BER, WED, ONE, "", ["2028-06-01T09:00:00+02:00"]),
    ("on the 15th", BER, WED, ONE, "", ["2027-06-15T09:00:00+02:00"]),
    ("on the 31st at noon", BER, WED, ONE, "", ["2027-07-31T12:00:00+02:00"]),
    ("2027-12-01T10:00", BER, WED, ONE, "", ["2027-12-01T10:00:00+01:00"]),
    ("15.01.2028", BER, WED, ONE, "", ["2028-01-15T09:00:00+01:00"]),
    ("in 3 days", BER, WED, ONE, "", ["2027-06-12T14:20:05+02:00"]),
    ("in 3 days at 9am", BER, WED, ONE, "", ["2027-06-12T09:00:00+02:00"]),
    ("in 90 minutes", BER, WED, ONE, "", ["2027-06-09T15:50:05+02:00"]),
    ("in 2 hours", BER, WED, ONE, "", ["2027-06-09T16:20:05+02:00"]),
    ("in two hours", BER, WED, ONE, "", ["2027-06-09T16:20:05+02:00"]),
    ("in 30 seconds", BER, WED, ONE, "", ["2027-06-09T14:20:35+02:00"]),
    ("in half an hour", BER, WED, ONE, "", ["2027-06-09T14:50:05+02:00"]),
    ("in 1 week", BER, WED, ONE, "", ["2027-06-16T14:20:05+02:00"]),
    ("in 2 weeks", BER, WED, ONE, "", ["2027-06-23T14:20:05+02:00"]),
    ("a week from today", BER, WED, ONE, "", ["2027-06-16T14:20:05+02:00"]),
    ("3 days from now", BER, WED, ONE, "", ["2027-06-12T14:20:05+02:00"]),
    ("this evening", BER, WED, ONE, "", ["2027-06-09T18:00:00+02:00"]),
    ("this evening at 7", BER, WED, ONE, "", ["2027-06-09T19:00:00+02:00"]),
    ("tomorrow evening", BER, WED, ONE, "", ["2027-06-10T18:00:00+02:00"]),
    ("tonight", BER, WED, ONE, "", ["2027-06-09T20:00:00+02:00"]),
    ("tonight at 8pm", BER, WED, ONE, "", ["2027-06-09T20:00:00+02:00"]),
    ("tonight at 11", BER, WED, ONE, "", ["2027-06-09T23:00:00+02:00"]),
    ("at midnight tonight", BER, WED, ONE, "", ["2027-06-10T00:00:00+02:00"]),
    ("at 3pm", BER, WED, ONE, "", ["2027-06-09T15:00:00+02:00"]),
    ("at 1pm", BER, WED, ONE, "", ["2027-06-10T13:00:00+02:00"]),
    ("at noon", BER, WED, ONE, "", ["2027-06-10T12:00:00+02:00"]),
    ("at midnight", BER, WED, ONE, "", ["2027-06-10T00:00:00+02:00"]),
    ("at 12am", BER, WED, ONE, "", ["2027-06-10T00:00:00+02:00"]),
    ("at 12pm", BER, WED, ONE, "", ["2027-06-10T12:00:00+02:00"]),
    ("at 00:30", BER, WED, ONE, "", ["2027-06-10T00:30:00+02:00"]),
    ("at 9.30pm", BER, WED, ONE, "", ["2027-06-09T21:30:00+02:00"]),
    ("tomorrow 21:00", BER, WED, ONE, "", ["2027-06-10T21:00:00+02:00"]),
    ("  TOMORROW   at  9 A.M. ", BER, WED, ONE, "", ["2027-06-10T09:00:00+02:00"]),
    ("tomorrow at 9 o'clock!", BER, WED, ONE, "", ["2027-06-10T09:00:00+02:00"]),
    ("Tomorrow @ 9am", BER, WED, ONE, "", ["2027-06-10T09:00:00+02:00"]),
    ("12/31/2027", BER, WED, ONE, "", ["2027-12-31T09:00:00+01:00"]),
    ("2028/01/15 at 10", BER, WED, ONE, "", ["2028-01-15T10:00:00+01:00"]),
    ("tomorrow at 9am", UTC_ZONE, "2027-06-09T14:20:05+00:00", ONE, "", ["2027-06-10T09:00:00+00:00"]),
    # ---- recurrences, Berlin, Wednesday afternoon
    ("every Monday at 9am", BER, WED, SCH, "cron 0 9 * * 1",
     ["2027-06-14T09:00:00+02:00", "2027-06-21T09:00:00+02:00", "2027-06-28T09:00:00+02:00"]),
    ("Every Monday, at 9AM.", BER, WED, SCH, "cron 0 9 * * 1",
     ["2027-06-14T09:00:00+02:00", "2027-06-21T09:00:00+02:00", "2027-06-28T09:00:00+02:00"]),
    ("every Sunday", BER, WED, SCH, "cron 0 9 * * 0",
     ["2027-06-13T09:00:00+02:00", "2027-06-20T09:00:00+02:00", "2027-06-27T09:00:00+02:00"]),
    ("every weekday at 8:30", BER, WED, SCH, "cron 30 8 * * 1-5",
     ["2027-06-10T08:30:00+02:00", "2027-06-11T08:30:00+02:00", "2027-06-14T08:30:00+02:00"]),
    ("weekdays at 8:30", BER, WED, SCH, "cron 30 8 * * 1-5",
     ["2027-06-10T08:30:00+02:00", "2027-06-11T08:30:00+02:00", "2027-06-14T08:30:00+02:00"]),
    ("Mon-Fri at 7am", BER, WED, SCH, "cron 0 7 * * 1-5",
     ["2027-06-10T07:00:00+02:00", "2027-06-11T07:00:00+02:00", "2027-06-14T07:00:00+02:00"]),
    ("every weekday morning", BER, WED, SCH, "cron 0 9 * * 1-5",
     ["2027-06-10T09:00:00+02:00", "2027-06-11T09:00:00+02:00", "2027-06-14T09:00:00+02:00"]),
    ("every day at noon", BER, WED, SCH, "cron 0 12 * * *",
     ["2027-06-10T12:00:00+02:00", "2027-06-11T12:00:00+02:00", "2027-06-12T12:00:00+02:00"]),
    ("daily at noon", BER, WED, SCH, "cron 0 12 * * *",
     ["2027-06-10T12:00:00+02:00", "2027-06-11T12:00:00+02:00", "2027-06-12T12:00:00+02:00"]),
    ("each day at 07:45", BER, WED, SCH, "cron 45 7 * * *",
     ["2027-06-10T07:45:00+02:00", "2027-06-11T07:45:00+02:00"]),
    ("every morning at 7", BER, WED, SCH, "cron 0 7 * * *",
     ["2027-06-10T07:00:00+02:00", "2027-06-11T07:00:00+02:00"]),
    ("every night at 10", BER, WED, SCH, "cron 0 22 * * *",
     ["2027-06-09T22:00:00+02:00", "2027-06-10T22:00:00+02:00"]),
    ("every Sunday evening", BER, WED, SCH, "cron 0 18 * * 0",
     ["2027-06-13T18:00:00+02:00", "2027-06-20T18:00:00+02:00", "2027-06-27T18:00:00+02:00"]),
    ("twice a day at 9 and 21", BER, WED, SCH, "cron 0 9,21 * * *",
     ["2027-06-09T21:00:00+02:00", "2027-06-10T09:00:00+02:00", "2027-06-10T21:00:00+02:00"]),
    ("three times a day at 8, 12 and 18", BER, WED, SCH, "cron 0 8,12,18 * * *",
     ["2027-06-09T18:00:00+02:00", "2027-06-10T08:00:00+02:00", "2027-06-10T12:00:00+02:00"]),
    ("every morning and evening", BER, WED, SCH, "cron 0 9,18 * * *",
     ["2027-06-09T18:00:00+02:00", "2027-06-10T09:00:00+02:00", "2027-06-10T18:00:00+02:00"]),
    ("every monday at 9am and 5pm", BER, WED, SCH, "cron 0 9,17 * * 1",
     ["2027-06-14T09:00:00+02:00", "2027-06-14T17:00:00+02:00", "2027-06-21T09:00:00+02:00"]),
    # Times with different minutes need one cron line each (Chat phrasings: several times combine).
    ("every monday at 9:30am and 5pm", BER, WED, SCH, "cron 30 9 * * 1; 0 17 * * 1",
     ["2027-06-14T09:30:00+02:00", "2027-06-14T17:00:00+02:00", "2027-06-21T09:30:00+02:00"]),
    ("every Monday, Wednesday and Friday at 9:00!", BER, WED, SCH, "cron 0 9 * * 1,3,5",
     ["2027-06-11T09:00:00+02:00", "2027-06-14T09:00:00+02:00", "2027-06-16T09:00:00+02:00"]),
    ("Tuesdays and Thursdays at 6:15pm", BER, WED, SCH, "cron 15 18 * * 2,4",
     ["2027-06-10T18:15:00+02:00", "2027-06-15T18:15:00+02:00", "2027-06-17T18:15:00+02:00"]),
    ("weekends at 10am", BER, WED, SCH, "cron 0 10 * * 0,6",
     ["2027-06-12T10:00:00+02:00", "2027-06-13T10:00:00+02:00", "2027-06-19T10:00:00+02:00"]),
    ("every Saturday and Sunday at 10", BER, WED, SCH, "cron 0 10 * * 0,6",
     ["2027-06-12T10:00:00+02:00", "2027-06-13T10:00:00+02:00", "2027-06-19T10:00:00+02:00"]),
    ("every hour", BER, WED, REC, "seconds 3600",
     ["2027-06-09T15:20:05+02:00", "2027-06-09T16:20:05+02:00", "2027-06-09T17:20:05+02:00"]),
    ("hourly", BER, WED, REC, "seconds 3600",
     ["2027-06-09T15:20:05+02:00", "2027-06-09T16:20:05+02:00"]),
    ("every hour on the hour", BER, WED, SCH, "cron 0 * * * *",
     ["2027-06-09T15:00:00+02:00", "2027-06-09T16:00:00+02:00", "2027-06-09T17:00:00+02:00"]),
    ("every 2 hours on the hour", BER, WED, SCH, "cron 0 */2 * * *",
     ["2027-06-09T16:00:00+02:00", "2027-06-09T18:00:00+02:00", "2027-06-09T20:00:00+02:00"]),
    ("every minute", BER, WED, REC, "seconds 60",
     ["2027-06-09T14:21:05+02:00", "2027-06-09T14:22:05+02:00", "2027-06-09T14:23:05+02:00"]),
    ("every 90 seconds", BER, WED, REC, "seconds 90",
     ["2027-06-09T14:21:35+02:00", "2027-06-09T14:23:05+02:00", "2027-06-09T14:24:35+02:00"]),
    ("every 15 minutes", BER, WED, REC, "seconds 900",
     ["2027-06-09T14:35:05+02:00", "2027-06-09T14:50:05+02:00", "2027-06-09T15:05:05+02:00"]),
    ("every 45 minutes", BER, WED, REC, "seconds 2700",
     ["2027-06-09T15:05:05+02:00", "2027-06-09T15:50:05+02:00", "2027-06-09T16:35:05+02:00"]),
    ("every 2 hours", BER, WED, REC, "seconds 7200",
     ["2027-06-09T16:20:05+02:00", "2027-06-09T18:20:05+02:00", "2027-06-09T20:20:05+02:00"]),
    ("every day", BER, WED, REC, "days 1",
     ["2027-06-10T14:20:05+02:00", "2027-06-11T14:20:05+02:00", "2027-06-12T14:20:05+02:00"]),
    ("daily", BER, WED, REC, "days 1",
     ["2027-06-10T14:20:05+02:00", "2027-06-11T14:20:05+02:00"]),
    ("every other day", BER, WED, REC, "days 2",
     ["2027-06-11T14:20:05+02:00", "2027-06-13T14:20:05+02:00", "2027-06-15T14:20:05+02:00"]),
    ("every 3 days", BER, WED, REC, "days 3",
     ["2027-06-12T14:20:05+02:00", "2027-06-15T14:20:05+02:00", "2027-06-18T14:20:05+02:00"]),
    ("every 30 days at 9", BER, WED, REC, "days 30",
     ["2027-06-10T09:00:00+02:00", "2027-07-10T09:00:00+02:00", "2027-08-09T09:00:00+02:00"]),
    ("every week", BER, WED, REC, "days 7",
     ["2027-06-16T14:20:05+02:00", "2027-06-23T14:20:05+02:00", "2027-06-30T14:20:05+02:00"]),
    ("every 2 weeks", BER, WED, REC, "days 14",
     ["2027-06-23T14:20:05+02:00", "2027-07-07T14:20:05+02:00", "2027-07-21T14:20:05+02:00"]),
    ("every other Tuesday at 9am", BER, WED, REC, "days 14",
     ["2027-06-15T09:00:00+02:00", "2027-06-29T09:00:00+02:00", "2027-07-13T09:00:00+02:00"]),
    ("fortnightly on monday at 8", BER, WED, REC, "days 14",
     ["2027-06-14T08:00:00+02:00", "2027-06-28T08:00:00+02:00", "2027-07-12T08:00:00+02:00"]),
    ("every 5 weeks on friday", BER, WED, REC, "days 35",
     ["2027-06-11T09:00:00+02:00", "2027-07-16T09:00:00+02:00", "2027-08-20T09:00:00+02:00"]),
    ("on the 1st and 15th of every month at 9am", BER, WED, SCH, "cron 0 9 1,15 * *",
     ["2027-06-15T09:00:00+02:00", "2027-07-01T09:00:00+02:00", "2027-07-15T09:00:00+02:00"]),
    ("on the 1st of every month", BER, WED, SCH, "cron 0 9 1 * *",
     ["2027-07-01T09:00:00+02:00", "2027-08-01T09:00:00+02:00", "2027-09-01T09:00:00+02:00"]),
    ("the first of every month", BER, WED, SCH, "cron 0 9 1 * *",
     ["2027-07-01T09:00:00+02:00", "2027-08-01T09:00:00+02:00"]),
    ("monthly on the 15th at 10:00", BER, WED, SCH, "cron 0 10 15 * *",
     ["2027-06-15T10:00:00+02:00", "2027-07-15T10:00:00+02:00", "2027-08-15T10:00:00+02:00"]),
    ("every month on the 20th", BER, WED, SCH, "cron 0 9 20 * *",
     ["2027-06-20T09:00:00+02:00", "2027-07-20T09:00:00+02:00"]),
    ("on the first Monday of every month", BER, WED, SCH, "cron 0 9 * * 1#1",
     ["2027-07-05T09:00:00+02:00", "2027-08-02T09:00:00+02:00", "2027-09-06T09:00:00+02:00"]),
    ("on the last Thursday of every month", BER, WED, SCH, "cron 0 9 * * L4",
     ["2027-06-24T09:00:00+02:00", "2027-07-29T09:00:00+02:00", "2027-08-26T09:00:00+02:00"]),
    ("on the fifth Friday of every month", BER, WED, SCH, "cron 0 9 * * 5#5",
     ["2027-07-30T09:00:00+02:00", "2027-10-29T09:00:00+02:00", "2027-12-31T09:00:00+01:00"]),
    ("last day of every month at 9pm", BER, WED, SCH, "cron 0 21 L * *",
     ["2027-06-30T21:00:00+02:00", "2027-07-31T21:00:00+02:00", "2027-08-31T21:00:00+02:00"]),
    ("at 5pm on the last friday of every month", BER, WED, SCH, "cron 0 17 * * L5",
     ["2027-06-25T17:00:00+02:00", "2027-07-30T17:00:00+02:00"]),
    ("weekly on friday at 4pm", BER, WED, SCH, "cron 0 16 * * 5",
     ["2027-06-11T16:00:00+02:00", "2027-06-18T16:00:00+02:00"]),
    ("every year on the 4th of july at noon", BER, WED, SCH, "cron 0 12 4 7 *",
     ["2027-07-04T12:00:00+02:00", "2028-07-04T12:00:00+02:00"]),
    ("every year on March 12", BER, WED, SCH, "cron 0 9 12 3 *",
     ["2028-03-12T09:00:00+01:00", "2029-03-12T09:00:00+01:00", "2030-03-12T09:00:00+01:00"]),
    ("every March 12 at 9am", BER, WED, SCH, "cron 0 9 12 3 *",
     ["2028-03-12T09:00:00+01:00", "2029-03-12T09:00:00+01:00"]),
    ("every year on Feb 29", BER, WED, SCH, "cron 0 9 29 2 *",
     ["2028-02-29T09:00:00+01:00", "2032-02-29T09:00:00+01:00"]),
    ("every Christmas at 8am", BER, WED, SCH, "cron 0 8 25 12 *",
     ["2027-12-25T08:00:00+01:00", "2028-12-25T08:00:00+01:00"]),
    ("on the 31st of every month at noon", UTC_ZONE, "2027-06-09T14:20:05+00:00", SCH, "cron 0 12 31 * *",
     ["2027-07-31T12:00:00+00:00", "2027-08-31T12:00:00+00:00", "2027-10-31T12:00:00+00:00"]),
]

# Rows whose fires cross (or sit on) a DST change.
DST_ROWS: list[tuple[str, str, str, JobType, str, list[str]]] = [
    # ---- New York, spring forward 2027-03-14 02:00 EST -> 03:00 EDT
    ("every 2 hours", NY, "2027-03-14T00:30:00-05:00", REC, "seconds 7200",
     ["2027-03-14T03:30:00-04:00", "2027-03-14T05:30:00-04:00", "2027-03-14T07:30:00-04:00"]),
    ("every day at 2:30", NY, "2027-03-13T12:00:00-05:00", SCH, "cron 30 2 * * *",
     ["2027-03-14T03:00:00-04:00", "2027-03-15T02:30:00-04:00", "2027-03-16T02:30:00-04:00"]),
    ("every hour on the hour", NY, "2027-03-14T00:30:00-05:00", SCH, "cron 0 * * * *",
     ["2027-03-14T01:00:00-05:00", "2027-03-14T03:00:00-04:00", "2027-03-14T04:00:00-04:00"]),
    ("every day at 9am", NY, "2027-03-12T12:00:00-05:00", SCH, "cron 0 9 * * *",
     ["2027-03-13T09:00:00-05:00", "2027-03-14T09:00:00-04:00", "2027-03-15T09:00:00-04:00"]),
    ("every Monday at 9am", NY, "2027-03-05T12:00:00-05:00", SCH, "cron 0 9 * * 1",
     ["2027-03-08T09:00:00-05:00", "2027-03-15T09:00:00-04:00", "2027-03-22T09:00:00-04:00"]),
    ("on the second Sunday of every month at 2:30", NY, "2027-03-01T12:00:00-05:00", SCH, "cron 30 2 * * 0#2",
     ["2027-03-14T03:00:00-04:00", "2027-04-11T02:30:00-04:00", "2027-05-09T02:30:00-04:00"]),
    ("every week", NY, "2027-03-10T09:15:00-05:00", REC, "days 7",
     ["2027-03-17T09:15:00-04:00", "2027-03-24T09:15:00-04:00", "2027-03-31T09:15:00-04:00"]),
    ("tomorrow at 2:30", NY, "2027-03-13T12:00:00-05:00", ONE, "", ["2027-03-14T03:00:00-04:00"]),
    ("next Sunday at 2:30am", NY, "2027-03-10T12:00:00-05:00", ONE, "", ["2027-03-14T03:00:00-04:00"]),
    ("in 1 hour", NY, "2027-03-14T01:30:00-05:00", ONE, "", ["2027-03-14T03:30:00-04:00"]),
    ("in 1 day", NY, "2027-03-13T02:30:00-05:00", ONE, "", ["2027-03-14T03:00:00-04:00"]),
    ("in 1 day", NY, "2027-03-13T12:00:00-05:00", ONE, "", ["2027-03-14T12:00:00-04:00"]),
    ("in 24 hours", NY, "2027-03-13T12:00:00-05:00", ONE, "", ["2027-03-14T13:00:00-04:00"]),
    ("in 3 days", NY, "2027-03-12T10:00:00-05:00", ONE, "", ["2027-03-15T10:00:00-04:00"]),
    ("in 72 hours", NY, "2027-03-12T10:00:00-05:00", ONE, "", ["2027-03-15T11:00:00-04:00"]),
    # ---- New York, fall back 2027-11-07 02:00 EDT -> 01:00 EST
    ("daily at 1:30", NY, "2027-11-06T12:00:00-04:00", SCH, "cron 30 1 * * *",
     ["2027-11-07T01:30:00-04:00", "2027-11-08T01:30:00-05:00", "2027-11-09T01:30:00-05:00"]),
    ("daily at 1:30", NY, "2027-11-07T01:10:00-05:00", SCH, "cron 30 1 * * *",
     ["2027-11-08T01:30:00-05:00", "2027-11-09T01:30:00-05:00"]),
    ("every day at 2:30", NY, "2027-11-06T12:00:00-04:00", SCH, "cron 30 2 * * *",
     ["2027-11-07T02:30:00-05:00", "2027-11-08T02:30:00-05:00"]),
    ("every hour on the hour", NY, "2027-11-07T00:30:00-04:00", SCH, "cron 0 * * * *",
     ["2027-11-07T01:00:00-04:00", "2027-11-07T02:00:00-05:00", "2027-11-07T03:00:00-05:00"]),
    ("every 2 hours", NY, "2027-11-07T00:30:00-04:00", REC, "seconds 7200",
     ["2027-11-07T01:30:00-05:00", "2027-11-07T03:30:00-05:00", "2027-11-07T05:30:00-05:00"]),
    ("every other Sunday at 1:30", NY, "2027-11-01T12:00:00-04:00", REC, "days 14",
     ["2027-11-07T01:30:00-04:00", "2027-11-21T01:30:00-05:00", "2027-12-05T01:30:00-05:00"]),
    ("in 1 hour", NY, "2027-11-07T01:30:00-04:00", ONE, "", ["2027-11-07T01:30:00-05:00"]),
    ("tomorrow at 1:30", NY, "2027-11-06T10:00:00-04:00", ONE, "", ["2027-11-07T01:30:00-04:00"]),
    ("at 1:30", NY, "2027-11-07T01:45:00-04:00", ONE, "", ["2027-11-08T01:30:00-05:00"]),
    # ---- Berlin, spring forward 2027-03-28 02:00 CET -> 03:00 CEST; fall back 2027-10-31 03:00 -> 02:00
    ("every day at 2:30", BER, "2027-03-27T12:00:00+01:00", SCH, "cron 30 2 * * *",
     ["2027-03-28T03:00:00+02:00", "2027-03-29T02:30:00+02:00", "2027-03-30T02:30:00+02:00"]),
    ("every 30 minutes", BER, "2027-03-28T01:45:00+01:00", REC, "seconds 1800",
     ["2027-03-28T03:15:00+02:00", "2027-03-28T03:45:00+02:00", "2027-03-28T04:15:00+02:00"]),
    ("on the last Sunday of every month at 2:30", BER, "2027-03-01T12:00:00+01:00", SCH, "cron 30 2 * * L0",
     ["2027-03-28T03:00:00+02:00", "2027-04-25T02:30:00+02:00", "2027-05-30T02:30:00+02:00"]),
    ("every week", BER, "2027-03-24T08:00:00+01:00", REC, "days 7",
     ["2027-03-31T08:00:00+02:00", "2027-04-07T08:00:00+02:00"]),
    ("tomorrow at 2:30", BER, "2027-03-27T20:00:00+01:00", ONE, "", ["2027-03-28T03:00:00+02:00"]),
    ("daily at 2:30", BER, "2027-10-30T12:00:00+02:00", SCH, "cron 30 2 * * *",
     ["2027-10-31T02:30:00+02:00", "2027-11-01T02:30:00+01:00", "2027-11-02T02:30:00+01:00"]),
    ("every Sunday at 2:30", BER, "2027-10-25T12:00:00+02:00", SCH, "cron 30 2 * * 0",
     ["2027-10-31T02:30:00+02:00", "2027-11-07T02:30:00+01:00", "2027-11-14T02:30:00+01:00"]),
    ("in 1 hour", BER, "2027-10-31T02:30:00+02:00", ONE, "", ["2027-10-31T02:30:00+01:00"]),
    ("in 2 days", BER, "2027-10-29T02:30:00+02:00", ONE, "", ["2027-10-31T02:30:00+02:00"]),
    # ---- Sydney, fall back 2027-04-04 03:00 AEDT -> 02:00 AEST; spring forward 2027-10-03 02:00 -> 03:00
    ("daily at 2:30", SYD, "2027-04-03T12:00:00+11:00", SCH, "cron 30 2 * * *",
     ["2027-04-04T02:30:00+11:00", "2027-04-05T02:30:00+10:00", "2027-04-06T02:30:00+10:00"]),
    ("every Sunday at 9am", SYD, "2027-03-27T12:00:00+11:00", SCH, "cron 0 9 * * 0",
     ["2027-03-28T09:00:00+11:00", "2027-04-04T09:00:00+10:00", "2027-04-11T09:00:00+10:00"]),
    ("every day", SYD, "2027-04-03T09:00:00+11:00", REC, "days 1",
     ["2027-04-04T09:00:00+10:00", "2027-04-05T09:00:00+10:00", "2027-04-06T09:00:00+10:00"]),
    ("in 1 hour", SYD, "2027-04-04T02:30:00+11:00", ONE, "", ["2027-04-04T02:30:00+10:00"]),
    ("at 2:30", SYD, "2027-04-04T02:45:00+11:00", ONE, "", ["2027-04-05T02:30:00+10:00"]),
    ("every day at 2:30", SYD, "2027-10-02T12:00:00+10:00", SCH, "cron 30 2 * * *",
     ["2027-10-03T03:00:00+11:00", "2027-10-04T02:30:00+11:00", "2027-10-05T02:30:00+11:00"]),
    ("every 2 hours", SYD, "2027-10-03T01:00:00+10:00", REC, "seconds 7200",
     ["2027-10-03T04:00:00+11:00", "2027-10-03T06:00:00+11:00", "2027-10-03T08:00:00+11:00"]),
    ("monthly on the 3rd at 2:30", SYD, "2027-09-10T12:00:00+10:00", SCH, "cron 30 2 3 * *",
     ["2027-10-03T03:00:00+11:00", "2027-11-03T02:30:00+11:00", "2027-12-03T02:30:00+11:00"]),
    ("tomorrow at 2:30", SYD, "2027-10-02T09:00:00+10:00", ONE, "", ["2027-10-03T03:00:00+11:00"]),
    ("in 2 days", SYD, "2027-10-01T02:30:00+10:00", ONE, "", ["2027-10-03T03:00:00+11:00"]),
]

ALL_ROWS = PLAIN_ROWS + DST_ROWS


def _row_id(row: tuple[str, str, str, JobType, str, list[str]]) -> str:
    return f"{row[0].strip()} [{row[1].rsplit('/', 1)[-1]} {row[2][:16]}]"


ROW_IDS = [_row_id(row) for row in ALL_ROWS]


def test_the_table_is_large_enough() -> None:
    assert len(ALL_ROWS) >= 100
    assert len(DST_ROWS) >= 20


@pytest.mark.parametrize(("phrase", "tz", "now", "job_type", "form", "fires"), ALL_ROWS, ids=ROW_IDS)
def test_phrase_gives_the_conventions_fires(
    phrase: str, tz: str, now: str, job_type: JobType, form: str, fires: list[str]
) -> None:
    instant = datetime.fromisoformat(now).astimezone(UTC)
    spec = parse_schedule(phrase, tz, instant)
    assert spec.job_type is job_type
    assert spec.timezone == tz
    assert form_of(spec) == form
    preview = preview_schedule(spec, instant, len(fires) if job_type is not ONE else 3)
    assert preview.fires_local == fires
    assert [fire.astimezone(UTC) for fire in preview.fires_utc] == [
        datetime.fromisoformat(fire).astimezone(UTC) for fire in fires
    ]


@pytest.mark.parametrize(("phrase", "tz", "now", "job_type", "form", "fires"), ALL_ROWS, ids=ROW_IDS)
def test_phrase_spec_is_explicit_and_anchored(
    phrase: str, tz: str, now: str, job_type: JobType, form: str, fires: list[str]
) -> None:
    instant = datetime.fromisoformat(now).astimezone(UTC)
    spec = parse_schedule(phrase, tz, instant)
    if job_type is ONE:
        assert spec.run_at == datetime.fromisoformat(fires[0])
        assert (spec.cron, spec.interval_seconds, spec.interval_days) == (None, None, None)
    elif job_type is REC:
        # The anchor is the first fire, so a stored job fires exactly as previewed.
        assert spec.anchor_at == datetime.fromisoformat(fires[0])
        assert spec.run_at is None and spec.cron is None
    else:
        assert spec.run_at is None and spec.anchor_at is None


def test_every_n_days_anchored_in_a_gap_returns_to_the_asked_time() -> None:
    now = datetime.fromisoformat("2027-03-24T02:30:00+01:00")
    spec = parse_schedule("every 4 days", BER, now)
    fires = preview_schedule(spec, now, 2).fires_local
    assert fires == ["2027-03-28T03:00:00+02:00", "2027-04-01T02:30:00+02:00"]


# --------------------------------------------------------------------------- errors

ERROR_ROWS: list[tuple[str, str]] = [
    # not a schedule
    ("every blue moon", "no schedule recognised in this text"),
    ("whenever you feel like it", "no schedule recognised in this text"),
    ("", "no schedule recognised in this text"),
    ("!!!", "no schedule recognised in this text"),
    # impossible dates
    ("February 30", "February 30 does not exist"),
    ("on April 31 at 9am", "April 31 does not exist"),
    ("on Feb 29 2027", "February 29 does not exist in 2027"),
    ("every year on Feb 30", "February 30 does not exist"),
    ("on 2028-13-01", "month 13 does not exist"),
    ("on the 32nd of every month", "day 32 does not exist in any month"),
    ("Monday, December 24th 2027", "December 24, 2027 is a Friday, not a Monday"),
    # invalid times
    ("at 25:00", "25:00 is not a valid time"),
    ("tomorrow at 13pm", "13pm is not a valid time"),
    ("tomorrow at 9:75", "9:75 is not a valid time"),
    ("every day at 24:00", "24:00 is not a valid time"),
    ("every Monday at 0am", "0am is not a valid time"),
    # zero intervals and delays
    ("every 0 minutes", "the interval must be greater than zero"),
    ("every 0 days", "the interval must be greater than zero"),
    ("in 0 minutes", "the delay must be greater than zero"),
    # moments already past (now: Wednesday 2027-06-09 14:20:05 Berlin)
    ("yesterday at 5pm", "that moment is already past"),
    ("2 days ago", "that moment is already past"),
    ("last Friday", "that moment is already past"),
    ("at 9am on 2020-01-01", "that moment is already past (2020-01-01T09:00:00+01:00)"),
    ("on 2027-06-01", "that moment is already past (2027-06-01T09:00:00+02:00)"),
    ("today at 8am", "that moment is already past (2027-06-09T08:00:00+02:00)"),
    ("this morning", "that moment is already past"),
    ("this Monday", "that moment is already past"),
    # readable, but not a rule we can keep
    ("twice a day at 9", "'twice a day' needs 2 distinct times"),
    ("tomorrow at 9 and 17", "this schedule takes a single time of day"),
    ("every month", "say which day of the month"),
    ("every 2 months", "intervals of months are not supported"),
    ("in 2 hours at 5pm", "an offset in seconds, minutes or hours takes no time of day"),
    ("every 15 minutes at 9am", "an interval of seconds, minutes or hours takes no time of day"),
    ("every 5 hours on the hour", "'on the hour' goes with"),
    ("01/02/2028", "01/02/2028 is ambiguous"),
    ("31.02.2028", "31.02.2028 is not a date"),
    ("every day " * 21, "a schedule of at most 200 characters"),
    ("in 20000 days", "that is too far ahead"),
]


ERROR_IDS = [row[0][:40] or "<empty>" for row in ERROR_ROWS]


@pytest.mark.parametrize(("phrase", "reason"), ERROR_ROWS, ids=ERROR_IDS)
def test_unusable_phrases_are_refused_with_a_reason(phrase: str, reason: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_schedule(phrase, BER, datetime.fromisoformat(WED))
    error = caught.value
    assert error.field == "schedule"
    assert error.got == phrase
    assert error.reason is not None and error.reason.startswith(reason), error.reason
    assert error.expected == EXAMPLES
    assert str(error).startswith(f"schedule: {reason}")
    assert f"; expected {EXAMPLES}, got " in str(error)


def test_each_error_class_has_its_own_reason() -> None:
    now = datetime.fromisoformat(WED)
    reasons = set()
    for phrase in ("every blue moon", "February 30", "at 25:00", "every 0 minutes", "yesterday at 5pm"):
        with pytest.raises(InvalidArgument) as caught:
            parse_schedule(phrase, BER, now)
        reasons.add((caught.value.reason or "").split(" (")[0])
    assert len(reasons) == 5


# --------------------------------------------------------------------------- determinism and anchors


def test_the_system_clock_is_never_consulted() -> None:
    freezegun = pytest.importorskip("freezegun")
    now = datetime.fromisoformat(WED)
    phrases = ["15.01.2028", "on Dec 24 at 18:00", "at 3pm", "every 2 hours", "in 3 days"]
    expected = [parse_schedule(phrase, BER, now) for phrase in phrases]
    with freezegun.freeze_time("2041-02-03 04:05:06"):
        assert [parse_schedule(phrase, BER, now) for phrase in phrases] == expected


def test_elapsed_anchor_is_now_plus_the_interval_to_the_second() -> None:
    now = datetime(2027, 6, 9, 12, 20, 5, 750_000, tzinfo=UTC)
    spec = parse_schedule("every 15 minutes", BER, now)
    assert spec.interval_seconds == 900
    assert spec.anchor_at == datetime(2027, 6, 9, 12, 35, 5, tzinfo=UTC)


def test_now_in_any_zone_is_read_as_an_instant() -> None:
    in_utc = datetime(2027, 6, 9, 12, 20, 5, tzinfo=UTC)
    in_tokyo = in_utc.astimezone(timezone(timedelta(hours=9)))
    assert parse_schedule("tomorrow at 9am", BER, in_tokyo) == parse_schedule("tomorrow at 9am", BER, in_utc)


def test_ongoing_is_never_guessed_from_words() -> None:
    spec = parse_schedule("every 2 hours", BER, datetime.fromisoformat(WED))
    assert spec.job_type is REC


# --------------------------------------------------------------------------- preview


def test_preview_of_an_explicit_cron() -> None:
    spec = ScheduleSpec(job_type=SCH, timezone=NY, cron="0 9 * * 1")
    now = datetime(2027, 3, 5, 17, 0, tzinfo=UTC)
    preview = preview_schedule(spec, now, 2)
    assert preview == SchedulePreview(
        job_type=SCH,
        summary=describe(spec),
        timezone=NY,
        fires_utc=[datetime(2027, 3, 8, 14, 0, tzinfo=UTC), datetime(2027, 3, 15, 13, 0, tzinfo=UTC)],
        fires_local=["2027-03-08T09:00:00-05:00", "2027-03-15T09:00:00-04:00"],
    )
    assert preview.summary == "Every Monday at 09:00 (America/New_York)"


def test_preview_of_a_one_off_has_exactly_one_fire_whatever_the_count() -> None:
    now = datetime.fromisoformat(WED)
    spec = parse_schedule("in 90 minutes", BER, now)
    preview = preview_schedule(spec, now, 10)
    assert preview.fires_local == ["2027-06-09T15:50:05+02:00"]
    assert preview.job_type is ONE


def test_preview_of_an_unanchored_interval_starts_one_interval_after_now() -> None:
    spec = ScheduleSpec(job_type=REC, timezone=UTC_ZONE, interval_seconds=600)
    now = datetime(2027, 6, 9, 12, 0, tzinfo=UTC)
    preview = preview_schedule(spec, now, 3)
    assert preview.fires_utc == [now + timedelta(minutes=10 * k) for k in (1, 2, 3)]
    assert preview.fires_local[0] == "2027-06-09T12:10:00+00:00"


def test_preview_lists_only_fires_strictly_after_now() -> None:
    spec = ScheduleSpec(job_type=SCH, timezone=UTC_ZONE, cron="0 12 * * *")
    now = datetime(2027, 6, 9, 12, 0, tzinfo=UTC)
    assert preview_schedule(spec, now, 1).fires_local == ["2027-06-10T12:00:00+00:00"]


def test_preview_is_frozen() -> None:
    spec = ScheduleSpec(job_type=SCH, timezone=UTC_ZONE, cron="0 12 * * *")
    preview = preview_schedule(spec, datetime(2027, 6, 9, tzinfo=UTC), 1)
    with pytest.raises(FrozenInstanceError):
        preview.summary = "changed"  # type: ignore[misc]
