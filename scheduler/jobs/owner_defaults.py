"""An owner's defaults (the owner_settings tool): the zone of jobs that name none, the channels of jobs
without their own, and quiet hours for channel pushes. Checked completely before the one write."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import Field

from scheduler.channel_urls import check_channels
from scheduler.clock import Clock
from scheduler.jobs.fields import text, text_list, zone_name
from scheduler.jobs.job_input import StrictInput
from scheduler.jobs.validation import Limits
from store import limits as L
from store import quiet_hours
from store.errors import InvalidArgument
from store.models import OwnerSettings
from store.owner_settings import FIELDS, OwnerSettingsStore

Setting = Literal["timezone", "channels", "quiet_hours"]


class OwnerSettingsInput(StrictInput):
    """owner_settings' arguments: what is sent changes; nothing sent reads the settings."""

    timezone: zone_name("For jobs naming none", L.TIMEZONE_MAX) = None
    channels: text_list("For jobs without channels", L.CHANNEL_URL_MAX, L.CHANNELS_MAX) = None
    quiet_hours: text("HH:MM-HH:MM: pushes of non-urgent jobs wait", L.QUIET_HOURS_MAX) = None
    clear: Annotated[list[Setting] | None, Field(description="Settings to unset")] = None


@dataclass(frozen=True)
class OwnerDefaults:
    """The settings in effect: the owner's own, else the server's zone, no channels, no quiet hours."""

    timezone: str
    zone_from_server: bool
    channels: list[str] = field(default_factory=list)
    quiet_hours: str | None = None


class OwnerDefaultsService:
    def __init__(self, store: OwnerSettingsStore, clock: Clock, limits: Limits) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits

    def read(self, owner: str) -> OwnerDefaults:
        return self._effective(self.store.get(owner))

    def change(self, owner: str, data: OwnerSettingsInput) -> OwnerDefaults:
        sent = data.model_dump(exclude_none=True, exclude={"clear"})
        cleared = set(data.clear or [])
        both = sorted(cleared & sent.keys())
        if both:
            raise InvalidArgument("clear", "settings not also given in this call", both)
        if "quiet_hours" in sent and quiet_hours.parse(sent["quiet_hours"]) is None:
            raise InvalidArgument("quiet_hours", quiet_hours.EXPECTED, sent["quiet_hours"])
        if "channels" in sent:
            check_channels("channels", sent["channels"], self.limits.fetch_allow)
        values = {**sent, **dict.fromkeys(cleared)}
        if not values:
            return self.read(owner)
        return self._effective(self.store.change(owner, {k: values[k] for k in FIELDS if k in values},
                                                 self.clock.now()))

    def _effective(self, row: OwnerSettings | None) -> OwnerDefaults:
        if row is None:
            return OwnerDefaults(timezone=self.limits.default_timezone, zone_from_server=True)
        return OwnerDefaults(timezone=row.timezone or self.limits.default_timezone,
                             zone_from_server=row.timezone is None, channels=list(row.channels or []),
                             quiet_hours=row.quiet_hours)
