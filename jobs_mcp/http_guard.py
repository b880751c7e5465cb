"""Which Host and Origin the HTTP server answers: DNS-rebinding protection on every bind address.

A page on another site can make a browser send requests to this server by making
its own name resolve to the server's address; such requests carry the page's
name in `Host` (and its origin in `Origin`). Only the loopback names and the
configured public host names are answered, whatever address the server binds,
so a rebinding page gets 403 before any owner is resolved or any tool runs.
The name matching is the SDK's (`TransportSecuritySettings`); the same settings
are handed to the SDK's transport, so both layers agree.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from jobs_mcp.identity import refuse

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_NAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_PORT = re.compile(r"^(?P<host>.+?)(?::(?P<port>\d{1,5}))?$")


def parse_public_host(entry: str) -> str:
    """A host name, IPv4 address or [IPv6] address, with an optional :port; lower-cased.
    Raises ValueError saying what is wrong."""
    text = entry.strip().lower()
    if text.startswith("["):
        address, _, rest = text[1:].partition("]")
        try:
            ipaddress.IPv6Address(address)
        except ValueError as exc:
            raise ValueError(f"{entry!r} is not a bracketed IPv6 address") from exc
        if rest and not re.fullmatch(r":\d{1,5}", rest):
            raise ValueError(f"{entry!r}: expected [address] or [address]:port")
        host, port = f"[{address}]", rest[1:] or None
    else:
        match = _PORT.match(text)
        host, port = (match["host"], match["port"]) if match else (text, None)
        if not _NAME.match(host):
            raise ValueError(f"{entry!r} is not a host name or address (no wildcards, no scheme, no path)")
    if port is not None and not 1 <= int(port) <= 65535:
        raise ValueError(f"{entry!r}: the port must be from 1 to 65535")
    return f"{host}:{port}" if port else host


def transport_security(public_hosts: Sequence[str]) -> TransportSecuritySettings:
    """The SDK's rebinding settings for the loopback names and `public_hosts` (already parsed).

    A name without a port is allowed with any port (and without one, as a proxy on port 80/443
    sends it); a name with a port only with that port.
    """
    hosts: list[str] = []
    origins: list[str] = []
    for name in (*LOOPBACK_NAMES, *public_hosts):
        ports = [""] if _has_port(name) else ["", ":*"]
        hosts += [name + port for port in ports]
        origins += [f"{scheme}://{name}{port}" for scheme in ("http", "https") for port in ports]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts,
                                     allowed_origins=origins)


def _has_port(name: str) -> bool:
    return re.search(r":\d+$", name) is not None and not name.endswith("]")


class HostGuard:
    """Answers 403 to a request whose Host or Origin is not one of ours, before anything else runs."""

    def __init__(self, app: ASGIApp, security: TransportSecuritySettings) -> None:
        self.app = app
        self.checker = TransportSecurityMiddleware(security)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = await self.checker.validate_request(Request(scope))  # not a POST: Host and Origin only
        if refused is None:
            await self.app(scope, receive, send)
            return
        header = "Origin" if refused.status_code == 403 else "Host"
        value = Headers(scope=scope).get(header.lower(), "")
        await refuse(send, 403, f"{header} {value!r} is not served here; allowed: localhost, 127.0.0.1, [::1] "
                                f"and the names in JOBS_MCP_PUBLIC_HOSTS")
