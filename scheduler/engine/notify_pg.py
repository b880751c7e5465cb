"""Nodes wake each other with PostgreSQL LISTEN/NOTIFY (docs/design.md §8).

A job change on one node (create, resume, run-now, cancel) is sent as
`job_id|status|next_run_at`; every node re-arms its poller for that fire, and
the node running a cancelled job stops it at once instead of at its next
heartbeat. Best effort: the safety interval covers a lost notification.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from store.pg_channel import PgChannel

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
    """The engine's wake-ups over `jobs_mcp_wake` (store/pg_channel.py carries them)."""

    def __init__(self, engine: Engine) -> None:
        self._channel = PgChannel(engine, CHANNEL, name="pg-wake",
                                  lost_means="the safety interval will cover it")

    def start(self, on_wake: Callable[[Wake], None]) -> None:
        def heard(payload: str) -> None:
            wake = Wake.decode(payload)
            if wake is not None:
                on_wake(wake)

        self._channel.start(heard)

    def send(self, wake: Wake) -> None:
        """Queue a notification (any thread, never blocks)."""
        self._channel.send(wake.encode())

    def stop(self) -> None:
        self._channel.stop()
