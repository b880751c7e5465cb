"""Outbound HTTP that cannot be aimed at the server's own network (SSRF guard).

A URL the model (or a job's webhook) names is refused when its host resolves
to a loopback, private, link-local, cloud metadata, shared, reserved,
unspecified or multicast address, unless the allow-list permits it. An IPv6
address that carries an IPv4 address (IPv4-mapped and -compatible, 6to4,
Teredo, NAT64) is judged by the IPv4 address it carries.

The allow-list (`JOBS_MCP_FETCH_ALLOW`) holds two kinds of entries:
- an address or CIDR network opens exactly those addresses, whatever name
  leads there (`127.0.0.1`, `10.20.0.0/16`, `::1`);
- a host name opens that name, but only onto private networks (10/8,
  172.16/12, 192.168/16, 100.64/10, fc00::/7): whatever it resolves to there
  is reached, so its DNS is trusted that far and no further. A name never
  opens loopback, link-local, cloud metadata or other special addresses, so a
  rebound name cannot reach them; list the address itself for that.
Wildcards and anything that is neither a host name nor an address or network
are refused when the list is read.

URLs are parsed once, by httpx (the parser that sends the request), so the
host checked is the host connected to. Forms that resolvers read differently
(octal, hex or integer IPv4 such as `010.010.010.010` or `2130706433`,
whitespace, zone ids) are refused as malformed.

The address check runs twice: `check_url` before each request and each
redirect hop (clear refusal messages, no connection attempted), and
`GuardedBackend` at connect time, where the connection goes to the very
address that was checked. The second closes DNS rebinding: a name that
resolves to a public address for the check and to 127.0.0.1 a moment later
still cannot reach loopback.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
SCHEMES = ("http", "https")
ALLOW_VARIABLE = "JOBS_MCP_FETCH_ALLOW"

_net = ipaddress.ip_network
# Instance metadata services reached by a fixed address (AWS, GCP, Azure, OCI: 169.254.169.254; AWS over
# IPv6: fd00:ec2::254; Alibaba: 100.100.100.200; Azure's host agent: 168.63.129.16, a public address).
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16"))
# What a host-name entry may open: the networks an intranet lives on.
NAME_REACHABLE: tuple[IPNetwork, ...] = tuple(_net(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"))
_SHARED = _net("100.64.0.0/10")
_THIS_NETWORK = _net("0.0.0.0/8")
_NAT64_WELL_KNOWN = _net("64:ff9b::/96")
_NAT64_LOCAL = _net("64:ff9b:1::/48")
_IPV4_COMPATIBLE = _net("::/96")
_IPV4_TRANSLATED = _net("::ffff:0:0:0/96")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_ENTRY_CHARS = re.compile(r"^[^\s/:@*?#\[\]%\\]+$")


class FetchRefused(Exception):
    """The URL may not be fetched; the message says why (shown to the model and in run traces)."""


@dataclass(frozen=True)
class Target:
    """Where a URL leads, as httpx (which sends the request) reads it."""

    scheme: str
    host: str  # ASCII (IDNA-encoded) and lower case; an IPv6 literal without brackets
    port: int


@dataclass(frozen=True)
class AllowList:
    """Exceptions to the guard (see the module docstring for what each kind of entry opens)."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """Each entry is a host name, an address or a CIDR network; raises ValueError naming a bad one."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip()
            if entry.startswith("[") and entry.endswith("]"):
                entry = entry[1:-1]
            if not entry:
                continue
            network = _parse_network(raw, entry)
            if network is not None:
                networks.append(network)
            else:
                hosts.add(_parse_host_name(raw, entry))
        return cls(frozenset(hosts), tuple(networks))

    def permits_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def permits_address(self, address: IPAddress) -> bool:
        """True if an address entry covers `address`, or every IPv4 address it carries."""
        if _in_any(address, self.networks):
            return True
        carried = embedded_ipv4(address)
        return bool(carried) and all(_in_any(inner, self.networks) for inner in carried)

    def name_may_reach(self, host: str, address: IPAddress) -> bool:
        """True if `host` is a name entry and `address` lies in the private networks a name entry opens."""
        return self.permits_host(host) and name_reachable(address)


