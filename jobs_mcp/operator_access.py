"""Who may see the operator pages (/metrics, the dashboard), and as whom.

Without a tokens file only loopback clients are served (as for the tools), and they see
every owner. With one, a token is required: from `Authorization: Bearer`, the dashboard's
cookie, or `?token=` (which the dashboard turns into the cookie). An owner's token sees
that owner's jobs; a platform (`*`) or operator (`@operator`) token sees every owner;
only an operator token reads /metrics, except from a loopback client when the server is
bound to loopback (a local Prometheus needs no token there).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from jobs_mcp.identity import OPERATOR, PLATFORM, TokenTable, is_loopback

TOKEN_COOKIE = "jobs_mcp_token"


@dataclass(frozen=True)
class Viewer:
    owner: str | None  # None: every owner
    operator: bool


@dataclass(frozen=True)
class Refusal:
    status: int  # 401: no or a bad token (the dashboard offers its login form), 403: not allowed
    problem: str


class OperatorAccess:
    def __init__(self, tokens: TokenTable | None, bind_host: str) -> None:
        self.tokens = tokens
        self.bound_to_loopback = is_loopback(bind_host)

    @staticmethod
    def token_of(request: Request) -> str | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        return request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE) or None

    def viewer(self, request: Request) -> Viewer | Refusal:
        client = request.client.host if request.client else None
        if self.tokens is None:
            if not is_loopback(client):
                return Refusal(403, "only loopback clients are served without JOBS_MCP_TOKENS_FILE")
            return Viewer(owner=None, operator=True)
        token = self.token_of(request)
        owner = self.tokens.owner_for(token) if token else None
        if owner is None:
            return Refusal(401, "a valid token is required" if token is None else "this token is not valid")
        if owner in (OPERATOR, PLATFORM):
            return Viewer(owner=None, operator=owner == OPERATOR)
        return Viewer(owner=owner, operator=False)

    def metrics_reader(self, request: Request) -> Refusal | None:
        """None when `request` may read /metrics."""
        client = request.client.host if request.client else None
        if self.bound_to_loopback and is_loopback(client):
            return None
        seen = self.viewer(request)
        if isinstance(seen, Refusal):
            return seen
        return None if seen.operator else Refusal(403, "/metrics needs an operator token")
