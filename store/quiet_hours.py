"""Quiet hours ("22:00-07:00" in the owner's zone): when a channel push is held, and until when.

The window may cross midnight; its end is exclusive. Local times that a clock change skips or
repeats are read by zoneinfo's rules (fold 0), so a hold ends at the first instant the wall clock
shows the end time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
EXPECTED = "HH:MM-HH:MM in 24-hour local time, e.g. '22:00-07:00' (start and end differ)"


def parse(text: str) -> tuple[time, time] | None:
    """(start, end) of a well-formed window, or None."""
    match = PATTERN.match(text.strip())
    if match is None:
        return None
    start, end = time(int(match[1]), int(match[2])), time(int(match[3]), int(match[4]))
    return (start, end) if start != end else None


def quiet_until(now: datetime, window: str | None, zone: str) -> datetime | None:
    """The end of the quiet hours (UTC) if `now` lies inside them, else None."""
    parsed = parse(window) if window else None
    if parsed is None:
        return None
    start, end = parsed
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz).astimezone(UTC)
