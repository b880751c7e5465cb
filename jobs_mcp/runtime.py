"""Running the server process: HTTP under uvicorn, or stdio."""

from __future__ import annotations

import gc
import logging

import anyio
import uvicorn
from starlette.types import ASGIApp

from jobs_mcp.app import build_app
from jobs_mcp.config import Settings
from jobs_mcp.search_setup import search_model_state
from jobs_mcp.server import build_http_app, build_server
from jobs_mcp.slow_clients import with_read_timeout

log = logging.getLogger(__name__)


def run_server(settings: Settings, transport: str) -> None:
    node = build_app(settings)
    server = build_server(node)
    if transport == "stdio":
        _collect_garbage_again()
        anyio.run(server.run_stdio_async)
        return
    app = build_http_app(server, settings)
    address = f"http://{settings.host}:{settings.port}"
    database = node.db.url.render_as_string(hide_password=True)
    model = search_model_state(node.search is not None)
    log.info("jobs-mcp serving %s/mcp, dashboard %s/ (database %s; search model %s)", address, address, database,
             model, extra={"address": address, "database": database, "model": model})
    _collect_garbage_again()
    uvicorn.Server(uvicorn_config(app, settings)).run()


def _collect_garbage_again() -> None:
    """`jobs-mcp serve` starts with the garbage collector off (jobs_mcp/cli.py); what the start built lives
    as long as the process, so it is frozen out of future collections (which then stay short: a full
    collection in a burst of reminders scanned the whole heap, a third of a second each on the busy
    machine) and the collector is turned back on."""
    gc.freeze()
    gc.enable()


def uvicorn_config(app: ASGIApp, settings: Settings) -> uvicorn.Config:
    """Slow or idle clients are disconnected: a whole request must arrive within read_timeout_seconds
    (jobs_mcp/slow_clients.py), a kept-alive connection may idle keep_alive_seconds."""
    return uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", lifespan="on",
                          http=with_read_timeout(settings.read_timeout_seconds),
                          timeout_keep_alive=settings.keep_alive_seconds)  # type: ignore[arg-type]