def _parse_network(raw: str, entry: str) -> IPNetwork | None:
    """The address or network `entry` names, None if it is no address at all; ValueError for a bad one."""
    if "*" in entry:
        raise ValueError(f"{raw!r}: wildcards are not supported; list each host name, or a network such as "
                         "10.0.0.0/8")
    if "%" in entry:
        raise ValueError(f"{raw!r}: zone ids are not supported")
    try:
        return ipaddress.ip_network(entry)
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None
    raise ValueError(f"{raw!r} has host bits set; write the network as {loose}")


def _parse_host_name(raw: str, entry: str) -> str:
    if not _ENTRY_CHARS.match(entry):
        raise ValueError(f"{raw!r} is not a host name, an address or a CIDR network (no scheme, port or path)")
    if _NUMERIC_LABEL.match(entry.lower().rstrip(".").rsplit(".", 1)[-1]):
        raise ValueError(f"{raw!r} looks like an IPv4 address in a non-standard form; write it as a.b.c.d")
    try:
        name = httpx.URL(f"http://{entry}/").raw_host.decode("ascii").rstrip(".")
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise ValueError(f"{raw!r} is not a valid host name ({exc})") from None
    if len(name) > 253 or not all(_LABEL.match(label) for label in name.split(".")):
        raise ValueError(f"{raw!r} is not a valid host name")
    return name


