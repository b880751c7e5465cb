"""Who is calling: an ASGI middleware that resolves the owner of every HTTP request.

Without a tokens file only loopback clients are served, and the owner is
`local` unless `X-Jobs-Owner` names one. With `JOBS_MCP_TOKENS_FILE` (lines of
`token owner`) a valid bearer token is required; the owner `*` marks a
platform token that must name the owner in `X-Jobs-Owner`, and `@operator` an
operator token, which reads /metrics and every owner's dashboard but calls no tools
(docs/observability.md).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from starlette.types import ASGIApp, Receive, Scope, Send

from store.errors import InvalidArgument

DEFAULT_OWNER = "local"
OWNER_HEADER = b"x-jobs-owner"
OWNER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,199}$")
PLATFORM = "*"
OPERATOR = "@operator"
SCOPE_KEY = "jobs_owner"


@dataclass(frozen=True)
class TokenTable:
    """sha256(token) -> owner; tokens are never kept in memory in clear."""

    owners_by_digest: dict[bytes, str]

    @classmethod
    def load(cls, path: str) -> TokenTable:
        table: dict[bytes, str] = {}
        for number, raw in enumerate(Path(path).read_text().splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) != 2 or not (parts[1] in (PLATFORM, OPERATOR) or OWNER_PATTERN.match(parts[1])):
                raise InvalidArgument(f"JOBS_MCP_TOKENS_FILE line {number}",
                                      "'<token> <owner>', '<token> *' or '<token> @operator'", line[:20])
            table[_digest(parts[0])] = parts[1]
        return cls(table)

    def owner_for(self, token: str) -> str | None:
        digest = _digest(token)
        for known, owner in self.owners_by_digest.items():
            if hmac.compare_digest(known, digest):
                return owner
        return None


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def owner_of(request: Any | None) -> str:
    """The owner OwnerMiddleware resolved for an HTTP request; `local` when there is none (stdio, in process)."""
    if request is None:
        return DEFAULT_OWNER
    owner = request.scope.get("state", {}).get(SCOPE_KEY)
    if not owner:
        raise RuntimeError("request reached the server without an owner")
    return str(owner)


@lru_cache(maxsize=1024)  # asked on every HTTP request; clients come from few addresses
def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class OwnerMiddleware:
    """Resolves the owner into `scope['state']['jobs_owner']`, or answers 401/403 itself."""

    def __init__(self, app: ASGIApp, tokens: TokenTable | None) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        owner, status, problem = self.resolve(scope, headers)
        if owner is None:
            await refuse(send, status, problem)
            return
        scope.setdefault("state", {})[SCOPE_KEY] = owner
        # The SDK's session manager binds each MCP session to the principal that opened it and
        # answers any other principal 404 for that session id; the principal is the owner.
        scope["user"] = AuthenticatedUser(AccessToken(token="", client_id=owner, scopes=[]))
        await self.app(scope, receive, send)

    def resolve(self, scope: Scope, headers: dict[bytes, str]) -> tuple[str | None, int, str]:
        named = headers.get(OWNER_HEADER, "").strip() or None
        if named is not None and not OWNER_PATTERN.match(named):
            return None, 400, "X-Jobs-Owner: expected 1-200 letters, digits or ._@:+-"
        if self.tokens is None:
            client = scope.get("client")
            if not is_loopback(client[0] if client else None):
                return None, 403, "only loopback clients are served without JOBS_MCP_TOKENS_FILE"
            return named or DEFAULT_OWNER, 200, ""
        auth = headers.get(b"authorization", "")
        scheme, _, token = auth.partition(" ")
        owner = self.tokens.owner_for(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if owner is None:
            return None, 401, "a valid bearer token is required"
        if owner == OPERATOR:
            return None, 403, "an operator token reads /metrics and the dashboard; it calls no tools"
        if owner == PLATFORM:
            if named is None:
                return None, 401, "a platform token must name the owner in X-Jobs-Owner"
            return named, 200, ""
        if named is not None and named != owner:
            return None, 403, "this token may not act for another owner"
        return owner, 200, ""


async def refuse(send: Send, status: int, problem: str) -> None:
    """Answer `status` with a one-line JSON body `{"error": "unauthorized: <problem>"}`."""
    body = json.dumps({"error": f"unauthorized: {problem}"}).encode()
    headers: list[Any] = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="jobs-mcp"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
