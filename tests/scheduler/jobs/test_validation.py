"""Checks across fields: the time window, and that no schedule arithmetic can leave the calendar."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scheduler.jobs.job_input import JobInput
from scheduler.jobs.validation import Limits, check_schedule, parse_time
from scheduler.schedules.preview import preview_schedule
from store import limits as L
from store.errors import InvalidArgument

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
OUTSIDE = ["0001-01-01", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59", "9999-12-31T23:59:59-14:00",
           "1969-12-31T23:59:59Z", "2200-01-01T00:00:01Z", "2200-01-01T00:00:00-01:00"]


@pytest.mark.parametrize("text", OUTSIDE)
@pytest.mark.parametrize("zone", ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_times_outside_the_window_are_refused_naming_the_field(text: str, zone: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_time("start_at", text, zone)
    assert info.value.field == "start_at" and "1970-01-01 to 2200-01-01" in info.value.expected


def test_the_window_includes_both_ends() -> None:
    assert parse_time("run_at", "1970-01-01T00:00:00Z", "UTC") == L.EARLIEST
    assert parse_time("run_at", "2200-01-01T00:00:00Z", "UTC") == L.LATEST


@pytest.mark.parametrize("field", ["run_at", "start_at", "end_at"])
def test_every_time_field_keeps_the_window(field: str) -> None:
    extra = {"interval_seconds": 3600} if field != "run_at" else {}
    data = JobInput(title="t", instructions="i", **extra, **{field: "0001-01-01"})
    with pytest.raises(InvalidArgument) as info:
        check_schedule(data, "UTC", NOW, Limits())
    assert info.value.field == field


@pytest.mark.parametrize("fields", [
    {"interval_days": L.INTERVAL_DAYS.high}, {"interval_seconds": L.INTERVAL_SECONDS.high},
    {"cron": "0 0 29 2 *"}, {"cron": "59 23 31 12 *"},
])
def test_the_longest_schedule_at_the_end_of_the_window_does_not_overflow(fields: dict[str, object]) -> None:
    # The latest `now` a preview accepts, the longest interval, the most fires a preview lists.
    data = JobInput(title="t", instructions="i", timezone="Pacific/Kiritimati",
                    start_at="2200-01-01T00:00:00Z", **fields)  # type: ignore[arg-type]
    checked = check_schedule(data, "Pacific/Kiritimati", L.LATEST, Limits())
    preview = preview_schedule(checked.spec, L.LATEST, L.PREVIEW_COUNT.high)
    assert len(preview.fires_utc) == L.PREVIEW_COUNT.high
    assert preview.fires_utc[-1].year < 9999


def test_plain_words_beyond_the_window_are_refused() -> None:
    data = JobInput(title="t", instructions="i", schedule="in 300 years")
    with pytest.raises(InvalidArgument) as info:
        check_schedule(data, "UTC", NOW, Limits())
    assert info.value.field == "schedule"


@pytest.mark.parametrize(("fields", "cron"), [
    ({"job_type": "ONGOING", "schedule": "every day at 8am"}, "0 8 * * *"),
    ({"schedule": "every weekday at 7:30"}, "30 7 * * 1-5"),  # an end condition makes it ONGOING
    ({"job_type": "ONGOING", "cron": "0 9 * * 1"}, "0 9 * * 1"),
    ({"cron": "0 9 * * 1"}, "0 9 * * 1"),
])
def test_an_ongoing_job_takes_a_wall_clock_rule(fields: dict[str, str], cron: str) -> None:
    data = JobInput(title="t", instructions="i", timezone="Europe/Berlin", end_condition="the price is below 30",
                    **fields)  # type: ignore[arg-type]
    checked = check_schedule(data, "Europe/Berlin", NOW, Limits())
    assert (checked.spec.job_type.value, checked.spec.cron) == ("ONGOING", cron)
    assert checked.spec.interval_seconds is None and checked.spec.interval_days is None


@pytest.mark.parametrize(("fields", "field", "needle"), [
    ({"job_type": "ONGOING", "schedule": "tomorrow at 9"}, "schedule", "repeating schedule"),
    ({"schedule": "tomorrow at 9"}, "schedule", "repeating schedule"),
    ({"job_type": "ONGOING"}, "interval_seconds", "cron"),
    ({"job_type": "ONGOING", "cron": "0 9 * * 1", "interval_seconds": 3600}, "interval_seconds", "no interval"),
])
def test_an_ongoing_job_needs_one_repeating_rule(fields: dict[str, object], field: str, needle: str) -> None:
    data = JobInput(title="t", instructions="i", end_condition="done", **fields)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument) as info:
        check_schedule(data, "UTC", NOW, Limits())
    assert info.value.field == field and needle in info.value.message, info.value.message
