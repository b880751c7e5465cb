"""Outbound HTTP that cannot be aimed at the server's own network (SSRF guard).

A URL the model (or a job's webhook) names is refused when its host resolves
to a loopback, private, link-local (cloud metadata), shared, reserved,
unspecified or multicast address, unless the allow-list
(`JOBS_MCP_FETCH_ALLOW`: host names, addresses or CIDR networks) permits it.

The check runs twice: `check_url` before each request and each redirect hop
(clear refusal messages, no connection attempted), and `GuardedBackend` at
connect time, where the connection goes to the very address that was checked.
The second closes DNS rebinding: a name that resolves to a public address for
the check and to 127.0.0.1 a moment later still cannot reach loopback.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
SCHEMES = ("http", "https")


class FetchRefused(Exception):
    """The URL may not be fetched; the message says why (shown to the model and in run traces)."""


@dataclass(frozen=True)
class AllowList:
    """Exceptions to the guard: exact host names (any case) and address networks."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """Each entry is a host name, an address or a CIDR network; raises ValueError naming a bad one."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip().strip("[]")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if "/" in entry or " " in entry:
                    raise ValueError(f"not a host, address or network: {raw!r}") from None
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def permits_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def permits_address(self, address: IPAddress) -> bool:
        return any(address.version == net.version and address in net for net in self.networks)


def forbidden_reason(address: IPAddress) -> str | None:
    """Why `address` is off limits by default, or None for a public address."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:  # ::ffff:127.0.0.1 reaches the IPv4 loopback
        address = mapped
    checks = (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local (cloud metadata)", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("not globally routable", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def _split(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise FetchRefused(f"only http and https URLs can be fetched, not {scheme or 'a relative URL'!r}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise FetchRefused(f"malformed URL: {exc}") from None
    if not host:
        raise FetchRefused("the URL has no host")
    return scheme, host, port or (443 if scheme == "https" else 80)


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (an address literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FetchRefused(f"cannot resolve {host!r}: {exc.strerror or exc}") from None
    seen: dict[str, IPAddress] = {}
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        seen.setdefault(text, ipaddress.ip_address(text))
    if not seen:
        raise FetchRefused(f"cannot resolve {host!r}")
    return list(seen.values())


def check_addresses(host: str, addresses: list[IPAddress], allow: AllowList) -> list[IPAddress]:
    """Refuse if any address is forbidden and not allowed: one bad answer is enough to be rebound to."""
    if allow.permits_host(host):
        return addresses
    for address in addresses:
        reason = forbidden_reason(address)
        if reason is not None and not allow.permits_address(address):
            raise FetchRefused(f"refused: {host} resolves to {address}, a {reason} address "
                               "(allow it with JOBS_MCP_FETCH_ALLOW)")
    return addresses


async def check_url(url: str, allow: AllowList) -> list[IPAddress]:
    """The addresses `url`'s host resolves to, if all may be contacted; FetchRefused otherwise."""
    _scheme, host, port = _split(url)
    return check_addresses(host, await resolve(host, port), allow)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to checked addresses, resolving the name itself (see the module docstring)."""

    def __init__(self, allow: AllowList, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.allow = allow
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None, socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        try:
            addresses = check_addresses(host, await resolve(host, port), self.allow)
        except FetchRefused as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        last: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(str(address), port, timeout=timeout, local_address=local_address,
                                                    socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last or httpcore.ConnectError(f"cannot connect to {host}")

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not reachable through the fetch guard")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def guarded_client(allow: AllowList, timeout_s: float, **kwargs: Any) -> httpx.AsyncClient:
    """An httpx client whose connections pass the guard; redirects are left to the caller (check each hop).

    Environment proxies are ignored: a proxy would connect on our behalf, past the guard.
    """
    transport = httpx.AsyncHTTPTransport()
    # httpx builds its pool without a network-backend option; this pool is the same one with the guard.
    transport._pool = httpcore.AsyncConnectionPool(ssl_context=httpx.create_ssl_context(),
                                                   network_backend=GuardedBackend(allow))
    return httpx.AsyncClient(transport=transport, timeout=timeout_s, follow_redirects=False, trust_env=False,
                             **kwargs)
