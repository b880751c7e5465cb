"""`jobs-mcp serve` refuses unusable configuration with one clear line, run as the real command."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.engine import make_engine
from store.schema import ensure_schema, head
from tests.support.databases import PG_ADMIN_DSN, require_postgres
from tests.support.http import free_port
from tests.support.serve_process import JOBS_MCP, server_env
from tests.support.tmpfs import mounted_tmpfs, remount_read_only


def refused(tmp_path: Path, *args: str, database_url: str | None = None, **env: str) -> str:
    """Run `jobs-mcp serve` expecting it to stop at once; the last line of its stderr (asserted to be the gist)."""
    url = database_url or f"sqlite:///{tmp_path / 'jobs.db'}"
    done = subprocess.run([JOBS_MCP, "serve", *args], env=server_env(url, 7803, **env), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(("value", "why"), [
    ("*", "wildcards are not supported"), ("ok.example,*.corp.example", "wildcards are not supported"),
    ("http://intranet.example", "not a host name"), ("10.1.2.3/8", "write the network as 10.0.0.0/8"),
])
def test_a_bad_fetch_allow_entry_stops_the_server_naming_the_variable(tmp_path: Path, value: str, why: str) -> None:
    line = refused(tmp_path, JOBS_MCP_FETCH_ALLOW=value)
    assert line.startswith("Error: --fetch-allow / JOBS_MCP_FETCH_ALLOW: ") and why in line


def test_the_flag_is_checked_like_its_variable(tmp_path: Path) -> None:
    line = refused(tmp_path, "--fetch-allow", "*")
    assert line.startswith("Error: --fetch-allow / JOBS_MCP_FETCH_ALLOW: ") and "wildcards" in line


# -- unusable databases ----------------------------------------------------------------------------------------

DATABASE = "Error: --database-url / JOBS_MCP_DATABASE_URL: "


def refused_database(tmp_path: Path, database_url: str) -> str:
    """`jobs-mcp serve` on `database_url`: exits non-zero with exactly one line on stderr, which is returned."""
    done = subprocess.run([JOBS_MCP, "serve"], env=server_env(database_url, free_port()), capture_output=True,
                          text=True, timeout=120)
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0 and len(lines) == 1, done.stderr
    assert lines[0].startswith(DATABASE), lines
    return lines[0].removeprefix(DATABASE)


def jobs_database(path: Path, rows: int = 0) -> Path:
    """A SQLite file made by jobs-mcp's own schema code, with `rows` filler events to give it many pages."""
    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    if rows:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE filler (x TEXT)")
            conn.exec_driver_sql("INSERT INTO filler SELECT hex(randomblob(500)) FROM "
                                 f"(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT {rows}) "
                                 "SELECT i FROM n)")
    engine.dispose()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page into the file, so cutting it loses pages
    conn.close()
    return path


def test_random_bytes_are_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    path.write_bytes(os.urandom(64 * 1024))
    assert refused_database(tmp_path, f"sqlite:///{path}") == (
        f"{path} is not a SQLite database (it does not start with the SQLite header); give a new path or the "
        "file jobs-mcp made")


def test_a_truncated_file_is_damaged(tmp_path: Path) -> None:
    path = jobs_database(tmp_path / "jobs.db", rows=2000)
    size = path.stat().st_size
    os.truncate(path, size // 2)
    line = refused_database(tmp_path, f"sqlite:///{path}")
    assert line == (f"{path} is damaged: it is cut short ({size // 2} bytes; its header says {size}); "
                    "restore it from a backup")


def test_a_foreign_jobs_table_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, name TEXT)")
    line = refused_database(tmp_path, f"sqlite:///{path}")
    assert line.startswith(f"SQLite file {path} has a table 'jobs' that jobs-mcp did not make (it lacks action, ")
    with sqlite3.connect(path) as conn:  # not altered, and nothing added beside it
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["jobs"]
        assert [r[1] for r in conn.execute("PRAGMA table_info(jobs)")] == ["id", "name"]


def test_a_database_a_newer_release_migrated_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = jobs_database(tmp_path / "jobs.db")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    assert refused_database(tmp_path, f"sqlite:///{path}") == (
        f"the database is at schema revision '9999_from_the_future', which this jobs-mcp does not know (its newest "
        f"is {head()!r}): a newer release migrated it; run that release, or give another database")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("9999_from_the_future",)]


