"""Nodes wake each other with PostgreSQL LISTEN/NOTIFY (docs/design.md §8).

A job change on one node (create, resume, run-now, cancel) is sent as
`job_id|status|next_run_at`; every node re-arms its poller for that fire, and
the node running a cancelled job stops it at once instead of at its next
heartbeat. Best effort: the safety interval covers a lost notification.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

log = logging.getLogger(__name__)
CHANNEL = "jobs_mcp_wake"


@dataclass(frozen=True)
class Wake:
    job_id: str
    status: str
    next_run_at: datetime | None

    def encode(self) -> str:
        return f"{self.job_id}|{self.status}|{self.next_run_at.isoformat() if self.next_run_at else ''}"

    @classmethod
    def decode(cls, payload: str) -> Wake | None:
        parts = payload.split("|")
        if len(parts) != 3:
            return None
        try:
            when = datetime.fromisoformat(parts[2]) if parts[2] else None
        except ValueError:
            return None
        return cls(parts[0], parts[1], when)


class PgWakeups:
    def __init__(self, engine: Engine) -> None:
        self._dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._outbox: queue.SimpleQueue[Wake | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, on_wake: Callable[[Wake], None]) -> None:
        self._threads = [threading.Thread(target=self._listen, args=(on_wake,), name="pg-listen", daemon=True),
                         threading.Thread(target=self._send_loop, name="pg-notify", daemon=True)]
        for thread in self._threads:
            thread.start()

    def send(self, wake: Wake) -> None:
        """Queue a notification (any thread, never blocks)."""
        self._outbox.put(wake)

    def stop(self) -> None:
        self._stop.set()
        self._outbox.put(None)

    def _listen(self, on_wake: Callable[[Wake], None]) -> None:
        import psycopg  # here, not at the top: only PostgreSQL nodes need it, and it slows every start

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            wake = Wake.decode(note.payload)
                            if wake is not None:
                                on_wake(wake)
            except psycopg.Error:
                log.warning("LISTEN connection lost; reconnecting", exc_info=True)
                self._stop.wait(1.0)

    def _send_loop(self) -> None:
        import psycopg

        conn: psycopg.Connection | None = None
        while True:
            wake = self._outbox.get()
            if wake is None:
                break
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self._dsn, autocommit=True)
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, wake.encode()))
            except psycopg.Error:
                log.warning("NOTIFY failed; the safety interval will cover it", exc_info=True)
                conn = None
        if conn is not None:
            conn.close()
