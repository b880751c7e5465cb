"""What a schedule would do, before any job exists: its type, its summary, its next fires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from scheduler.schedules.schedule_math import describe, first_fire, upcoming_fires
from scheduler.schedules.spec import ScheduleSpec
from scheduler.schedules.timezones import zone
from store.enums import JobType

__all__ = ["SchedulePreview", "preview_schedule"]


@dataclass(frozen=True)
class SchedulePreview:
    job_type: JobType
    summary: str
    timezone: str
    fires_utc: list[datetime]
    # ISO 8601 with seconds and the UTC offset valid in the zone at that instant.
    fires_local: list[str]


def preview_schedule(spec: ScheduleSpec, now: datetime, count: int) -> SchedulePreview:
    """The next fires strictly after `now`: `count` of them, or exactly one for ONE_OFF.

    A ONE_OFF without run_at fires right away (at `now`). A ONE_OFF whose moment is
    not after `now` has nothing left to fire, so its list is empty.
    """
    if now.tzinfo is None:
        raise ValueError("preview_schedule needs an aware `now`")
    now = now.astimezone(UTC)
    if spec.job_type is JobType.ONE_OFF:
        fire = first_fire(spec, now)
        fires = [fire] if fire is not None and (spec.run_at is None or fire > now) else []
    else:
        fires = upcoming_fires(spec, now, count)
    tz = zone(spec.timezone)
    return SchedulePreview(
        job_type=spec.job_type,
        summary=describe(spec),
        timezone=spec.timezone,
        fires_utc=fires,
        fires_local=[fire.astimezone(tz).isoformat(timespec="seconds") for fire in fires],
    )
