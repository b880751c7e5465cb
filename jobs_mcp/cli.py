"""The `jobs-mcp` command line. Every flag has a JOBS_MCP_* (or ANTHROPIC_*) twin, shown in --help."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from jobs_mcp.commands import LazyGroup
from jobs_mcp.config import load_settings
from jobs_mcp.logs import configure_logging
from store.errors import DatabaseUnusable, InvalidArgument

# (flag, environment variable, help). A flag wins over its variable; both are read and checked by
# jobs_mcp.config, so a bad value gets the same message whichever way it came.
SERVE_FLAGS: list[tuple[str, str, str]] = [
    ("--host", "JOBS_MCP_HOST", "Address to bind (default 127.0.0.1)"),
    ("--port", "JOBS_MCP_PORT", "Port (default 7803)"),
    ("--database-url", "JOBS_MCP_DATABASE_URL", "sqlite:///path or postgresql://... (default: SQLite in the "
                                                "user data directory)"),
    ("--timezone", "JOBS_MCP_TIMEZONE", "IANA zone for jobs that name none (default UTC)"),
    ("--tokens-file", "JOBS_MCP_TOKENS_FILE", "File of 'token owner' lines; bearer tokens become required"),
    ("--fetch-allow", "JOBS_MCP_FETCH_ALLOW", "Comma-separated addresses or networks (open for any name) and host "
                                              "names (open onto private networks only) that http_fetch and "
                                              "webhooks may reach; no wildcards"),
    ("--model", "JOBS_MCP_MODEL", "Model that executes agent jobs"),
    ("--judge-model", "JOBS_MCP_JUDGE_MODEL", "Model that judges runs"),
    ("--anthropic-base-url", "ANTHROPIC_BASE_URL", "Any Anthropic-compatible endpoint"),
    ("--prices-file", "JOBS_MCP_PRICES_FILE", "JSON price table (USD per million tokens) over the defaults"),
    ("--servers-file", "JOBS_MCP_SERVERS_FILE", 'JSON {"mcpServers": {...}} as chat clients write it: the MCP '
                                                "servers whose tools agent jobs may use (agent_tools)"),
    ("--tool-timeout-seconds", "JOBS_MCP_TOOL_TIMEOUT_SECONDS", "Time one MCP tool call of an agent run may take "
                                                              "(default 60)"),
    ("--max-concurrent-runs", "JOBS_MCP_MAX_CONCURRENT_RUNS", "Runs at once on this node (default 8)"),
    ("--min-interval-seconds", "JOBS_MCP_MIN_INTERVAL_SECONDS", "Shortest interval a job may have (default 60)"),
    ("--node-id", "JOBS_MCP_NODE_ID", "This node's name in leases (default host-pid)"),
    ("--lease-seconds", "JOBS_MCP_LEASE_SECONDS", "How long a dead node keeps its runs (default 30)"),
    ("--shutdown-grace-seconds", "JOBS_MCP_SHUTDOWN_GRACE_SECONDS", "Wait for running runs on SIGTERM (default 10)"),
    ("--public-hosts", "JOBS_MCP_PUBLIC_HOSTS", "Comma-separated host names (optional :port) clients use to reach "
                                                "this server, besides localhost; other Host/Origin headers get 403"),
    ("--read-timeout-seconds", "JOBS_MCP_READ_TIMEOUT_SECONDS", "Time a client has to send a whole request, "
                                                              "headers and body (default 10)"),
    ("--keep-alive-seconds", "JOBS_MCP_KEEP_ALIVE_SECONDS", "Idle time before a kept-alive connection is closed "
                                                          "(default 30)"),
    ("--session-idle-seconds", "JOBS_MCP_SESSION_IDLE_SECONDS", "An MCP session unused this long ends; its id "
                                                              "then answers 404 (default 1800)"),
    ("--max-sessions", "JOBS_MCP_MAX_SESSIONS", "Live MCP sessions at most; a new one beyond gets 503 "
                                                "(default 1000)"),
    ("--max-sessions-per-owner", "JOBS_MCP_MAX_SESSIONS_PER_OWNER", "Live MCP sessions of one owner at most; a new "
                                                                    "one beyond gets 503 (default 250; 0: no limit)"),
    ("--log-level", "JOBS_MCP_LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR (default INFO)"),
    ("--log-format", "JOBS_MCP_LOG_FORMAT", "text or json (one object per line, job_id/run_id as fields)"),
    ("--max-active-jobs", "JOBS_MCP_MAX_ACTIVE_JOBS", "Jobs one owner may keep unfinished (default 1000; "
                                                      "0: no limit)"),
    ("--max-creates-per-minute", "JOBS_MCP_MAX_CREATES_PER_MINUTE", "Jobs one owner may create per minute (default 60; "
                                                                    "0: no limit)"),
    ("--max-daily-spend-usd", "JOBS_MCP_MAX_DAILY_SPEND_USD", "LLM spend per owner per UTC day in USD; agent runs "
                                                              "beyond it fail without calling the LLM (default 10; "
                                                              "0: no limit)"),
    ("--archive-after-days", "JOBS_MCP_ARCHIVE_AFTER_DAYS", "Finished jobs become ARCHIVED after this many days "
                                                            "(default 30; 0: never)"),
    ("--purge-after-days", "JOBS_MCP_PURGE_AFTER_DAYS", "Runs, messages and events of archived jobs are deleted "
                                                        "this many days after archiving (default 180; 0: never)"),
]


FLAG_FOR_VARIABLE = {variable: flag for flag, variable, _ in SERVE_FLAGS}
_DATABASE = "--database-url / JOBS_MCP_DATABASE_URL"


def _with_serve_flags(command: Callable[..., Any]) -> Callable[..., Any]:
    for flag, variable, text in reversed(SERVE_FLAGS):
        command = click.option(flag, variable.lower(), default=None, metavar="VALUE",
                               help=f"{text} [env {variable}]")(command)
    return command


@click.group(cls=LazyGroup)
def main() -> None:
    """jobs-mcp: scheduled, recurring and ongoing jobs for chat agents, over MCP."""


@main.command()
@click.option("--transport", type=click.Choice(["http", "stdio"]), default="http", show_default=True,
              help="http: streamable HTTP at /mcp; stdio: for clients that start the server themselves.")
@_with_serve_flags
def serve(transport: str, **flags: str | None) -> None:
    """Start the server (HTTP on 127.0.0.1:7803 by default)."""
    # No garbage collection while the start-up imports and builds (over a thousand modules, hundreds of
    # thousands of objects that live as long as the process; the full collections they trigger cost
    # about a third of a second): run_server freezes what was built and enables it before serving.
    gc.disable()
    environ = dict(os.environ)
    environ.update({name.upper(): value for name, value in flags.items() if value is not None})
    try:
        settings = load_settings(environ)
        configure_logging(settings.log_level, settings.log_format)
        with _database_errors():
            from store.database_check import check_database  # here, not at the top: other commands skip it

            check_database(settings.database_url)
            from jobs_mcp.runtime import run_server  # after the checks: its imports take seconds

            run_server(settings, transport)
    except InvalidArgument as exc:
        flag = FLAG_FOR_VARIABLE.get(exc.field)
        raise click.UsageError(f"{flag} / {exc.message}" if flag else exc.message) from exc


@contextmanager
def _database_errors() -> Iterator[None]:
    """An unusable database stops the command with one line naming the flag, its variable and the problem."""
    from sqlalchemy.exc import DBAPIError

    from store.unavailable import as_unavailable

    try:
        yield
    except DatabaseUnusable as exc:
        raise click.ClickException(f"{_DATABASE}: {exc.message}") from exc
    except DBAPIError as exc:  # the schema could not be set up after the checks passed
        unavailable = as_unavailable(exc)
        problem = unavailable.cause if unavailable else str(exc.orig or exc).strip().splitlines()[0]
        raise click.ClickException(f"{_DATABASE}: the schema could not be set up: {problem}") from exc


if __name__ == "__main__":
    main()
