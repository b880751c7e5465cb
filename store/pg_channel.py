"""One PostgreSQL LISTEN/NOTIFY channel between nodes: a thread that listens, a thread that sends.

Nodes use two: the engine's wake-ups (scheduler/engine/notify_pg.py) and the pushes to connected
chats (jobs_mcp/event_relay.py). Both are best effort by design: a notification lost while a
connection is re-made only delays what a safety interval or the client's next read catches, so a
lost connection is logged and re-made, never raised. psycopg is imported by the threads, not here:
only PostgreSQL nodes need it, and it slows every start.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from sqlalchemy import Engine

log = logging.getLogger(__name__)


class PgChannel:
    """`send` queues a payload (any thread, never blocks) for one connection to NOTIFY; `start` hands every
    payload heard on the channel to `on_payload`, on the listen thread, over a connection of its own."""

    def __init__(self, engine: Engine, channel: str, *, name: str, lost_means: str) -> None:
        self.channel = channel
        self.name = name  # of the threads and in the log
        self.lost_means = lost_means  # what a failed NOTIFY costs, for the log
        self._dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._outbox: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, on_payload: Callable[[str], None], *, wait_listening_s: float = 0.0) -> None:
        """Start both threads; with `wait_listening_s`, return once LISTEN is in place (or that long)."""
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._listen, args=(on_payload,), name=f"{self.name}-listen", daemon=True),
            threading.Thread(target=self._send_loop, name=f"{self.name}-notify", daemon=True)]
        for thread in self._threads:
            thread.start()
        if wait_listening_s:
            self._listening.wait(wait_listening_s)

    def send(self, payload: str) -> None:
        self._outbox.put(payload)

    def stop(self, *, join_s: float = 0.0) -> None:
        self._stop.set()
        self._outbox.put(None)
        if join_s:
            for thread in self._threads:
                thread.join(timeout=join_s)

    def _listen(self, on_payload: Callable[[str], None]) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {self.channel}")
                    self._listening.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            on_payload(note.payload)
            except psycopg.Error:
                log.warning("%s LISTEN connection lost; reconnecting", self.name, exc_info=True)
                self._stop.wait(1.0)

    def _send_loop(self) -> None:
        import psycopg

        conn: psycopg.Connection | None = None
        while True:
            payload = self._outbox.get()
            if payload is None:
                break
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self._dsn, autocommit=True)
                conn.execute("SELECT pg_notify(%s, %s)", (self.channel, payload))
            except psycopg.Error:
                log.warning("%s NOTIFY failed; %s", self.name, self.lost_means, exc_info=True)
                conn = None
        if conn is not None:
            conn.close()
