"""The operator's commands of `jobs-mcp` (docs/operations.md), one module per group, added to the main group."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    from jobs_mcp.commands.activity import inbox, stats, tail
    from jobs_mcp.commands.db import db
    from jobs_mcp.commands.doctor import doctor
    from jobs_mcp.commands.jobs import jobs
    from jobs_mcp.commands.transfer import export, import_

    for command in (jobs, tail, inbox, stats, export, import_, db, doctor):
        main.add_command(command)
