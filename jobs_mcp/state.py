"""What the tools share for the life of the server, handed to them through the MCP lifespan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import Context
from sqlalchemy import Engine

from jobs_mcp.config import Settings
from jobs_mcp.identity import owner_of
from scheduler.clock import Clock
from scheduler.jobs.service import JobService
from store.repository import JobRepository

T = TypeVar("T")


@dataclass
class AppState:
    settings: Settings
    clock: Clock
    engine: Engine
    repo: JobRepository
    service: JobService
    # Background parts (poller, embedder...) register async start/stop hooks here.
    extras: dict[str, Any] = field(default_factory=dict)


def app_state(ctx: Context) -> AppState:
    state = ctx.request_context.lifespan_context
    if not isinstance(state, AppState):
        raise RuntimeError("jobs-mcp lifespan state is missing")
    return state


def caller(ctx: Context) -> str:
    """The owner of this request: resolved by OwnerMiddleware over HTTP, `local` on stdio."""
    return owner_of(ctx.request_context.request)


async def off_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking store work in a worker thread so the event loop keeps serving."""
    return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs))
