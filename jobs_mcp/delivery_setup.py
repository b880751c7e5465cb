"""Delivery for the composition root: the inbox notifier and the webhook dispatcher.

When a run's messages are committed, the subscribed sessions of the job's owner
get `notifications/resources/updated` for `jobs://inbox` and the dispatcher wakes
to send webhooks.
"""

from __future__ import annotations

import asyncio
import logging

from mcp.server.subscriptions import ResourceUpdated

from jobs_mcp.owner_bus import OwnerSubscriptionBus

INBOX_URI = "jobs://inbox"

log = logging.getLogger(__name__)


class InboxNotifier:
    """Publishes 'jobs://inbox changed' to the sessions of the owners concerned, from any thread."""

    def __init__(self, bus: OwnerSubscriptionBus) -> None:
        self.bus = bus
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()

    async def stop(self) -> None:
        self._loop = None

    def notify(self, owners: frozenset[str]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._publish, owners)

    def _publish(self, owners: frozenset[str]) -> None:
        task = asyncio.ensure_future(self.bus.publish_to(owners, ResourceUpdated(uri=INBOX_URI)))
        task.add_done_callback(lambda t: t.exception() and log.warning("inbox notification failed"))
