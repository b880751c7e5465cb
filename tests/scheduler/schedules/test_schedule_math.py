"""Table tests for scheduler.schedules.schedule_math.

Every expected instant below was worked out by hand from the 2027 transition
dates, never by calling the code under test:

- America/New_York: spring forward 2027-03-14 02:00 EST -> 03:00 EDT (07:00Z);
  fall back 2027-11-07 02:00 EDT -> 01:00 EST (06:00Z), 01:00-01:59 happens twice.
- Europe/Berlin: spring forward 2027-03-28 02:00 CET -> 03:00 CEST (01:00Z);
  fall back 2027-10-31 03:00 CEST -> 02:00 CET (01:00Z), 02:00-02:59 happens twice.
- Australia/Sydney: fall back 2027-04-04 03:00 AEDT -> 02:00 AEST (2027-04-03 16:00Z);
  spring forward 2027-10-03 02:00 AEST -> 03:00 AEDT (2027-10-02 16:00Z).

Expected values are UTC ("...Z") or local with their offset; both are compared as instants.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from scheduler.schedules.schedule_math import (
    describe,
    first_fire,
    localize,
    next_fire,
    upcoming_fires,
    validate_cron,
)
from scheduler.schedules.spec import ScheduleSpec
from store.enums import JobType
from store.errors import InvalidArgument

NY = "America/New_York"
BERLIN = "Europe/Berlin"
SYDNEY = "Australia/Sydney"

ONE_OFF = JobType.ONE_OFF
SCHEDULED = JobType.SCHEDULED
RECURRING = JobType.RECURRING
ONGOING = JobType.ONGOING

_TIME_FIELDS = ("run_at", "anchor_at", "start_at", "end_at")


def at(text: str) -> datetime:
    """An aware instant from an ISO string that must carry 'Z' or an offset."""
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None, f"test data must be aware: {text}"
    return value


def spec(job_type: JobType, tz: str = "UTC", **fields: Any) -> ScheduleSpec:
    for name in _TIME_FIELDS:
        if isinstance(fields.get(name), str):
            fields[name] = at(fields[name])
    return ScheduleSpec(job_type=job_type, timezone=tz, **fields)


def assert_same_instants(got: list[datetime], expected: list[str]) -> None:
    assert [g.astimezone(UTC) for g in got] == [at(e).astimezone(UTC) for e in expected]
    assert all(g.utcoffset() is not None for g in got), "results must be aware"


# --------------------------------------------------------------------------- localize

LOCALIZE_CASES = [
    pytest.param(NY, "2027-03-14T02:30", "2027-03-14T07:00:00Z", id="ny-gap-0230-to-0300-edt"),
    pytest.param(NY, "2027-03-14T02:00", "2027-03-14T07:00:00Z", id="ny-gap-start-is-in-gap"),
    pytest.param(NY, "2027-03-14T01:59", "2027-03-14T06:59:00Z", id="ny-just-before-gap-est"),
    pytest.param(NY, "2027-03-14T03:00", "2027-03-14T07:00:00Z", id="ny-gap-end-edt"),
    pytest.param(NY, "2027-11-07T01:30", "2027-11-07T05:30:00Z", id="ny-fold-first-occurrence-edt"),
    pytest.param(NY, "2027-11-07T02:00", "2027-11-07T07:00:00Z", id="ny-after-fold-est"),
    pytest.param(BERLIN, "2027-03-28T02:15", "2027-03-28T01:00:00Z", id="berlin-gap"),
    pytest.param(BERLIN, "2027-10-31T02:30", "2027-10-31T00:30:00Z", id="berlin-fold-first-cest"),
    pytest.param(SYDNEY, "2027-10-03T02:45", "2027-10-02T16:00:00Z", id="sydney-gap"),
    pytest.param(SYDNEY, "2027-04-04T02:30", "2027-04-03T15:30:00Z", id="sydney-fold-first-aedt"),
    pytest.param("UTC", "2027-06-01T12:00:07", "2027-06-01T12:00:07Z", id="utc-identity-keeps-seconds"),
]


@pytest.mark.parametrize(("tz", "wall", "expected"), LOCALIZE_CASES)
def test_localize(tz: str, wall: str, expected: str) -> None:
    got = localize(datetime.fromisoformat(wall), ZoneInfo(tz))
    assert got == at(expected)
    assert got.utcoffset() is not None


def test_localize_rejects_aware_input() -> None:
    with pytest.raises(ValueError):
        localize(at("2027-01-01T00:00:00Z"), ZoneInfo(NY))


# --------------------------------------------------------------------------- next_fire

NEXT_FIRE_CASES = [
    # SCHEDULED, spring-forward gaps -> 03:00 local
    pytest.param(spec(SCHEDULED, NY, cron="30 2 * * *"), "2027-03-13T12:00:00Z", 0,
                 "2027-03-14T03:00:00-04:00", id="ny-0230-on-gap-day-fires-0300-edt"),
    pytest.param(spec(SCHEDULED, NY, cron="30 2 * * *"), "2027-03-14T07:00:00Z", 0,
                 "2027-03-15T02:30:00-04:00", id="ny-0230-day-after-gap-back-to-0230"),
    pytest.param(spec(SCHEDULED, BERLIN, cron="30 2 * * *"), "2027-03-27T12:00:00Z", 0,
                 "2027-03-28T03:00:00+02:00", id="berlin-0230-on-gap-day"),
    pytest.param(spec(SCHEDULED, SYDNEY, cron="30 2 * * *"), "2027-10-02T00:00:00Z", 0,
                 "2027-10-03T03:00:00+11:00", id="sydney-0230-on-gap-day"),
    # SCHEDULED, fall-back overlaps -> first occurrence only
    pytest.param(spec(SCHEDULED, NY, cron="30 1 * * *"), "2027-11-07T04:00:00Z", 0,
                 "2027-11-07T01:30:00-04:00", id="ny-0130-fall-back-fires-first-edt"),
    pytest.param(spec(SCHEDULED, NY, cron="30 1 * * *"), "2027-11-07T05:30:00Z", 0,
                 "2027-11-08T01:30:00-05:00", id="ny-0130-repeat-does-not-fire"),
    pytest.param(spec(SCHEDULED, NY, cron="30 1 * * *"), "2027-11-07T06:10:00Z", 0,
                 "2027-11-08T06:30:00Z", id="ny-after-between-occurrences-next-day"),
    pytest.param(spec(SCHEDULED, NY, cron="0 * * * *"), "2027-11-07T05:00:00Z", 0,
                 "2027-11-07T02:00:00-05:00", id="ny-hourly-skips-repeated-0100"),
    pytest.param(spec(SCHEDULED, BERLIN, cron="30 2 * * *"), "2027-10-30T12:00:00Z", 0,
                 "2027-10-31T02:30:00+02:00", id="berlin-0230-fall-back-first-cest"),
    pytest.param(spec(SCHEDULED, BERLIN, cron="30 2 * * *"), "2027-10-31T01:15:00Z", 0,
                 "2027-11-01T02:30:00+01:00", id="berlin-after-in-second-occurrence"),
    pytest.param(spec(SCHEDULED, SYDNEY, cron="30 2 * * *"), "2027-04-03T00:00:00Z", 0,
                 "2027-04-04T02:30:00+11:00", id="sydney-0230-fall-back-first-aedt"),
    pytest.param(spec(SCHEDULED, SYDNEY, cron="30 2 * * *"), "2027-04-03T16:10:00Z", 0,
                 "2027-04-05T02:30:00+10:00", id="sydney-after-in-second-occurrence"),
    pytest.param(spec(SCHEDULED, SYDNEY, cron="0 3 * * *"), "2027-04-03T00:00:00Z", 0,
                 "2027-04-03T17:00:00Z", id="sydney-0300-after-fall-back-aest"),
    # SCHEDULED, calendar shapes
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 31 * *"), "2027-03-31T10:00:00Z", 0,
                 "2027-05-31T09:00:00Z", id="day-31-skips-april"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 31 * *"), "2027-01-31T09:00:00Z", 0,
                 "2027-03-31T09:00:00Z", id="day-31-skips-february"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 29 2 *"), "2027-01-01T00:00:00Z", 0,
                 "2028-02-29T09:00:00Z", id="leap-day-next-leap-year"),
    pytest.param(spec(SCHEDULED, NY, cron="0 9 29 2 *"), "2028-02-29T14:00:00Z", 0,
                 "2032-02-29T09:00:00-05:00", id="leap-day-after-firing-waits-4-years"),
    pytest.param(spec(SCHEDULED, BERLIN, cron="0 9 * * 1"), "2027-03-24T12:00:00Z", 0,
                 "2027-03-29T07:00:00Z", id="berlin-monday-after-dst-cest"),
    pytest.param(spec(SCHEDULED, NY, cron="30 8 * * 1-5"), "2027-03-12T14:00:00Z", 0,
                 "2027-03-15T12:30:00Z", id="ny-weekday-skips-weekend-into-edt"),
    pytest.param(spec(SCHEDULED, "UTC", cron="*/15 * * * *"), "2027-06-01T10:14:59.999999Z", 0,
                 "2027-06-01T10:15:00Z", id="just-before-a-match"),
    pytest.param(spec(SCHEDULED, "UTC", cron="*/15 * * * *"), "2027-06-01T10:15:00Z", 0,
                 "2027-06-01T10:30:00Z", id="exactly-on-a-match-is-not-after"),
    # SCHEDULED, start/end/max_runs
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 * * *", start_at="2027-06-10T09:00:00Z"),
                 "2027-06-01T00:00:00Z", 0, "2027-06-10T09:00:00Z", id="start-at-exactly-a-fire"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 * * *", start_at="2027-06-10T09:00:01Z"),
                 "2027-06-01T00:00:00Z", 0, "2027-06-11T09:00:00Z", id="start-at-just-after-a-fire"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 * * *", end_at="2027-06-10T09:00:00Z"),
                 "2027-06-09T09:00:00Z", 0, "2027-06-10T09:00:00Z", id="fire-exactly-at-end-allowed"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 * * *", end_at="2027-06-10T08:59:59Z"),
                 "2027-06-09T09:00:00Z", 0, None, id="fire-after-end-none"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 * * *", max_runs=3),
                 "2027-06-09T09:00:00Z", 3, None, id="max-runs-exhausted"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 * * *", max_runs=3),
                 "2027-06-09T09:00:00Z", 2, "2027-06-10T09:00:00Z", id="max-runs-one-left"),
    # ONE_OFF
    pytest.param(spec(ONE_OFF, BERLIN, run_at="2027-12-24T17:00:00Z"), "2027-12-01T00:00:00Z", 0,
                 "2027-12-24T18:00:00+01:00", id="one-off-before-run"),
    pytest.param(spec(ONE_OFF, BERLIN, run_at="2027-12-24T17:00:00Z"), "2027-12-01T00:00:00Z", 1,
                 None, id="one-off-after-run"),
    pytest.param(spec(ONE_OFF, BERLIN, run_at="2027-12-24T17:00:00Z"), "2027-12-24T17:00:00Z", 0,
                 None, id="one-off-run-at-not-after"),
    # RECURRING, elapsed seconds
    pytest.param(spec(RECURRING, NY, interval_seconds=7200, anchor_at="2027-03-14T00:30:00-05:00"),
                 "2027-03-14T05:30:00Z", 1, "2027-03-14T03:30:00-04:00", id="every-2h-across-gap-elapsed"),
    pytest.param(spec(RECURRING, NY, interval_seconds=3600, anchor_at="2027-11-07T01:30:00-04:00"),
                 "2027-11-07T05:30:00Z", 1, "2027-11-07T01:30:00-05:00", id="every-1h-fall-back-elapsed"),
    pytest.param(spec(RECURRING, "UTC", interval_seconds=3600, anchor_at="2027-01-01T00:00:00Z"),
                 "2027-01-01T05:17:42Z", 5, "2027-01-01T06:00:00Z", id="late-run-stays-on-grid"),
    pytest.param(spec(RECURRING, "UTC", interval_seconds=60, anchor_at="2020-01-01T00:00:00Z"),
                 "2027-06-15T12:34:56Z", 0, "2027-06-15T12:35:00Z", id="years-of-60s-steps"),
    pytest.param(spec(RECURRING, "UTC", interval_seconds=1, anchor_at="1990-01-01T00:00:00.250000Z"),
                 "2027-06-15T12:34:56Z", 0, "2027-06-15T12:34:56.250000Z", id="billion-steps-arithmetic"),
    pytest.param(spec(RECURRING, "UTC", interval_seconds=600, anchor_at="2027-05-01T10:00:00Z"),
                 "2027-04-01T00:00:00Z", 0, "2027-05-01T10:00:00Z", id="anchor-in-future-is-next"),
    pytest.param(spec(RECURRING, "UTC", interval_seconds=600, anchor_at="2027-05-01T10:00:00Z",
                      max_runs=5), "2027-05-01T10:40:00Z", 5, None, id="recurring-max-runs"),
    pytest.param(spec(ONGOING, "UTC", interval_seconds=900, anchor_at="2027-05-01T10:00:00Z"),
                 "2027-05-01T10:20:00Z", 2, "2027-05-01T10:30:00Z", id="ongoing-uses-grid"),
    # RECURRING, calendar days keep the wall clock
    pytest.param(spec(RECURRING, NY, interval_days=1, anchor_at="2027-03-13T09:00:00-05:00"),
                 "2027-03-13T14:00:00Z", 1, "2027-03-14T09:00:00-04:00", id="daily-keeps-0900-across-gap"),
    pytest.param(spec(RECURRING, BERLIN, interval_days=3, anchor_at="2027-10-29T14:00:00+02:00"),
                 "2027-10-29T12:00:00Z", 1, "2027-11-01T14:00:00+01:00", id="3-days-keeps-1400-across-fall"),
    pytest.param(spec(RECURRING, NY, interval_days=7, anchor_at="2027-03-08T08:30:00-05:00"),
                 "2027-03-10T00:00:00Z", 1, "2027-03-15T08:30:00-04:00", id="weekly-keeps-0830"),
    pytest.param(spec(RECURRING, NY, interval_days=1, anchor_at="2027-03-13T02:30:00-05:00"),
                 "2027-03-13T07:30:00Z", 1, "2027-03-14T03:00:00-04:00", id="daily-0230-gap-to-0300"),
    pytest.param(spec(RECURRING, NY, interval_days=1, anchor_at="2027-03-13T02:30:00-05:00"),
                 "2027-03-14T07:00:00Z", 2, "2027-03-15T02:30:00-04:00", id="daily-0230-after-gap-back"),
    pytest.param(spec(RECURRING, NY, interval_days=1, anchor_at="2027-11-06T01:30:00-04:00"),
                 "2027-11-06T05:30:00Z", 1, "2027-11-07T01:30:00-04:00", id="daily-0130-fold-first"),
    pytest.param(spec(RECURRING, NY, interval_days=1, anchor_at="2027-11-06T01:30:00-04:00"),
                 "2027-11-07T05:30:00Z", 2, "2027-11-08T01:30:00-05:00", id="daily-0130-fold-once"),
    pytest.param(spec(RECURRING, NY, interval_days=2, anchor_at="2027-01-01T09:00:00-05:00"),
                 "2027-07-02T12:00:00Z", 90, "2027-07-02T09:00:00-04:00", id="2-days-half-a-year-later"),
    pytest.param(spec(RECURRING, NY, interval_days=2, anchor_at="2027-01-01T09:00:00-05:00"),
                 "2027-07-02T13:00:00Z", 91, "2027-07-04T09:00:00-04:00", id="2-days-late-run-no-drift"),
    pytest.param(spec(RECURRING, "UTC", interval_days=1, anchor_at="2027-06-01T08:00:00Z",
                      end_at="2027-06-03T08:00:00Z"), "2027-06-02T08:00:00Z", 1,
                 "2027-06-03T08:00:00Z", id="days-last-fire-at-end"),
    pytest.param(spec(RECURRING, "UTC", interval_days=1, anchor_at="2027-06-01T08:00:00Z",
                      end_at="2027-06-03T08:00:00Z"), "2027-06-03T08:00:00Z", 2, None, id="days-past-end"),
]  # fmt: skip


@pytest.mark.parametrize(("schedule", "after", "run_count", "expected"), NEXT_FIRE_CASES)
def test_next_fire(schedule: ScheduleSpec, after: str, run_count: int, expected: str | None) -> None:
    got = next_fire(schedule, at(after), run_count)
    if expected is None:
        assert got is None
    else:
        assert got is not None
        assert_same_instants([got], [expected])


def test_next_fire_interval_needs_anchor() -> None:
    with pytest.raises(ValueError):
        next_fire(spec(RECURRING, interval_seconds=60), at("2027-01-01T00:00:00Z"))


def test_next_fire_rejects_naive_after() -> None:
    with pytest.raises(ValueError):
        next_fire(spec(SCHEDULED, cron="0 9 * * *"), datetime(2027, 1, 1))


# --------------------------------------------------------------------------- first_fire

FIRST_FIRE_CASES = [
    pytest.param(spec(ONE_OFF, BERLIN), "2027-06-01T10:00:00Z", "2027-06-01T10:00:00Z", id="one-off-now"),
    pytest.param(spec(ONE_OFF, BERLIN, run_at="2027-06-01T09:59:30Z"), "2027-06-01T10:00:00Z",
                 "2027-06-01T09:59:30Z", id="one-off-slightly-past-returned"),
    pytest.param(spec(ONE_OFF, BERLIN, run_at="2027-06-02T10:00:00Z", end_at="2027-06-01T12:00:00Z"),
                 "2027-06-01T10:00:00Z", None, id="one-off-after-end"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 * * *", max_runs=0), "2027-06-01T00:00:00Z", None,
                 id="max-runs-zero"),
    pytest.param(spec(SCHEDULED, BERLIN, cron="0 9 * * *"), "2027-03-27T09:00:00Z",
                 "2027-03-28T09:00:00+02:00", id="scheduled-today-passed-next-day-cest"),
    pytest.param(spec(SCHEDULED, BERLIN, cron="0 9 * * *", start_at="2027-04-01T07:00:00Z"),
                 "2027-03-27T09:00:00Z", "2027-04-01T09:00:00+02:00", id="scheduled-start-in-future"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 * * *", end_at="2027-06-01T08:00:00Z"),
                 "2027-06-01T00:00:00Z", None, id="scheduled-ends-before-first"),
    pytest.param(spec(RECURRING, NY, interval_seconds=7200), "2027-03-14T00:30:00-05:00",
                 "2027-03-14T03:30:00-04:00", id="every-2h-from-now-elapsed"),
    pytest.param(spec(RECURRING, NY, interval_days=1), "2027-03-13T10:20:00-05:00",
                 "2027-03-14T10:20:00-04:00", id="every-day-from-now-keeps-wall"),
    pytest.param(spec(RECURRING, NY, interval_days=1), "2027-11-06T01:30:00-04:00",
                 "2027-11-07T01:30:00-04:00", id="every-day-into-fold-first"),
    pytest.param(spec(RECURRING, "UTC", interval_seconds=60, anchor_at="2027-06-01T10:00:00Z"),
                 "2027-06-01T09:00:00Z", "2027-06-01T10:00:00Z", id="anchor-wins"),
    pytest.param(spec(RECURRING, "UTC", interval_seconds=3600, start_at="2027-07-01T00:00:00Z"),
                 "2027-06-01T09:00:00Z", "2027-07-01T00:00:00Z", id="start-in-future"),
    pytest.param(spec(RECURRING, "UTC", interval_seconds=3600, start_at="2027-01-01T00:00:00Z"),
                 "2027-01-01T05:17:00Z", "2027-01-01T06:00:00Z", id="start-past-uses-its-grid"),
    pytest.param(spec(RECURRING, BERLIN, interval_days=1, start_at="2027-03-26T09:00:00+01:00"),
                 "2027-03-27T12:00:00Z", "2027-03-28T09:00:00+02:00", id="start-past-day-grid-cest"),
    pytest.param(spec(ONGOING, "UTC", interval_seconds=600, end_at="2027-06-01T10:05:00Z"),
                 "2027-06-01T10:00:00Z", None, id="ongoing-first-after-end"),
]  # fmt: skip


@pytest.mark.parametrize(("schedule", "now", "expected"), FIRST_FIRE_CASES)
def test_first_fire(schedule: ScheduleSpec, now: str, expected: str | None) -> None:
    got = first_fire(schedule, at(now))
    if expected is None:
        assert got is None
    else:
        assert got is not None
        assert_same_instants([got], [expected])


# --------------------------------------------------------------------------- upcoming_fires

UPCOMING_CASES = [
    pytest.param(spec(SCHEDULED, NY, cron="0 * * * *"), "2027-11-07T04:30:00Z", 3, 0,
                 ["2027-11-07T05:00:00Z", "2027-11-07T07:00:00Z", "2027-11-07T08:00:00Z"],
                 id="ny-hourly-across-fall-back"),
    pytest.param(spec(SCHEDULED, NY, cron="0 * * * *"), "2027-03-14T06:30:00Z", 3, 0,
                 ["2027-03-14T07:00:00Z", "2027-03-14T08:00:00Z", "2027-03-14T09:00:00Z"],
                 id="ny-hourly-across-gap-no-duplicate"),
    pytest.param(spec(SCHEDULED, NY, cron="*/30 * * * *"), "2027-03-14T06:40:00Z", 2, 0,
                 ["2027-03-14T03:00:00-04:00", "2027-03-14T03:30:00-04:00"],
                 id="gap-times-collapse-to-one-fire"),
    pytest.param(spec(SCHEDULED, BERLIN, cron="0 9 * * 1"), "2027-10-20T00:00:00Z", 2, 0,
                 ["2027-10-25T07:00:00Z", "2027-11-01T08:00:00Z"], id="berlin-mondays-across-fall-back"),
    # Several cron lines: each keeps the DST rules, and the fires of all lines interleave.
    pytest.param(spec(SCHEDULED, NY, cron="45 1 * * *; 15 2 * * *"), "2027-03-13T17:00:00Z", 4, 0,
                 ["2027-03-14T01:45:00-05:00", "2027-03-14T03:00:00-04:00", "2027-03-15T01:45:00-04:00",
                  "2027-03-15T02:15:00-04:00"], id="two-lines-across-gap"),
    pytest.param(spec(SCHEDULED, NY, cron="15 2 * * *; 45 2 * * *"), "2027-03-13T17:00:00Z", 2, 0,
                 ["2027-03-14T03:00:00-04:00", "2027-03-15T02:15:00-04:00"], id="two-lines-in-one-gap-fire-once"),
    pytest.param(spec(SCHEDULED, NY, cron="45 0 * * *; 30 1 * * *"), "2027-11-07T05:00:00Z", 3, 0,
                 ["2027-11-07T01:30:00-04:00", "2027-11-08T00:45:00-05:00", "2027-11-08T01:30:00-05:00"],
                 id="two-lines-across-fall-back"),
    pytest.param(spec(SCHEDULED, NY, cron="45 0 * * *; 30 1 * * *"), "2027-11-07T05:45:00Z", 2, 0,
                 ["2027-11-08T00:45:00-05:00", "2027-11-08T01:30:00-05:00"],
                 id="two-lines-repeated-hour-does-not-fire-again"),
    pytest.param(spec(SCHEDULED, BERLIN, cron="45 7 * * 1,3; 30 18 * * 1,3", max_runs=3), "2027-03-24T12:00:00Z", 5,
                 0, ["2027-03-24T18:30:00+01:00", "2027-03-29T07:45:00+02:00", "2027-03-29T18:30:00+02:00"],
                 id="two-lines-max-runs"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 * * *", max_runs=5), "2027-06-01T00:00:00Z", 5, 3,
                 ["2027-06-01T09:00:00Z", "2027-06-02T09:00:00Z"], id="max-runs-caps-count"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 * * *", end_at="2027-06-03T09:00:00Z"),
                 "2027-06-01T00:00:00Z", 10, 0,
                 ["2027-06-01T09:00:00Z", "2027-06-02T09:00:00Z", "2027-06-03T09:00:00Z"],
                 id="end-at-caps-count"),
    pytest.param(spec(ONE_OFF, BERLIN, run_at="2027-12-24T17:00:00Z"), "2027-12-01T00:00:00Z", 5, 0,
                 ["2027-12-24T17:00:00Z"], id="one-off-at-most-one"),
    pytest.param(spec(RECURRING, "UTC", interval_seconds=900), "2027-06-01T10:00:00Z", 3, 0,
                 ["2027-06-01T10:15:00Z", "2027-06-01T10:30:00Z", "2027-06-01T10:45:00Z"],
                 id="preview-without-anchor"),
    pytest.param(spec(RECURRING, SYDNEY, interval_days=1, anchor_at="2027-10-01T02:30:00+10:00"),
                 "2027-10-01T02:30:00+10:00", 3, 1,
                 ["2027-10-02T02:30:00+10:00", "2027-10-03T03:00:00+11:00", "2027-10-04T02:30:00+11:00"],
                 id="sydney-daily-0230-across-gap"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 * * *"), "2027-06-01T00:00:00Z", 0, 0, [],
                 id="count-zero"),
]  # fmt: skip


@pytest.mark.parametrize(("schedule", "now", "count", "run_count", "expected"), UPCOMING_CASES)
def test_upcoming_fires(
    schedule: ScheduleSpec, now: str, count: int, run_count: int, expected: list[str]
) -> None:
    assert_same_instants(upcoming_fires(schedule, at(now), count, run_count), expected)


# --------------------------------------------------------------------------- describe

DESCRIBE_CASES = [
    pytest.param(spec(SCHEDULED, BERLIN, cron="0 9 * * 1#1"),
                 "On the first Monday of every month at 09:00 (Europe/Berlin)", id="first-monday"),
    pytest.param(spec(SCHEDULED, BERLIN, cron="0 9 * * L4"),
                 "On the last Thursday of every month at 09:00 (Europe/Berlin)", id="last-thursday"),
    pytest.param(spec(SCHEDULED, NY, cron="0 21 L * *"),
                 "On the last day of every month at 21:00 (America/New_York)", id="last-day"),
    pytest.param(spec(SCHEDULED, BERLIN, cron="0 9 * * 1"), "Every Monday at 09:00 (Europe/Berlin)",
                 id="weekly"),
    pytest.param(spec(SCHEDULED, NY, cron="30 8 * * 1-5"), "Every weekday at 08:30 (America/New_York)",
                 id="weekdays"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 12 * * *"), "Daily at 12:00 (UTC)", id="daily"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9,21 * * *"), "Daily at 09:00 and 21:00 (UTC)",
                 id="twice-a-day"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 1,15 * *"),
                 "On day 1 and 15 of every month at 09:00 (UTC)", id="days-of-month"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 12 3 *"), "Every year on March 12 at 09:00 (UTC)",
                 id="yearly"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 10 * * 6,0"), "Every Saturday and Sunday at 10:00 (UTC)",
                 id="weekend"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 * * * *"), "Every hour on the hour (UTC)", id="hourly"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 1-7 * 1"), "Cron '0 9 1-7 * 1' (UTC)", id="fallback"),
    pytest.param(spec(SCHEDULED, BERLIN, cron="45 7 * * 1,3; 30 18 * * 1,3"),
                 "Every Monday and Wednesday at 07:45 and 18:30 (Europe/Berlin)", id="two-lines-same-days"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 * * 1; 30 17 * * 5"),
                 "Every Monday at 09:00; every Friday at 17:30 (UTC)", id="two-lines-own-days"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 8-18 * * 1-5"),
                 "Every weekday, every hour from 08:00 to 18:00 (UTC)", id="hour-range"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0,20,40 14 * * *; 0 15 * * *"),
                 "Daily at 14:00, 14:20, 14:40 and 15:00 (UTC)", id="range-of-four-times-is-listed"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 12 15 1,4,7,10 *"),
                 "On day 15 of every quarter (January, April, July, October) at 12:00 (UTC)", id="quarterly"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 11 * 1,4,7,10 2#2"),
                 "On the second Tuesday of every quarter (January, April, July, October) at 11:00 (UTC)",
                 id="quarterly-nth-weekday"),
    pytest.param(spec(SCHEDULED, "UTC", cron="0 9 1 1,7 *"), "On day 1 of January and July at 09:00 (UTC)",
                 id="two-months"),
    pytest.param(spec(RECURRING, interval_seconds=900), "Every 15 minutes", id="every-15-minutes"),
    pytest.param(spec(ONGOING, interval_seconds=3600), "Every hour", id="ongoing-hour"),
    pytest.param(spec(RECURRING, BERLIN, interval_days=3, anchor_at="2027-06-01T12:00:00Z"),
                 "Every 3 days at 14:00 (Europe/Berlin)", id="every-3-days"),
    pytest.param(spec(RECURRING, BERLIN, interval_days=14, anchor_at="2027-06-07T07:00:00Z"),
                 "Every 2 weeks on Monday at 09:00 (Europe/Berlin)", id="every-other-monday"),
    pytest.param(spec(ONE_OFF, BERLIN, run_at="2026-12-24T17:00:00Z"),
                 "Once at 2026-12-24 18:00 (Europe/Berlin)", id="one-off"),
    pytest.param(spec(SCHEDULED, BERLIN, cron="0 9 * * 1", end_at="2027-12-31T22:00:00Z", max_runs=10),
                 "Every Monday at 09:00 (Europe/Berlin), until 2027-12-31 23:00, at most 10 runs",
                 id="with-limits"),
    pytest.param(spec(RECURRING, interval_seconds=60, max_runs=1), "Every minute, at most 1 run",
                 id="single-run"),
]  # fmt: skip


@pytest.mark.parametrize(("schedule", "expected"), DESCRIBE_CASES)
def test_describe(schedule: ScheduleSpec, expected: str) -> None:
    assert describe(schedule) == expected


# --------------------------------------------------------------------------- validate_cron


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        pytest.param("0 9 * * 1", "0 9 * * 1", id="plain"),
        pytest.param("  0   9 * *   MON ", "0 9 * * mon", id="spacing-and-case"),
        pytest.param("@daily", "0 0 * * *", id="alias"),
        pytest.param("0 9 29 2 *", "0 9 29 2 *", id="leap-day-fires-sometimes"),
        pytest.param("45 7 * * 1;30 18  * * 1", "45 7 * * 1; 30 18 * * 1", id="several-lines"),
        pytest.param("0 9 * * *; 0 9 * * *", "0 9 * * *", id="repeated-line-once"),
    ],
)
def test_validate_cron_accepts(expr: str, expected: str) -> None:
    assert validate_cron(expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected_fragment"),
    [
        pytest.param("0 9 * * 1 5", "5-field", id="six-fields"),
        pytest.param("0 0 9 * * 1 2027", "5-field", id="seven-fields"),
        pytest.param("banana", "5-field", id="garbage"),
        pytest.param("", "5-field", id="empty"),
        pytest.param("61 * * * *", "5-field", id="minute-out-of-range"),
        pytest.param("0 24 * * *", "5-field", id="hour-out-of-range"),
        pytest.param("R * * * *", "5-field", id="random-token"),
        pytest.param("0 0 30 2 *", "never fires", id="february-30"),
        pytest.param("0 9 31 4 *", "never fires", id="april-31"),
        pytest.param("0 9 * * 1;", "5-field", id="empty-line"),
        pytest.param("0 9 * * 1; 0 0 30 2 *", "never fires", id="one-line-never-fires"),
        pytest.param("; ".join(f"{m} 9 * * 1" for m in range(20)), "at most 120 characters", id="too-long"),
    ],
)
def test_validate_cron_rejects(expr: str, expected_fragment: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_cron(expr)
    assert caught.value.field == "cron"
    assert expected_fragment in caught.value.expected


def test_an_ongoing_cron_spec_fires_and_reads_like_a_scheduled_one() -> None:
    now = datetime(2027, 3, 24, 12, 0, tzinfo=UTC)
    scheduled = ScheduleSpec(job_type=JobType.SCHEDULED, timezone=BERLIN, cron="0 8 * * 1-5")
    ongoing = ScheduleSpec(job_type=JobType.ONGOING, timezone=BERLIN, cron="0 8 * * 1-5")
    assert upcoming_fires(ongoing, now, 4) == upcoming_fires(scheduled, now, 4)
    assert first_fire(ongoing, now) == datetime(2027, 3, 25, 7, 0, tzinfo=UTC)
    # Across the spring-forward of 2027-03-28: 08:00 CEST is 06:00 UTC.
    assert next_fire(ongoing, datetime(2027, 3, 26, 7, 0, tzinfo=UTC)) == datetime(2027, 3, 29, 6, 0, tzinfo=UTC)
    assert describe(ongoing) == describe(scheduled) == "Every weekday at 08:00 (Europe/Berlin)"


def test_a_cron_fire_is_walked_once_for_every_instant_before_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The last answer per (cron, zone) answers each later instant up to its fire; after it, croniter again."""
    from scheduler.schedules import schedule_math

    weekly = ScheduleSpec(job_type=JobType.SCHEDULED, timezone=BERLIN, cron="17 9 * * 1")
    walks: list[datetime] = []
    real = schedule_math._cron_line_next

    def counted(expr: str, tz: ZoneInfo, lower: datetime) -> datetime | None:
        walks.append(lower)
        return real(expr, tz, lower)

    monkeypatch.setattr(schedule_math, "_cron_line_next", counted)
    monday = datetime(2027, 3, 1, 8, 17, tzinfo=UTC)  # Monday 09:17 CET
    answers = [next_fire(weekly, datetime(2027, 2, 24, h, m, s, tzinfo=UTC)) for h, m, s in
               ((10, 0, 1), (10, 0, 2), (23, 59, 59))] + [next_fire(weekly, datetime(2027, 3, 1, 8, 16, tzinfo=UTC))]
    assert answers == [monday] * 4 and len(walks) == 1
    assert next_fire(weekly, monday) == datetime(2027, 3, 8, 8, 17, tzinfo=UTC)  # the fire itself: the next one
    assert next_fire(weekly, datetime(2027, 2, 20, tzinfo=UTC)) == datetime(2027, 2, 22, 8, 17, tzinfo=UTC)
    assert len(walks) == 3


def test_cron_checks_are_the_same_asked_again() -> None:
    for _ in range(2):
        assert validate_cron("0  9 * * MON") == "0 9 * * mon"
        with pytest.raises(InvalidArgument, match="never"):
            validate_cron("0 0 30 2 *")
        with pytest.raises(InvalidArgument):
            validate_cron("61 9 * * *")
