"""Subscription events that reach only the sessions of one owner.

The SDK's `ListenHandler` subscribes every `subscriptions/listen` stream to one
bus and hands each event to every stream whose filter names the resource. The
inbox is the same URI for every owner, so a plain bus would tell owner B that
owner A's job ran. This bus remembers whose stream each listener belongs to:
`bind_listen_owner` (a server middleware) names the caller while the listen
handler subscribes, and `publish_to` delivers only to listeners of the given
owners. `publish` (the SDK's `ctx.notify_*`) still reaches everyone: those
events say that the server's lists changed, which is the same for all owners.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from contextvars import ContextVar
from typing import Any

import anyio.lowlevel
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.subscriptions import ServerEvent

from jobs_mcp.identity import owner_of

log = logging.getLogger(__name__)

LISTEN_METHOD = "subscriptions/listen"
Listener = Callable[[ServerEvent], None]

# The owner of the request being handled, for `subscribe` (called inside the listen handler).
_request_owner: ContextVar[str | None] = ContextVar("jobs_mcp_request_owner", default=None)


class OwnerSubscriptionBus:
    """An in-process `mcp.server.subscriptions.SubscriptionBus` whose listeners carry an owner.

    Listeners are called on the server's event loop, in subscription order; one that raises is
    logged and skipped. A listener subscribed outside a request has no owner and hears only
    `publish`.
    """

    def __init__(self) -> None:
        self._listeners: dict[object, tuple[str | None, Listener]] = {}

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        token = object()
        self._listeners[token] = (_request_owner.get(), listener)

        def unsubscribe() -> None:
            self._listeners.pop(token, None)

        return unsubscribe

    async def publish(self, event: ServerEvent) -> None:
        """Deliver `event` to every listener (server-wide changes)."""
        self._deliver(event, lambda _owner: True)
        await anyio.lowlevel.checkpoint()

    async def publish_to(self, owners: Collection[str], event: ServerEvent) -> None:
        """Deliver `event` only to the listeners of `owners`."""
        self._deliver(event, lambda owner: owner is not None and owner in owners)
        await anyio.lowlevel.checkpoint()

    def install(self, server: MCPServer[Any]) -> None:
        """Add the middleware that names the caller for `subscribe`."""
        server.middleware.append(bind_listen_owner)

    def _deliver(self, event: ServerEvent, wanted: Callable[[str | None], bool]) -> None:
        for owner, listener in list(self._listeners.values()):
            if not wanted(owner):
                continue
            try:
                listener(event)
            except Exception:  # fan-out boundary: one broken stream must not starve the others
                log.exception("subscription listener raised; continuing")


async def bind_listen_owner(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """Server middleware: while a listen request subscribes, the bus knows whose stream it is."""
    if ctx.method != LISTEN_METHOD:
        return await call_next(ctx)
    token = _request_owner.set(owner_of(ctx.request))
    try:
        return await call_next(ctx)
    finally:
        _request_owner.reset(token)
