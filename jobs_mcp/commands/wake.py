"""Telling running servers about a change made from the command line.

On PostgreSQL the engines listen for wake-ups (scheduler/engine/notify_pg.py): a cancel stops the
run in flight at once, a run-now fires at once. On SQLite the server's next safety pass (at most
10 s) sees the change instead.
"""

from __future__ import annotations

from sqlalchemy import Engine

from scheduler.engine.notify_pg import CHANNEL, Wake
from store.engine import is_sqlite
from store.models import Job


def wake_nodes(db: Engine, job: Job) -> None:
    if is_sqlite(db):
        return
    with db.begin() as conn:
        conn.exec_driver_sql("SELECT pg_notify(%(channel)s, %(payload)s)",
                             {"channel": CHANNEL, "payload": Wake(job.id, job.status, job.next_run_at).encode()})