def test_a_directory_is_not_a_database_file(tmp_path: Path) -> None:
    assert refused_database(tmp_path, f"sqlite:///{tmp_path}") == (
        f"{tmp_path} is a directory, not a database file; give a file inside it, e.g. sqlite:///{tmp_path}/jobs.db")


@pytest.mark.parametrize(("url", "expected"), [
    ("not-a-url", "expected sqlite:///path/to/jobs.db or postgresql://user@host:5432/dbname, got 'not-a-url'"),
    ("mysql://app:secret@db.example/jobs", "mysql databases are not supported; expected sqlite:///path/to/jobs.db "
                                           "or postgresql://user@host:5432/dbname, got 'mysql://app:***@db.example/jobs'"),
    ("postgresql+asyncpg://app@db.example/jobs", "the asyncpg driver is not supported; expected "
                                                 "sqlite:///path/to/jobs.db or postgresql://user@host:5432/dbname, "
                                                 "got 'postgresql+asyncpg://app@db.example/jobs'"),
])
def test_urls_that_name_no_usable_database(tmp_path: Path, url: str, expected: str) -> None:
    assert refused_database(tmp_path, url) == expected


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory on a tmpfs remounted read-only (as root; read-only for root too, unlike chmod)."""
    with mounted_tmpfs(tmp_path / "ro") as mount_point:
        jobs_database(mount_point / "jobs.db")
        remount_read_only(mount_point)
        yield mount_point


def test_a_read_only_path(tmp_path: Path, read_only_dir: Path) -> None:
    existing, new = read_only_dir / "jobs.db", read_only_dir / "sub" / "new.db"
    assert refused_database(tmp_path, f"sqlite:///{existing}") == (
        f"the database is read-only: {existing} (or its directory, where SQLite keeps its journal) cannot be written")
    assert refused_database(tmp_path, f"sqlite:///{new}") == f"{new} cannot be created: {read_only_dir} is read-only"


@pytest.mark.postgres
def test_postgres_refused_or_missing(tmp_path: Path) -> None:
    require_postgres()
    port = free_port()  # nothing listens there
    assert refused_database(tmp_path, f"postgresql://postgres@127.0.0.1:{port}/test") == (
        f"cannot connect to PostgreSQL at 127.0.0.1:{port}/test: Connection refused")
    base = PG_ADMIN_DSN.rpartition("/")[0]
    host = base.rsplit("@", 1)[-1]
    assert refused_database(tmp_path, f"{base}/jobs_no_such_db") == (
        f'cannot connect to PostgreSQL at {host}/jobs_no_such_db: database "jobs_no_such_db" does not exist')


def test_every_quota_has_a_flag_and_a_variable() -> None:
    out = subprocess.run([JOBS_MCP, "serve", "--help"], capture_output=True, text=True, check=True).stdout
    for flag, variable in (("--max-active-jobs", "JOBS_MCP_MAX_ACTIVE_JOBS"),
                           ("--max-creates-per-minute", "JOBS_MCP_MAX_CREATES_PER_MINUTE"),
                           ("--max-daily-spend-usd", "JOBS_MCP_MAX_DAILY_SPEND_USD")):
        assert flag in out and variable in out


def test_a_bad_quota_flag_names_flag_and_variable(tmp_path: Path) -> None:
    line = refused(tmp_path, "--max-daily-spend-usd", "lots")
    assert line == ("Error: --max-daily-spend-usd / JOBS_MCP_MAX_DAILY_SPEND_USD: expected an amount in USD from 0 "
                    "(no limit) to 1000000, got 'lots'")


@pytest.mark.parametrize(("content", "why"), [
    (None, "No such file or directory"),
    ('{"mcpServers": {"notes": {"args": ["x"]}}}', "notes: expected exactly one of command (stdio) or url"),
])
def test_a_bad_servers_file_stops_the_server_in_one_line(tmp_path: Path, content: str | None, why: str) -> None:
    path = tmp_path / "servers.json"
    if content is not None:
        path.write_text(content)
    line = refused(tmp_path, "--servers-file", str(path))
    assert line.startswith("Error: --servers-file / JOBS_MCP_SERVERS_FILE: ") and why in line
