"""Pushes to connected chats: `notifications/resources/updated` for `jobs://inbox` and `jobs://jobs/{job_id}`.

When a run's messages are committed, the subscribed sessions of the job's owner hear that
`jobs://inbox` changed; when a job changes (a tool's write, a run's end, a system transition),
its owner's sessions subscribed to `jobs://jobs/{job_id}` hear that it changed. The event is
published on this node's bus at once and, on PostgreSQL, sent to the other nodes
(jobs_mcp/event_relay.py), which publish it to their own sessions: a chat connected to node B
hears of what node A ran.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection

from mcp.server.subscriptions import ResourceUpdated

from jobs_mcp.event_relay import PgEventRelay, PushEvent
from jobs_mcp.owner_bus import OwnerSubscriptionBus

INBOX_URI = "jobs://inbox"
JOB_URI_PREFIX = "jobs://jobs/"

log = logging.getLogger(__name__)


class InboxNotifier:
    """Publishes inbox and job changes to the sessions of the owners concerned, from any thread, on every node."""

    def __init__(self, bus: OwnerSubscriptionBus, relay: PgEventRelay | None = None) -> None:
        self.bus = bus
        self.relay = relay
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self.relay is not None:
            await asyncio.to_thread(self.relay.start, self._heard)

    async def stop(self) -> None:
        if self.relay is not None:
            await asyncio.to_thread(self.relay.stop)
        self._loop = None

    def notify(self, owners: frozenset[str]) -> None:
        """The outbox committed messages for `owners`."""
        self._push(PushEvent(owners=owners))

    def jobs_changed(self, jobs: Collection[tuple[str, str]]) -> None:
        """These (owner, job id) changed."""
        self._push(PushEvent(jobs=frozenset(jobs)))

    def _push(self, event: PushEvent) -> None:
        self._heard(event)
        if self.relay is not None:
            self.relay.send(event)

    def _heard(self, event: PushEvent) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._publish, event)

    def _publish(self, event: PushEvent) -> None:
        task = asyncio.ensure_future(self._publish_all(event))
        task.add_done_callback(lambda t: t.exception() and log.warning("push notification failed"))

    async def _publish_all(self, event: PushEvent) -> None:
        if event.owners:
            await self.bus.publish_to(event.owners, ResourceUpdated(uri=INBOX_URI))
        for owner, job_id in sorted(event.jobs):
            await self.bus.publish_to((owner,), ResourceUpdated(uri=JOB_URI_PREFIX + job_id))
