"""The `jobs-mcp` command line. Every flag has a JOBS_MCP_* twin, shown in --help."""

from __future__ import annotations

import logging
import sys

import click

from jobs_mcp.config import load_settings
from store.errors import InvalidArgument


@click.group()
def main() -> None:
    """jobs-mcp: scheduled, recurring and ongoing jobs for chat agents, over MCP."""


@main.command()
@click.option("--transport", type=click.Choice(["http", "stdio"]), default="http", show_default=True,
              help="http: streamable HTTP at /mcp; stdio: for clients that start the server themselves.")
@click.option("--host", envvar="JOBS_MCP_HOST", default=None, help="Address to bind [env JOBS_MCP_HOST; 127.0.0.1]")
@click.option("--port", envvar="JOBS_MCP_PORT", type=int, default=None, help="Port [env JOBS_MCP_PORT; 7803]")
@click.option("--database-url", envvar="JOBS_MCP_DATABASE_URL", default=None,
              help="sqlite:///path or postgresql://... [env JOBS_MCP_DATABASE_URL; SQLite in the user data dir]")
@click.option("--timezone", envvar="JOBS_MCP_TIMEZONE", default=None,
              help="Default IANA zone for jobs that name none [env JOBS_MCP_TIMEZONE; UTC]")
@click.option("--tokens-file", envvar="JOBS_MCP_TOKENS_FILE", default=None,
              help="File of 'token owner' lines; required bearer tokens [env JOBS_MCP_TOKENS_FILE]")
@click.option("--max-concurrent-runs", envvar="JOBS_MCP_MAX_CONCURRENT_RUNS", type=int, default=None,
              help="Runs at once on this node [env JOBS_MCP_MAX_CONCURRENT_RUNS; 8]")
@click.option("--min-interval-seconds", envvar="JOBS_MCP_MIN_INTERVAL_SECONDS", type=int, default=None,
              help="Shortest interval a job may have [env JOBS_MCP_MIN_INTERVAL_SECONDS; 60]")
@click.option("--log-level", envvar="JOBS_MCP_LOG_LEVEL", default=None, help="[env JOBS_MCP_LOG_LEVEL; INFO]")
def serve(transport: str, **overrides: object) -> None:
    """Start the server (HTTP on 127.0.0.1:7803 by default)."""
    from jobs_mcp.runtime import run_server

    try:
        settings = load_settings().with_overrides(**overrides)
    except InvalidArgument as exc:
        raise click.UsageError(exc.message) from exc
    logging.basicConfig(level=settings.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    run_server(settings, transport)


if __name__ == "__main__":
    main()
