"""The operator's HTTP routes beside /mcp: /healthz, /readyz, /metrics and the dashboard.

`OperatorRoutes` sends /mcp (and the lifespan) to the MCP app behind the owner check and
every other path to these pages, which check their own access (jobs_mcp.operator_access).
Both sit behind the Host/Origin guard.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from jobs_mcp.app import App
from jobs_mcp.health import readiness
from jobs_mcp.metrics import CONTENT_TYPE
from jobs_mcp.operator_access import OperatorAccess, Refusal

MCP_PATH = "/mcp"


class OperatorRoutes:
    def __init__(self, mcp: ASGIApp, pages: ASGIApp) -> None:
        self.mcp = mcp
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not _is_mcp(scope.get("path", "")):
            await self.pages(scope, receive, send)
        else:
            await self.mcp(scope, receive, send)


def _is_mcp(path: str) -> bool:
    return path == MCP_PATH or path.startswith(MCP_PATH + "/")


def refusal_response(refusal: Refusal) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="jobs-mcp"'} if refusal.status == 401 else None
    return Response(json.dumps({"error": f"unauthorized: {refusal.problem}"}), refusal.status, headers,
                    media_type="application/json")


def health_routes(app: App, access: OperatorAccess) -> list[BaseRoute]:
    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(_request: Request) -> Response:
        state = await readiness(app)
        return JSONResponse({"ready": state.ready, **state.checks}, status_code=200 if state.ready else 503)

    async def metrics(request: Request) -> Response:
        refused = access.metrics_reader(request)
        if refused is not None:
            return refusal_response(refused)
        import anyio.to_thread  # the gauges read the database: off the event loop

        body = await anyio.to_thread.run_sync(app.metrics.exposition)
        return Response(body, media_type=CONTENT_TYPE)

    return [Route("/healthz", healthz, methods=["GET", "HEAD"]), Route("/readyz", readyz, methods=["GET", "HEAD"]),
            Route("/metrics", metrics, methods=["GET"])]


def operator_pages(app: App, access: OperatorAccess) -> ASGIApp:
    """A Starlette app (no lifespan of its own: the MCP app's starts the node) with the operator routes."""
    from jobs_mcp.dashboard import dashboard_routes

    return Starlette(routes=[*health_routes(app, access), *dashboard_routes(app, access)])