def _in_any(address: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (and is routed to), or [] for a plain address."""
    if address.version == 4 or address in (ipaddress.IPv6Address("::"), ipaddress.IPv6Address("::1")):
        return []
    assert isinstance(address, ipaddress.IPv6Address)
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)  # (server, client)
    if address in _NAT64_WELL_KNOWN or address in _IPV4_COMPATIBLE or address in _IPV4_TRANSLATED:
        return [low32]
    if address in _NAT64_LOCAL:
        return _rfc6052_candidates(address)
    return []


def _rfc6052_candidates(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 address under each prefix length RFC 6052 allows in 64:ff9b:1::/48 (the operator picks one;
    we cannot know which, so every reading is checked). Bits 64-71 (the "u" octet) never carry address bits."""
    value = int(address)
    bits = format(value, "0128b")
    without_u = bits[:64] + bits[72:]  # 120 bits; prefix lengths below are counted with the u octet removed
    candidates = []
    for prefix_len in (48, 56, 64, 96):
        start = prefix_len if prefix_len <= 64 else prefix_len - 8
        candidates.append(ipaddress.IPv4Address(int(without_u[start:start + 32], 2)))
    return candidates


def _plain_reason(address: IPAddress) -> str | None:
    if address in METADATA_ADDRESSES:
        return "cloud metadata"
    checks = (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified or address in _THIS_NETWORK),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("shared (carrier-grade NAT)", address in _SHARED),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-global", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def forbidden_reason(address: IPAddress) -> str | None:
    """Why `address` is off limits by default ("a loopback address"), or None for a public address.

    An IPv6 address carrying IPv4 addresses is judged by those: 2002:7f00:1:: (6to4) reaches 127.0.0.1.
    """
    carried = embedded_ipv4(address)
    if not carried:
        reason = _plain_reason(address)
        return None if reason is None else _a(f"{reason} address")
    for inner in carried:
        reason = _plain_reason(inner)
        if reason is not None:
            return f"an address that carries {inner}, {_a(reason + ' address')}"
    return None


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def name_reachable(address: IPAddress) -> bool:
    """True for addresses in the private networks a name entry may open (never metadata or loopback)."""
    carried = embedded_ipv4(address)
    if carried:
        return all(name_reachable(inner) for inner in carried)
    return address not in METADATA_ADDRESSES and _in_any(address, NAME_REACHABLE)


def parse_target(url: str) -> Target:
    """Scheme, host and port of `url` as httpx reads it; FetchRefused for anything else or anything ambiguous."""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise FetchRefused("malformed URL: it contains whitespace or control characters")
    if "\\" in url:  # read as '/' by browsers and as part of the user name by httpx: either way ambiguous
        raise FetchRefused("malformed URL: it contains a backslash")
    try:
        parsed = httpx.URL(url)
        scheme = parsed.scheme
        host = parsed.raw_host.decode("ascii").lower()
        port = parsed.port
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise FetchRefused(f"malformed URL: {exc}") from None
    if scheme not in SCHEMES:
        raise FetchRefused(f"only http and https URLs can be fetched, not {scheme or 'a relative URL'!r}")
    if not host:
        raise FetchRefused("the URL has no host")
    if "%" in host:
        raise FetchRefused(f"malformed URL: the host {host!r} has an escape or a zone id")
    if port is not None and not 0 < port < 65536:
        raise FetchRefused(f"malformed URL: port {port} is not from 1 to 65535")
    _refuse_odd_ipv4(host)
    return Target(scheme, host, port or (443 if scheme == "https" else 80))


def _refuse_odd_ipv4(host: str) -> None:
    """`010.010.010.010`, `0x7f.1`, `2130706433`: resolvers read these as addresses, and not all alike."""
    if ":" in host:
        return
    last = host.rstrip(".").rsplit(".", 1)[-1]
    if not _NUMERIC_LABEL.match(last):
        return
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        raise FetchRefused(f"malformed URL: {host!r} is not a host name or an IPv4 address written a.b.c.d "
                           "(octal, hex and integer forms are refused)") from None


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _addresses(host: str, infos: list[Any]) -> list[IPAddress]:
    seen: dict[str, IPAddress] = {}
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        seen.setdefault(text, ipaddress.ip_address(text))
    if not seen:
        raise FetchRefused(f"cannot resolve {host!r}")
    return list(seen.values())


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (an address literal resolves to itself)."""
    literal = _literal(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchRefused(f"cannot resolve {host!r}: {getattr(exc, 'strerror', None) or exc}") from None
    return _addresses(host, infos)


def resolve_blocking(host: str, port: int) -> list[IPAddress]:
    """`resolve` for synchronous callers (validation of a webhook URL at job creation)."""
    literal = _literal(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchRefused(f"cannot resolve {host!r}: {getattr(exc, 'strerror', None) or exc}") from None
    return _addresses(host, infos)


def check_addresses(host: str, addresses: list[IPAddress], allow: AllowList) -> list[IPAddress]:
    """Refuse if any address is forbidden and not allowed: one bad answer is enough to be rebound to."""
    for address in addresses:
        reason = forbidden_reason(address)
        if reason is None or allow.permits_address(address) or allow.name_may_reach(host, address):
            continue
        if allow.permits_host(host):
            raise FetchRefused(f"refused: {host} resolves to {address}, {reason}; a host name in "
                               f"{ALLOW_VARIABLE} opens only private networks, list the address itself to allow it")
        raise FetchRefused(f"refused: {host} resolves to {address}, {reason} "
                           f"(allow it with {ALLOW_VARIABLE})")
    return addresses


async def check_url(url: str, allow: AllowList) -> list[IPAddress]:
    """The addresses `url`'s host resolves to, if all may be contacted; FetchRefused otherwise."""
    target = parse_target(url)
    return check_addresses(target.host, await resolve(target.host, target.port), allow)


def check_url_blocking(url: str, allow: AllowList) -> list[IPAddress]:
    """`check_url` for synchronous callers."""
    target = parse_target(url)
    return check_addresses(target.host, resolve_blocking(target.host, target.port), allow)


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
