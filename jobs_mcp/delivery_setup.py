"""Wiring of delivery: the outbox the engine writes into, the webhook dispatcher, the inbox tool and resource.

When a run's messages are committed, the subscribed sessions of the job's owner
get `notifications/resources/updated` for `jobs://inbox` and the dispatcher wakes
to send webhooks.
"""

from __future__ import annotations

import asyncio
import logging

from mcp.server.subscriptions import ResourceUpdated

from jobs_mcp.engine_wiring import node_id
from jobs_mcp.llm_setup import fetch_allow_list
from jobs_mcp.owner_bus import OwnerSubscriptionBus
from jobs_mcp.state import AppState
from jobs_mcp.tools_inbox import INBOX_URI, register_inbox_tools
from scheduler.delivery.dispatcher import WebhookDispatcher
from store.outbox import DeliveryStore, OutboxWriter

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


def install_delivery(state: AppState, *, dispatch: bool = True) -> OutboxWriter:
    """Create the outbox and its readers; returns the writer to hand to the engine."""
    deliveries = DeliveryStore(state.repo)
    bus = OwnerSubscriptionBus()
    notifier = InboxNotifier(bus)
    outbox = OutboxWriter()
    outbox.add_listener(notifier.notify)
    state.extras["deliveries"] = deliveries
    state.extras["subscription_bus"] = bus
    state.extras["outbox"] = outbox
    state.extras.setdefault("lifecycle", []).append(("inbox-notifier", notifier))
    state.extras.setdefault("tool_registrars", []).extend([register_inbox_tools, bus.install])
    if dispatch:
        dispatcher = WebhookDispatcher(deliveries, state.clock, fetch_allow_list(state.settings),
                                       worker=node_id(state.settings.node_id))
        outbox.add_listener(lambda _owners: dispatcher.wake())
        state.extras["dispatcher"] = dispatcher
        state.extras.setdefault("lifecycle", []).append(("webhook-dispatcher", dispatcher))
    return outbox
