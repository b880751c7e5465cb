"""The database schema: alembic revisions (store/migrations/versions/), applied at every start.

`ensure_schema(engine)` brings a database to the newest revision the code knows, in one
transaction and one node at a time. An empty database is made by the revisions; a database made
before migrations existed (tables, no `alembic_version`) is adopted by the baseline revision,
which keeps what is there and adds what is missing; a database at a revision the code does not
know (a newer release migrated it) is refused with `SchemaTooNew` and left alone. The keyword
index (store/sql/) is laid over the tables afterwards; it is not part of the revisions.
`upgrade(url)` and `current(url)` are what a command line needs. How to add a revision:
docs/migrations.md.

A database already at the newest revision (every start but the first after an upgrade) is
recognised by one read of `alembic_version` against the newest revision read from the revision
files' source: alembic, a fifth of a second of imports, is then not imported at all.
"""

from __future__ import annotations

import ast
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from store import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from store.engine import make_engine
from store.errors import SchemaTooNew
from store.search_keyword import ensure_keyword_index

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS = Path(str(resources.files("store") / "migrations"))
BASELINE = "0001"  # the schema of the first release with migrations
# Columns of the models that a database made before migrations may lack, so that
# store/database_check.py does not take its tables for another program's: the one
# store/schema_additions.py added by hand, and every column a revision after the baseline adds to
# an existing table (tests/store/test_schema.py checks this against the baseline).
PRE_MIGRATION_MAY_LACK: frozenset[tuple[str, str]] = frozenset({
    ("jobs", "max_cost_usd"), ("jobs", "channels"), ("jobs", "urgent"), ("deliveries", "target")})
# What the keyword index adds beside the tables (store/sql/*.sql): not the revisions' business.
_KEYWORD_INDEX = {"table": "jobs_fts", "column": "search_tsv", "index": "ix_jobs_search_tsv"}
_PG_MIGRATION_LOCK = 2093004  # pg_advisory_xact_lock key: one node migrates, the others wait
# Revision 0004 (agent jobs) adds these to jobs.
PRE_MIGRATION_MAY_LACK |= frozenset({("jobs", "model"), ("jobs", "max_turns"), ("jobs", "system_prompt"),
                                     ("jobs", "agent_tools")})
# Revision 0005 (the status an archived job ended with) adds this one.
PRE_MIGRATION_MAY_LACK |= frozenset({("jobs", "archived_from")})

log = logging.getLogger(__name__)


def alembic_config(version_locations: tuple[str, ...] = ()) -> Config:
    """The shipped revisions, plus extra revision folders (tests add one)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join((str(MIGRATIONS / "versions"), *version_locations)))
    return config


@cache
def _script(version_locations: tuple[str, ...] = ()) -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(version_locations))


def head(version_locations: tuple[str, ...] = ()) -> str:
    """The newest revision the code knows."""
    newest = _script(version_locations).get_current_head()
    if newest is None:
        raise RuntimeError(f"no revision in {MIGRATIONS / 'versions'}")
    return newest


@cache
def shipped_head() -> str | None:
    """The newest shipped revision, read from the revision files' `revision` and `down_revision`
    assignments without importing alembic; None when that is not one clear answer (then alembic decides)."""
    revisions: dict[str, object] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        values: dict[str, object] = {}
        for name, value in _assignments(ast.parse(path.read_text(encoding="utf-8"))):
            if name in ("revision", "down_revision"):
                try:
                    values[name] = ast.literal_eval(value)
                except ValueError:
                    return None
        if not isinstance(values.get("revision"), str):
            return None
        revisions[str(values["revision"])] = values.get("down_revision")
    parents = {parent for parent in revisions.values() if parent is not None}
    if not all(isinstance(parent, str) for parent in parents):
        return None  # a merge revision (a tuple of parents): let alembic read the graph
    heads = [revision for revision in revisions if revision not in parents]
    return heads[0] if len(heads) == 1 else None


def _assignments(module: ast.Module) -> Iterator[tuple[str, ast.expr]]:
    """`name = value` and `name: type = value` at the top of a module."""
    for node in module.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            yield node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            yield node.target.id, node.value


def _at_shipped_head(engine: Engine) -> str | None:
    """The shipped head if the database is stamped with it and nothing else; else None."""
    newest = shipped_head()
    if newest is None:
        return None
    try:
        if not inspect(engine).has_table("alembic_version"):
            return None
        with engine.connect() as conn:
            stamped = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    except DBAPIError:
        return None  # whatever it is, the full path below sees it too and says so
    return newest if stamped == [newest] else None


def _created_at_shipped_head(engine: Engine) -> str | None:
    """An empty database made at once from the models and stamped with the shipped head, as alembic's
    own guide does for a new database ("create_all, then stamp"); None if it was not empty (or the
    head is not one clear answer), for the full path below.

    The revisions and the models describe one schema (tests/store/test_schema.py checks that the
    revisions, run on an empty database, leave nothing different from the models), so this only
    saves the first start alembic's import and five revisions (0.1-0.2 s of the start)."""
    newest = shipped_head()
    if newest is None or not _empty(engine):
        return None
    with _migration_transaction(engine) as conn:
        if inspect(conn).get_table_names():
            return None  # another node made it meanwhile: the full path finds it at the head
        SQLModel.metadata.create_all(conn)
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                          "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": newest})
    log.info("database schema created at revision %s", newest)
    return newest


