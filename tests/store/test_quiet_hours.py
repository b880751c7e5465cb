"""Quiet hours: inside or not, across midnight, and their end in UTC, clock changes included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from store.quiet_hours import parse, quiet_until


@pytest.mark.parametrize(("now", "window", "zone", "until"), [
    (datetime(2026, 3, 2, 21, 30, tzinfo=UTC), "22:00-07:00", "UTC", None),  # before
    (datetime(2026, 3, 2, 22, 0, tzinfo=UTC), "22:00-07:00", "UTC", datetime(2026, 3, 3, 7, 0, tzinfo=UTC)),
    (datetime(2026, 3, 3, 3, 0, tzinfo=UTC), "22:00-07:00", "UTC", datetime(2026, 3, 3, 7, 0, tzinfo=UTC)),
    (datetime(2026, 3, 3, 7, 0, tzinfo=UTC), "22:00-07:00", "UTC", None),  # the end is not inside
    (datetime(2026, 3, 3, 13, 0, tzinfo=UTC), "12:00-14:00", "UTC", datetime(2026, 3, 3, 14, 0, tzinfo=UTC)),
    # Berlin, the night the clocks go forward (29 March 2026, 02:00 -> 03:00): 07:00 CEST is 05:00 UTC.
    (datetime(2026, 3, 28, 23, 0, tzinfo=UTC), "22:00-07:00", "Europe/Berlin",
     datetime(2026, 3, 29, 5, 0, tzinfo=UTC)),
    (datetime(2026, 3, 2, 12, 0, tzinfo=UTC), "20:00-07:00", "Asia/Tokyo", datetime(2026, 3, 2, 22, 0, tzinfo=UTC)),
])
def test_quiet_until(now: datetime, window: str, zone: str, until: datetime | None) -> None:
    assert quiet_until(now, window, zone) == until


@pytest.mark.parametrize("bad", ["22-07", "24:00-07:00", "22:00-22:00", "22:00 - 07:00x", "", "10pm-7am"])
def test_malformed_windows_are_not_read(bad: str) -> None:
    assert parse(bad) is None
