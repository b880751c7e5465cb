"""Carries push events between nodes: PostgreSQL LISTEN/NOTIFY on `jobs_mcp_push`.

A node that commits messages or job changes tells its own subscribed sessions at once and sends
one NOTIFY; every other node hears it and tells its own sessions of those owners. So a chat
subscribed to `jobs://inbox` or `jobs://jobs/{job_id}` on node B hears of what node A ran.
The payload is `{"n": node, "o": [owners], "j": [[owner, job_id], ...]}`, cut into several
notifications below PostgreSQL's 8,000-byte limit; a node skips its own. Best effort, like the
engine's wake-ups: a lost notification only delays what the client reads next.
"""

from __future__ import annotations

import json
import logging
import queue
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine

if TYPE_CHECKING:
    import psycopg  # imported by the relay's threads: a SQLite node never loads it (bench/startup.py)

log = logging.getLogger(__name__)
CHANNEL = "jobs_mcp_push"
PAYLOAD_MAX = 7_000  # bytes; PostgreSQL refuses 8,000 and more


@dataclass(frozen=True)
class PushEvent:
    """Whose inbox changed, and which jobs (with their owners) changed."""

    owners: frozenset[str] = frozenset()
    jobs: frozenset[tuple[str, str]] = field(default_factory=frozenset)


def encode(node: str, event: PushEvent) -> list[str]:
    """The event as one or more payloads, each under PAYLOAD_MAX bytes."""
    items = [("o", owner) for owner in sorted(event.owners)] + [("j", job) for job in sorted(event.jobs)]
    payloads: list[str] = []
    batch: dict[str, list[object]] = {"o": [], "j": []}

    def text(b: dict[str, list[object]]) -> str:
        return json.dumps({"n": node, **b}, separators=(",", ":"))

    for kind, item in items:
        batch[kind].append(list(item) if isinstance(item, tuple) else item)
        if len(text(batch).encode()) > PAYLOAD_MAX:
            batch[kind].pop()
            if batch["o"] or batch["j"]:
                payloads.append(text(batch))
            batch = {"o": [], "j": []}
            batch[kind].append(list(item) if isinstance(item, tuple) else item)
    if batch["o"] or batch["j"]:
        payloads.append(text(batch))
    return payloads


def decode(payload: str) -> tuple[str, PushEvent] | None:
    try:
        data = json.loads(payload)
        owners = frozenset(str(o) for o in data.get("o", []))
        jobs = frozenset((str(o), str(j)) for o, j in data.get("j", []))
        return str(data["n"]), PushEvent(owners, jobs)
    except (ValueError, KeyError, TypeError):
        return None


class PgEventRelay:
    """Sends this node's push events to the others and hands theirs to `on_event` (on the listen thread)."""

    def __init__(self, engine: Engine) -> None:
        self.node = secrets.token_hex(8)
        self._dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._outbox: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._listening = threading.Event()

    def start(self, on_event: Callable[[PushEvent], None]) -> None:
        self._stop.clear()
        self._threads = [threading.Thread(target=self._listen, args=(on_event,), name="push-listen", daemon=True),
                         threading.Thread(target=self._send_loop, name="push-notify", daemon=True)]
        for thread in self._threads:
            thread.start()
        self._listening.wait(5)  # a node hears the others from its first request on

    def send(self, event: PushEvent) -> None:
        """Queue the event for the other nodes (any thread, never blocks)."""
        for payload in encode(self.node, event):
            self._outbox.put(payload)

    def stop(self) -> None:
        self._stop.set()
        self._outbox.put(None)
        for thread in self._threads:
            thread.join(timeout=2)

    def _listen(self, on_event: Callable[[PushEvent], None]) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            decoded = decode(note.payload)
                            if decoded is not None and decoded[0] != self.node:
                                on_event(decoded[1])
            except psycopg.Error:
                log.warning("push LISTEN connection lost; reconnecting", exc_info=True)
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
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
            except psycopg.Error:
                log.warning("push NOTIFY failed; other nodes' sessions hear of it at their next read", exc_info=True)
                conn = None
        if conn is not None:
            conn.close()
