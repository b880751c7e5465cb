"""IANA time zone names: the only zones a job may carry."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from store.errors import InvalidArgument

_EXPECTED = "an IANA time zone name such as 'Europe/Berlin', 'America/New_York' or 'UTC'"


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    # Legacy abbreviations (CST, EST, MST7MDT...) are refused: 'CST' is three
    # different zones to three different people, and a wrong reminder is worse than none.
    return frozenset(name for name in available_timezones() if "/" in name and not name.startswith("SystemV/"))


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every name `zone` accepts, sorted (for argument completion)."""
    return tuple(sorted(_known_zones() | {"UTC"}))


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for a valid IANA name, or InvalidArgument('timezone', ...)."""
    if name == "UTC":
        return ZoneInfo("UTC")
    if name not in _known_zones():
        raise InvalidArgument("timezone", _EXPECTED, name)
    return ZoneInfo(name)


def local_iso(instant: datetime | None, tz_name: str) -> str | None:
    """ISO 8601 with seconds and the offset valid in the zone at that instant."""
    if instant is None:
        return None
    return instant.astimezone(zone(tz_name)).isoformat(timespec="seconds")
