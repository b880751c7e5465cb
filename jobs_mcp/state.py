"""How a tool reaches the app (handed to it through the MCP lifespan) and its caller."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import Context

from jobs_mcp.app import App
from jobs_mcp.identity import owner_of

T = TypeVar("T")


def app_state(ctx: Context) -> App:
    state = ctx.request_context.lifespan_context
    if not isinstance(state, App):
        raise RuntimeError("jobs-mcp lifespan state is missing")
    return state


def caller(ctx: Context) -> str:
    """The owner of this request: resolved by OwnerMiddleware over HTTP, `local` on stdio."""
    return owner_of(ctx.request_context.request)


async def off_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking store work in a worker thread so the event loop keeps serving."""
    return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs))
