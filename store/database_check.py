"""Is the configured database usable? Checked once before the server sets up its schema and starts.

Each problem becomes one `DatabaseUnusable` sentence that says what is wrong and
where (`jobs_mcp.cli` prefixes the flag and variable): a URL that is not one, an
unsupported database, a SQLite path that is a directory, unreadable, read-only,
not a SQLite file or cut short, a table with one of our names that another
program made, a PostgreSQL server that refuses or lacks the database.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlmodel import SQLModel

from store.engine import make_engine, normalize_url
from store.errors import DatabaseUnusable
from store.schema import PRE_MIGRATION_MAY_LACK
from store.unavailable import READ_ONLY, unavailable_cause

SUPPORTED = "sqlite:///path/to/jobs.db or postgresql://user@host:5432/dbname"
CONNECT_TIMEOUT_S = 10
SQLITE_MAGIC = b"SQLite format 3\x00"
_DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}


def check_database(url: str) -> None:
    """Raise DatabaseUnusable naming what is wrong with the database at `url`; changes nothing in it."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        _check_sqlite_path(parsed.database)
        where = f"SQLite file {parsed.database}"
    else:
        where = f"PostgreSQL at {parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database}"
        if "connect_timeout" not in parsed.query:  # an unanswering host would hold the start for minutes
            parsed = parsed.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_S)})
    try:
        engine = make_engine(parsed.render_as_string(hide_password=False))
    except OSError as exc:  # the SQLite file's directory could not be created
        raise DatabaseUnusable(f"cannot create the directory for {where}: {exc.strerror}") from exc
    try:
        _probe(engine, where)
    except DBAPIError as exc:
        raise DatabaseUnusable(_describe(exc, where)) from exc
    finally:
        engine.dispose()


def _parse(url: str) -> URL:
    try:
        parsed = make_url(normalize_url(url.strip()))
    except (ArgumentError, ValueError):
        raise DatabaseUnusable(f"expected {SUPPORTED}, got {url!r}") from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    shown = parsed.render_as_string(hide_password=True)
    if backend not in _DRIVERS:
        raise DatabaseUnusable(f"{backend} databases are not supported; expected {SUPPORTED}, got {shown!r}")
    if driver != _DRIVERS[backend]:
        raise DatabaseUnusable(f"the {driver} driver is not supported; expected {SUPPORTED}, got {shown!r}")
    if backend == "postgresql" and not parsed.database:
        raise DatabaseUnusable(f"the URL names no database; expected {SUPPORTED}, got {shown!r}")
    return parsed


def _check_sqlite_path(database: str | None) -> None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return  # in memory, or a SQLite URI whose options SQLite reads itself
    path = Path(database).expanduser()
    if path.is_dir():
        raise DatabaseUnusable(f"{path} is a directory, not a database file; give a file inside it, "
                               f"e.g. sqlite:///{path / 'jobs.db'}")
    if not path.exists():
        _check_creatable(path)
        return
    if not path.is_file():
        raise DatabaseUnusable(f"{path} is not a regular file")
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except OSError as exc:
        raise DatabaseUnusable(f"{path} cannot be read: {exc.strerror}") from exc
    size = path.stat().st_size
    if size and not header.startswith(SQLITE_MAGIC):
        raise DatabaseUnusable(f"{path} is not a SQLite database (it does not start with the SQLite header); "
                               "give a new path or the file jobs-mcp made")
    _check_length(path, header, size)
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        raise DatabaseUnusable(f"{READ_ONLY}: {path} (or its directory, where SQLite keeps its journal) "
                               "cannot be written")


def _check_creatable(path: Path) -> None:
    ancestor = path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise DatabaseUnusable(f"{path} cannot be created: {ancestor} is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise DatabaseUnusable(f"{path} cannot be created: {ancestor} is read-only")


def _check_length(path: Path, header: bytes, size: int) -> None:
    """A file shorter than its header says (https://sqlite.org/fileformat2.html#in_header_database_size)."""
    if 0 < size < 100:
        raise DatabaseUnusable(f"{path} is damaged: {size} bytes is shorter than a SQLite header")
    if size == 0 or _wal_pending(path):
        return  # empty, or a checkpoint was interrupted: the write-ahead log still holds the pages
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    size_is_valid = pages > 0 and header[24:28] == header[92:96]
    if size_is_valid and size < pages * page_size:
        raise DatabaseUnusable(f"{path} is damaged: it is cut short ({size} bytes; its header says "
                               f"{pages * page_size}); restore it from a backup")


def _wal_pending(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def _probe(engine: Engine, where: str) -> None:
    """Connect, read the schema, check our tables are ours, and open a write transaction."""
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    _check_tables(engine, where)
    with engine.begin() as conn:  # SQLite: BEGIN IMMEDIATE, which a read-only database refuses
        postgres = engine.dialect.name == "postgresql"
        if postgres and conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on":
            raise DatabaseUnusable(f"{READ_ONLY}: {where} accepts no writes (a standby, or "
                                   "default_transaction_read_only is on)")


def _check_tables(engine: Engine, where: str) -> None:
    """A table with one of our names that lacks our columns belongs to another program: refuse to touch it."""
    inspector = inspect(engine)
    existing = set(inspector.get_table_names())
    if "alembic_version" in existing:
        return  # migrated by jobs-mcp: its revisions bring the tables up to date
    for name, table in SQLModel.metadata.tables.items():
        if name not in existing:
            continue
        have = {column["name"] for column in inspector.get_columns(name)}
        missing = sorted(c.name for c in table.columns
                         if c.name not in have and (name, c.name) not in PRE_MIGRATION_MAY_LACK)
        if missing:
            shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
            raise DatabaseUnusable(f"{where} has a table {name!r} that jobs-mcp did not make (it lacks {shown}); "
                                   "use an empty database or one that jobs-mcp made")


def _describe(error: DBAPIError, where: str) -> str:
    driver = str(error.orig or error).strip().splitlines()[0] if str(error.orig or error).strip() else ""
    detail = driver.rsplit("failed: ", 1)[-1].replace("FATAL:  ", "").strip()
    if driver.startswith(("connection failed", "failed to resolve host")):
        return f"cannot connect to {where}: {detail}"
    cause = unavailable_cause(error)
    return f"{cause}: {where}" if cause else f"{where} cannot be used: {detail}"
