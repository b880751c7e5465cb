"""Driver errors named as causes an operator acts on, and the log that reports each cause once per interval."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from store.embeddings import EmbeddingStore, NewEmbedding
from store.errors import StoreUnavailable
from store.unavailable import (
    DISK_FULL,
    READ_ONLY,
    UNREACHABLE,
    ReportLimiter,
    as_unavailable,
    report,
    unavailable_cause,
)
from tests.support.databases import require_postgres
from tests.support.http import free_port


def sqlite_error(path: Path, setup: str, statement: str) -> sqlite3.Error:
    conn = sqlite3.connect(path)
    try:
        conn.execute(setup)
        conn.execute(statement)
    except sqlite3.Error as exc:
        return exc
    finally:
        conn.close()
    raise AssertionError(f"{statement} did not fail")


def test_real_sqlite_errors_get_their_cause(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    sqlite_error(db, "CREATE TABLE t (x TEXT)", "SELECT * FROM missing")
    assert unavailable_cause(sqlite_error(db, "PRAGMA query_only = ON", "INSERT INTO t VALUES ('x')")) == READ_ONLY
    full = sqlite_error(db, "PRAGMA max_page_count = 2", "INSERT INTO t SELECT hex(randomblob(9000))")
    assert unavailable_cause(full) == DISK_FULL
    (tmp_path / "b.db").write_bytes(b"x" * 4096)
    damaged = sqlite_error(tmp_path / "b.db", "SELECT * FROM sqlite_master", "SELECT 1")
    assert unavailable_cause(damaged) == "the database file is damaged"
    assert unavailable_cause(sqlite_error(db, "SELECT 1", "SELECT * FROM missing")) is None  # a bug, not an outage


def test_wrapped_by_sqlalchemy_the_cause_is_the_same(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE t (x TEXT)"))
        conn.execute(text("PRAGMA query_only = ON"))
        with pytest.raises(DBAPIError) as caught:
            conn.execute(text("INSERT INTO t VALUES ('x')"))
    engine.dispose()
    unavailable = as_unavailable(caught.value)
    assert isinstance(unavailable, StoreUnavailable) and unavailable.cause == READ_ONLY
    assert unavailable.code == "unavailable" and unavailable.message == f"{READ_ONLY}; try again later"
    assert as_unavailable(ValueError("x")) is None


@pytest.mark.postgres
def test_a_refused_postgres_connection_cannot_be_reached() -> None:
    require_postgres()
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect(f"postgresql://postgres@127.0.0.1:{free_port()}/test", connect_timeout=5)
    assert unavailable_cause(caught.value) == UNREACHABLE


def test_the_limiter_reports_a_cause_once_per_interval_and_counts_the_rest() -> None:
    now = [1000.0]
    limiter = ReportLimiter(every_s=300, now_s=lambda: now[0])
    assert limiter.due(READ_ONLY) == 0
    assert [limiter.due(READ_ONLY) for _ in range(5)] == [None] * 5
    assert limiter.due(DISK_FULL) == 0  # another cause is news
    now[0] += 299
    assert limiter.due(READ_ONLY) is None
    now[0] += 1
    assert limiter.due(READ_ONLY) == 6  # the six kept quiet since the last report


def test_report_logs_the_cause_with_the_driver_text_once(caplog: pytest.LogCaptureFixture) -> None:
    limiter = ReportLimiter(every_s=300, now_s=lambda: 0.0)
    error = StoreUnavailable(DISK_FULL)
    error.__cause__ = sqlite3.OperationalError("database or disk is full")
    with caplog.at_level(logging.ERROR, logger="store.unavailable"):
        for _ in range(50):
            report(error, "job_create", limiter)
    assert [r.getMessage() for r in caplog.records] == [
        "database unavailable in job_create: the disk is full (database or disk is full)"]


def test_the_search_index_reads_and_writes_name_an_unopenable_database(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}")  # a directory: SQLite cannot open it
    store = EmbeddingStore(engine)
    reads = [lambda: store.changed_since(None), lambda: store.rows_by_id(["job_1"]),
             lambda: store.owner_rows("alice"), lambda: store.ids_needing_embedding("m")]
    for read in reads:
        with pytest.raises(StoreUnavailable) as caught:
            read()
        assert caught.value.cause == "the database file cannot be opened"
    with pytest.raises(StoreUnavailable):
        store.save("m", [NewEmbedding("job_1", "t", "i", b"\0" * 4)])
    engine.dispose()
