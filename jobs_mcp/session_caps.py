"""A cap on the live MCP sessions of one owner, under the SDK's cap on all of them.

The SDK's session manager caps sessions for everyone together (`max_sessions`), so one owner could
hold every place for the idle expiry (30 min) and shut all other owners out. The manager decides
admission in one method, called under its session-creation lock with the principal (our owner);
we wrap that method. It and the two maps it keeps are private to the SDK:
tests/jobs_mcp/test_session_caps.py fails loudly if an SDK upgrade moves them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

log = logging.getLogger(__name__)


def cap_sessions_per_owner(manager: StreamableHTTPSessionManager, per_owner: int) -> None:
    """Refuse (503, as the global cap does) a new session of an owner who already has `per_owner` live."""
    if per_owner <= 0:
        return
    admit: Callable[[Any], Any] = manager._admit_session  # noqa: SLF001 - see the module docstring

    def admit_within_owner_cap(requestor: Any) -> Any:
        if requestor is not None:
            owners: dict[str, Any] = manager._session_owners  # noqa: SLF001
            live = manager._server_instances  # noqa: SLF001
            held = sum(1 for session_id, who in owners.items() if who == requestor and session_id in live)
            if held >= per_owner:
                log.warning("refusing a new MCP session: owner %s already has %d (JOBS_MCP_MAX_SESSIONS_PER_OWNER)",
                            requestor.get("client_id"), held)
                return None
        return admit(requestor)

    manager._admit_session = admit_within_owner_cap  # type: ignore[method-assign]  # noqa: SLF001
