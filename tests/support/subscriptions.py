"""Reading a client's `subscriptions/listen` stream in tests: the next event, or a stretch of silence."""

from __future__ import annotations

from typing import Any

import anyio

# How long a stream that should stay silent is watched, after the same publish reached its neighbour.
# The owner bus hands an event to all its listeners in one synchronous pass, so a leaked event would
# already be on its way when the owner's own event arrives.
SILENCE_S = 1.0


async def next_event(subscription: Any) -> Any:
    """The next event, or a test failure after 10 s."""
    with anyio.fail_after(10):
        return await subscription.__anext__()


async def quiet(subscription: Any) -> bool:
    """True if nothing arrives within SILENCE_S."""
    with anyio.move_on_after(SILENCE_S):
        await subscription.__anext__()
        return False
    return True
