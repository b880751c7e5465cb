"""The read-only dashboard at / (docs/observability.md#dashboard)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from jobs_mcp.app import App
from jobs_mcp.operator_access import OperatorAccess


def dashboard_routes(app: App, access: OperatorAccess) -> list[BaseRoute]:
    return []
