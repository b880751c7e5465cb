"""Engine from a URL: SQLite (the embedded default) or PostgreSQL through psycopg 3.

SQLite runs in WAL mode with a busy timeout; write transactions open with
`BEGIN IMMEDIATE` so two writers never deadlock upgrading a read lock, and
read transactions may ask for `DEFERRED` through the `sqlite_begin`
execution option.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Kept open: as many as anyio's worker threads (40 by default), which run every store call. With
# SQLAlchemy's default (5, overflow 10) concurrent tool calls opened and closed connections, each with
# its PRAGMAs, or waited for one: the bulk of the tail latency under 100 concurrent chats.
SQLITE_POOL_SIZE = 40


def normalize_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` as psycopg 3 URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def statement_reads(engine: Engine) -> Engine:
    """`engine` for reads of one statement each (its own snapshot): SQLite begins them DEFERRED (no writer
    slot), PostgreSQL runs them without a transaction around them, whose BEGIN and ROLLBACK were two more
    round trips per read (every search, and the change feed read before each semantic search)."""
    return engine.execution_options(
        **({"sqlite_begin": "DEFERRED"} if is_sqlite(engine) else {"isolation_level": "AUTOCOMMIT"}))


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    return create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


def _null(value: None) -> None:
    return value


def _sqlite_engine(url: str, database: str | None) -> Engine:
    # The sqlite3 module binds an int, float or str at once, but sends None through its adaptation
    # protocol: a miss in its adapter table, then a lookup of `__adapt__` on its protocol class, whose
    # AttributeError is built and thrown away for every NULL parameter. A reminder's run, event and
    # message rows bind about sixteen NULLs; an adapter for None (process-wide, and None is still bound
    # as NULL) halves what an executemany of such rows costs (docs/performance.md, phase 5).
    sqlite3.register_adapter(type(None), _null)
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        **({"poolclass": NullPool} if database in (None, "", ":memory:") else
           {"pool_size": SQLITE_POOL_SIZE, "max_overflow": 10}),
        json_serializer=_json_dumps,
        json_deserializer=_json_loads,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN is ours to emit.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _json_dumps(value: Any) -> str:
    """json.dumps, without its encoder setup for the empty state/guidance/trace most rows carry."""
    if not value and type(value) in (dict, list):
        return "{}" if type(value) is dict else "[]"
    return json.dumps(value)


def _json_loads(text: str) -> Any:
    """json.loads, short-cut for empty containers (three JSON columns on every claimed row); a new object
    each time, as callers may mutate it."""
    if text == "[]":
        return []
    if text == "{}":
        return {}
    return json.loads(text)

