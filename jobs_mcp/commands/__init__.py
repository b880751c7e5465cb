"""The operator's commands of `jobs-mcp` (docs/operations.md), one module per group, added to the main group.

They are imported only when one of them runs (or --help lists them): `jobs-mcp serve` does not pay
for their imports (rich tables, the operator's store queries) before its first tool answer.
"""

from __future__ import annotations

import importlib

import click

# command name -> "module:attribute"
COMMANDS: dict[str, str] = {
    "jobs": "jobs_mcp.commands.jobs:jobs",
    "tail": "jobs_mcp.commands.activity:tail",
    "inbox": "jobs_mcp.commands.activity:inbox",
    "stats": "jobs_mcp.commands.activity:stats",
    "export": "jobs_mcp.commands.transfer:export",
    "import": "jobs_mcp.commands.transfer:import_",
    "db": "jobs_mcp.commands.db:db",
    "doctor": "jobs_mcp.commands.doctor:doctor",
}


class LazyGroup(click.Group):
    """A click group whose operator commands are imported by name when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, attribute = COMMANDS[cmd_name].split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command) and command.name == cmd_name, COMMANDS[cmd_name]
        return command
