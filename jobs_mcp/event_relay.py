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
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from store.pg_channel import PgChannel

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
        self._channel = PgChannel(engine, CHANNEL, name="push",
                                  lost_means="other nodes' sessions hear of it at their next read")

    def start(self, on_event: Callable[[PushEvent], None]) -> None:
        def heard(payload: str) -> None:
            decoded = decode(payload)
            if decoded is not None and decoded[0] != self.node:
                on_event(decoded[1])

        self._channel.start(heard, wait_listening_s=5)  # a node hears the others from its first request on

    def send(self, event: PushEvent) -> None:
        """Queue the event for the other nodes (any thread, never blocks)."""
        for payload in encode(self.node, event):
            self._channel.send(payload)

    def stop(self) -> None:
        self._channel.stop(join_s=2)
