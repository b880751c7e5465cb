"""What a schedule is, independent of how it was written down.

A `ScheduleSpec` is the explicit form every schedule is reduced to: plain
words ("every Monday at 9am") and explicit fields (`cron="0 9 * * 1"`) both
end up here, so both give identical fires. All datetimes are aware UTC; the
wall-clock meaning comes from `timezone` (an IANA name).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time

from store.enums import JobType


@dataclass(frozen=True)
class ScheduleSpec:
    job_type: JobType
    timezone: str = "UTC"
    # ONE_OFF: the moment to fire.
    run_at: datetime | None = None
    # SCHEDULED, or ONGOING on a calendar rule: a 5-field cron line read in `timezone`.
    cron: str | None = None
    # RECURRING, or ONGOING on an interval: elapsed seconds, or calendar days at a fixed local time.
    interval_seconds: int | None = None
    interval_days: int | None = None
    # RECURRING / ONGOING: the first scheduled fire; later fires are counted from it.
    anchor_at: datetime | None = None
    # interval_days: the local time of day every fire keeps. Usually the anchor's own
    # wall time; it differs when a DST gap moved the anchor (asked 02:30, fired 03:00).
    wall_time: time | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    max_runs: int | None = None

    def with_anchor(self, anchor_at: datetime) -> ScheduleSpec:
        return replace(self, anchor_at=anchor_at)