def _empty(engine: Engine) -> bool:
    try:
        return not inspect(engine).get_table_names()
    except DBAPIError:
        return False  # whatever it is, the full path sees it too and says so


def include_object(_obj: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any) -> bool:
    """Autogenerate's filter: the keyword index's own objects are left out."""
    keyword_object = _KEYWORD_INDEX.get(type_)
    return keyword_object is None or not (name or "").startswith(keyword_object)


def configure_context(context: Any, connection: Connection) -> None:
    """env.py's one `context.configure` call, at start and for the alembic command line."""
    context.configure(connection=connection, target_metadata=SQLModel.metadata, include_object=include_object,
                      render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by rebuilding
                      compare_type=True)


def ensure_schema(engine: Engine, *, version_locations: tuple[str, ...] = ()) -> str:
    """Bring the database to the newest revision and lay the keyword index; returns the revision.
    Idempotent; run at every start. Raises SchemaTooNew for a database of a newer release."""
    if not version_locations and (newest := _at_shipped_head(engine) or _created_at_shipped_head(engine)):
        ensure_keyword_index(engine)  # nothing to migrate: alembic is not needed (nor imported)
        return newest
    from alembic import command
    from alembic.migration import MigrationContext

    newest = head(version_locations)
    with _migration_transaction(engine) as conn:
        revisions = MigrationContext.configure(conn).get_current_heads()
        known = {script.revision for script in _script(version_locations).walk_revisions()}
        unknown = [revision for revision in revisions if revision not in known]
        if unknown:
            raise SchemaTooNew(unknown[0], newest)
        if revisions != (newest,):
            config = alembic_config(version_locations)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            log.info("database schema migrated from revision %s to %s", revisions[0] if revisions else "none",
                     newest)
    ensure_keyword_index(engine)
    return newest


@contextmanager
def _migration_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for the whole upgrade, one node at a time.

    PostgreSQL: an advisory lock makes a second node wait, then find nothing to do. SQLite: the
    engine's BEGIN IMMEDIATE holds the single writer slot; foreign keys are off meanwhile, as SQLite
    asks for a table rebuild, and checked before the commit.
    """
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            yield conn
        return
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection  # the PRAGMA has no effect inside a transaction
        assert raw is not None
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                yield conn
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                if broken is not None:
                    raise RuntimeError(f"a migration left a row of {broken[0]} without its {broken[2]} row")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def current(url: str) -> str | None:
    """The database's revision (None: never migrated)."""
    from alembic.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            revisions = MigrationContext.configure(conn).get_current_heads()
        return revisions[0] if revisions else None
    finally:
        engine.dispose()


def upgrade(url: str) -> str:
    """Migrate the database at `url` to the newest revision; returns it."""
    engine = make_engine(url)
    try:
        return ensure_schema(engine)
    finally:
        engine.dispose()
