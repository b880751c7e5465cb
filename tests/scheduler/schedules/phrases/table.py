"""The row format of the phrase tables: a phrase, its zone and `now`, and what it must give.

Every expected fire in these tables was worked out by hand from a calendar and the
DST rules of docs/schedule-conventions.md, never by running the code under test.
2027 facts: June 9 is a Wednesday, July 1 a Thursday, October 1 a Friday, January 1
2028 a Saturday. New York springs forward on March 14 (02:00 EST -> 03:00 EDT) and
falls back on November 7 (02:00 EDT -> 01:00 EST); Berlin on March 28 (02:00 CET ->
03:00 CEST) and October 31 (03:00 CEST -> 02:00 CET); Sydney springs forward on
October 3 (02:00 AEST -> 03:00 AEDT).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from scheduler.schedules.phrases import EXAMPLES, parse_schedule
from scheduler.schedules.preview import preview_schedule
from scheduler.schedules.spec import ScheduleSpec
from store.enums import JobType
from store.errors import InvalidArgument

ONE, SCH, REC = JobType.ONE_OFF, JobType.SCHEDULED, JobType.RECURRING
BER, NY, SYD = "Europe/Berlin", "America/New_York", "Australia/Sydney"
# Wednesday 2027-06-09, 14:20:05 summer time in Berlin: far from any DST change.
WED = "2027-06-09T14:20:05+02:00"


class Row(NamedTuple):
    phrase: str
    job_type: JobType
    form: str  # "cron <text>", "seconds <n>", "days <n>" or "" for a one-off
    fires: list[str]  # local ISO 8601, the first ones strictly after now
    tz: str = BER
    now: str = WED


def form_of(spec: ScheduleSpec) -> str:
    if spec.cron is not None:
        return f"cron {spec.cron}"
    if spec.interval_seconds is not None:
        return f"seconds {spec.interval_seconds}"
    if spec.interval_days is not None:
        return f"days {spec.interval_days}"
    return ""


def row_id(row: Row) -> str:
    return f"{row.phrase} [{row.tz.rsplit('/', 1)[-1]} {row.now[:16]}]"


def check(row: Row) -> ScheduleSpec:
    """Parse the phrase and compare type, explicit form and fires with the row."""
    now = datetime.fromisoformat(row.now).astimezone(UTC)
    spec = parse_schedule(row.phrase, row.tz, now)
    assert (spec.job_type, form_of(spec)) == (row.job_type, row.form)
    preview = preview_schedule(spec, now, len(row.fires))
    assert preview.fires_local == row.fires
    return spec


def refusal(phrase: str, tz: str = BER, now: str = WED) -> str:
    """The reason the grammar gives for refusing the phrase (the test fails if it is accepted)."""
    try:
        spec = parse_schedule(phrase, tz, datetime.fromisoformat(now))
    except InvalidArgument as error:
        assert error.field == "schedule" and error.expected == EXAMPLES
        return error.reason or ""
    raise AssertionError(f"{phrase!r} was accepted as {spec}")
