"""check_database on SQLite and PostgreSQL: a healthy or older database passes, a foreign table or a read-only
database is refused with one sentence, and nothing is written while checking."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from store.database_check import check_database
from store.engine import make_engine
from store.errors import DatabaseUnusable
from store.schema import ensure_schema
from tests.support.databases import fresh_postgres_database


def test_a_new_and_a_set_up_database_pass(db_url: str) -> None:
    check_database(db_url)
    engine = make_engine(db_url)
    try:
        assert inspect(engine).get_table_names() == []  # the check created nothing
        ensure_schema(engine)
        check_database(db_url)
    finally:
        engine.dispose()


def test_a_database_from_before_an_added_column_passes(db_url: str) -> None:
    """A database made before migrations (create_all, no alembic_version) may lack the column
    store/schema_additions.py used to add."""
    engine = make_engine(db_url)
    try:
        SQLModel.metadata.create_all(engine)
        with engine.begin() as conn:  # nor revision 0007's index, which reads the column
            conn.execute(text("DROP INDEX ix_jobs_due_slots"))
            conn.execute(text("ALTER TABLE jobs DROP COLUMN max_cost_usd"))
        check_database(db_url)
    finally:
        engine.dispose()


def test_a_table_of_ours_made_by_another_program_is_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE job_runs (id INTEGER PRIMARY KEY, started TEXT)"))
        with pytest.raises(DatabaseUnusable, match=r"has a table 'job_runs' that jobs-mcp did not make \(it lacks "
                                                   r"attempt, cache_read_tokens, cache_write_tokens, cost_usd, "
                                                   r"error, \.\.\.\); use an empty database"):
            check_database(db_url)
        assert inspect(engine).get_table_names() == ["job_runs"]
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_read_only_postgres_database_is_refused() -> None:
    with fresh_postgres_database() as db_url:
        engine = make_engine(db_url)
        try:
            with engine.begin() as conn:
                name = conn.execute(text("SELECT current_database()")).scalar_one()
                conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        finally:
            engine.dispose()
        with pytest.raises(DatabaseUnusable, match=r"^the database is read-only: PostgreSQL at .* accepts no writes"):
            check_database(db_url)


def test_an_interrupted_checkpoint_is_not_taken_for_a_cut_file(tmp_path: Path) -> None:
    """With pages still in the write-ahead log, a file shorter than its header is a state SQLite recovers from."""
    path = tmp_path / "jobs.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("y" * 500,)] * 200)
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    size = path.stat().st_size
    os.truncate(path, size // 2)
    with pytest.raises(DatabaseUnusable, match="is damaged: it is cut short"):
        check_database(f"sqlite:///{path}")
    (tmp_path / "jobs.db-wal").write_bytes(b"\0" * 32)
    try:
        check_database(f"sqlite:///{path}")
    except DatabaseUnusable as exc:  # SQLite itself may still find the file damaged; it must not be our guess
        assert "cut short" not in exc.message
