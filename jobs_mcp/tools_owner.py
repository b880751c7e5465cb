"""owner_settings: the caller's defaults (zone, channels, quiet hours), read or changed in one call."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations
from pydantic import Field

from jobs_mcp.results import PublicModel
from jobs_mcp.state import app_state, caller, off_loop
from jobs_mcp.tool_params import given_arguments, model_params, with_params
from scheduler.channel_urls import mask
from scheduler.jobs.owner_defaults import OwnerDefaults, OwnerSettingsInput


class OwnerSettingsResult(PublicModel):
    timezone: str = Field(description="Zone of your jobs that name none")
    zone_from_server: bool = Field(False, description="True: you set none; the server's applies")
    channels: list[str] = Field(default_factory=list, description="Masked")
    quiet_hours: str | None = None

    @classmethod
    def of(cls, defaults: OwnerDefaults) -> OwnerSettingsResult:
        return cls(timezone=defaults.timezone, zone_from_server=defaults.zone_from_server,
                   channels=[mask(url) for url in defaults.channels], quiet_hours=defaults.quiet_hours)


def register_owner_tools(server: MCPServer[Any]) -> None:
    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True,
                                             open_world_hint=False))
    @with_params(*model_params(OwnerSettingsInput))
    async def owner_settings(ctx: Context, **fields: Any) -> OwnerSettingsResult:
        """Read (no arguments) or change your defaults."""
        state = app_state(ctx)
        data = OwnerSettingsInput.model_validate(given_arguments(fields))
        return OwnerSettingsResult.of(await off_loop(state.owner_defaults.change, caller(ctx), data))
