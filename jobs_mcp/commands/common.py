"""What every operator command shares: the configured database, clean failures, tables or JSON.

Settings come from the same place as `serve`'s (the JOBS_MCP_* variables, `--database-url` over
JOBS_MCP_DATABASE_URL). A command never creates or migrates a database except `db upgrade`: a
database that is missing or behind the code is one line saying what to run.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from jobs_mcp.config import Settings, load_settings
from jobs_mcp.results import JobView, RunView, compact_json, lean
from scheduler.clock import SystemClock
from scheduler.jobs.service import JobService
from scheduler.jobs.validation import Limits
from store.engine import make_engine
from store.errors import DatabaseUnusable, JobsError
from store.models import Job, JobRun
from store.repository import JobRepository
from store.unavailable import as_unavailable

F = TypeVar("F", bound=Callable[..., Any])
OPERATOR = "operator"  # the actor recorded in job events for changes made from the command line
DATABASE = "--database-url / JOBS_MCP_DATABASE_URL"


def database_option(command: F) -> F:
    return click.option("--database-url", "database_url", default=None, metavar="URL",
                        help="Database to use [env JOBS_MCP_DATABASE_URL; default: as serve]")(command)


def json_option(command: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table")(command)


def settings_for(database_url: str | None) -> Settings:
    environ = dict(os.environ)
    if database_url:
        environ["JOBS_MCP_DATABASE_URL"] = database_url
    try:
        return load_settings(environ)
    except JobsError as exc:
        raise click.ClickException(exc.message) from exc


@dataclass
class Store:
    settings: Settings
    db: Engine
    repo: JobRepository
    service: JobService

    @property
    def now(self) -> datetime:
        return SystemClock().now()


@contextmanager
def clean_failures() -> Iterator[None]:
    """Domain errors and database trouble end the command with one line and exit 1, never a traceback."""
    try:
        yield
    except click.ClickException:
        raise
    except DatabaseUnusable as exc:
        raise click.ClickException(f"{DATABASE}: {exc.message}") from exc
    except JobsError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from exc
    except (OperationalError, DBAPIError) as exc:
        unavailable = as_unavailable(exc)
        cause = unavailable.cause if unavailable else str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise click.ClickException(f"{DATABASE}: {cause}") from exc
    except OSError as exc:
        raise click.ClickException(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)) from exc


@contextmanager
def open_store(database_url: str | None) -> Iterator[Store]:
    """The configured database, checked usable and at the code's schema revision, inside clean_failures."""
    settings = settings_for(database_url)
    with clean_failures():
        require_current_schema(settings.database_url)
        db = make_engine(settings.database_url)
        try:
            repo = JobRepository(db)
            limits = Limits(min_interval_seconds=settings.min_interval_seconds, default_timezone=settings.timezone)
            yield Store(settings, db, repo, JobService(repo, SystemClock(), limits))
        finally:
            db.dispose()


def require_current_schema(url: str) -> None:
    from store.database_check import check_database
    from store.schema import current, head

    require_existing(url)
    check_database(url)
    revision, newest = current(url), head()
    if revision is None:
        raise click.ClickException(f"{DATABASE}: the database has no jobs-mcp schema yet; "
                                   "run `jobs-mcp db upgrade` (or start `jobs-mcp serve`)")
    if revision != newest:
        raise click.ClickException(f"{DATABASE}: the database is at schema revision {revision}, this release "
                                   f"at {newest}; run `jobs-mcp db upgrade`")


def require_existing(url: str) -> None:
    """A read must not leave an empty SQLite file behind where none was."""
    from sqlalchemy.engine import make_url

    from store.engine import normalize_url

    try:
        parsed = make_url(normalize_url(url))
    except Exception:  # noqa: BLE001  (check_database names the problem)
        return
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file not in (None, "", ":memory:") and not os.path.exists(os.path.expanduser(str(file))):
        raise click.ClickException(f"{DATABASE}: no database at {file}; "
                                   "run `jobs-mcp db upgrade` (or start `jobs-mcp serve`)")


# -- output -----------------------------------------------------------------------------------------


def console() -> Console:
    # No colour codes when piped; a wide virtual terminal so tests and pipes see whole lines.
    return Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160, highlight=False)


def print_json(data: Any) -> None:
    click.echo(compact_json(data) if not isinstance(data, str) else data)


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, show_edge=False, pad_edge=False, box=None, header_style="bold")
    for name in columns:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*["" if cell is None else str(cell) for cell in row])
    console().print(table)


def job_json(job: Job) -> dict[str, Any]:
    return {"owner": job.owner, **lean(JobView.of(job, "full"))}


def run_json(run: JobRun, timezone: str = "UTC") -> dict[str, Any]:
    data = lean(RunView.of(run, timezone, "full"))
    data.pop("deliveries", None)
    return {"job_id": run.job_id, **data}


def when(value: datetime | None) -> str:
    """A stored time as the operator reads it: UTC, to the second."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def seconds_between(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    return f"{(end - start).total_seconds():.1f}s"


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
