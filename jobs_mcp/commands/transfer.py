"""`jobs-mcp export OWNER > file.json` and `jobs-mcp import file.json` (format: store/transfer.py)."""

from __future__ import annotations

import json

import click

from jobs_mcp.commands.common import OPERATOR, clean_failures, database_option, dumps, open_store, print_json
from store import operator
from store.errors import InvalidArgument
from store.transfer import export_owner, import_document


@click.command("export")
@click.argument("owner")
@database_option
def export(owner: str, database_url: str | None) -> None:
    """Write an owner's jobs with their settings as JSON to standard output."""
    with open_store(database_url) as store:
        if not operator.owner_exists(store.repo, owner):
            raise click.ClickException(f"not_found: no jobs of owner {owner!r}")
        document = export_owner(store.repo, owner, store.now)
    click.echo(dumps(document))


@click.command("import")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON")
@database_option
def import_(path: str, as_json: bool, database_url: str | None) -> None:
    """Store the jobs of an export file; jobs already stored are left as they are (safe to repeat)."""
    with clean_failures(), click.open_file(path, encoding="utf-8") as stream:
        try:
            document = json.load(stream)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidArgument("file", "a JSON export written by jobs-mcp export",
                                  reason=f"{path} is not JSON ({exc})") from exc
    with open_store(database_url) as store:
        result = import_document(store.repo, document, store.now, OPERATOR)
    if as_json:
        print_json({"owner": result.owner, "imported": result.imported, "existing": result.existing,
                    "settings": result.settings})
    else:
        settings = {"imported": "; settings imported", "kept": "; the settings already there kept", "none": ""}
        click.echo(f"{len(result.imported)} jobs imported for {result.owner}, {len(result.existing)} already there"
                   f"{settings[result.settings]}")
