"""The read-only dashboard at / (docs/observability.md#dashboard): server-rendered jinja2, plain forms, no JS."""

from __future__ import annotations

from starlette.routing import BaseRoute

from jobs_mcp.app import App
from jobs_mcp.operator_access import OperatorAccess


def dashboard_routes(app: App, access: OperatorAccess) -> list[BaseRoute]:
    from jobs_mcp.dashboard.pages import routes

    return routes(app, access)
