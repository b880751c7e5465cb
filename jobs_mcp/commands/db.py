"""`jobs-mcp db upgrade|current`: the schema revisions (store/schema.py, docs/migrations.md)."""

from __future__ import annotations

import click

from jobs_mcp.commands.common import clean_failures, database_option, print_json, require_existing, settings_for
from store.database_check import check_database


@click.group()
def db() -> None:
    """The database schema."""


@db.command()
@database_option
def upgrade(database_url: str | None) -> None:
    """Migrate the database to this release's schema (creates it when empty)."""
    from store.schema import upgrade as run_upgrade

    settings = settings_for(database_url)
    with clean_failures():
        check_database(settings.database_url)
        revision = run_upgrade(settings.database_url)
    click.echo(f"database at revision {revision}")


@db.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON")
@database_option
def current(as_json: bool, database_url: str | None) -> None:
    """The database's schema revision and this release's newest."""
    from store.schema import current as revision_of
    from store.schema import head

    settings = settings_for(database_url)
    with clean_failures():
        require_existing(settings.database_url)
        check_database(settings.database_url)
        revision, newest = revision_of(settings.database_url), head()
    if as_json:
        print_json({"current": revision, "head": newest, "up_to_date": revision == newest})
        return
    state = "up to date" if revision == newest else "run `jobs-mcp db upgrade`"
    click.echo(f"current {revision or 'none'}, head {newest} ({state})")
