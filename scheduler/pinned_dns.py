"""Pinned name resolution for libraries that open their own connections (Apprise and its plugins).

The network guard checks the addresses a channel's host resolves to before a push; Apprise then
connects by itself (requests/urllib3, paho-mqtt, smtplib), resolving the name again. A name that
answers a public address for the check and 127.0.0.1 a moment later (DNS rebinding) would be
reached. Inside `pinned({host: addresses})` every lookup of a pinned host *in this context* answers
exactly the checked addresses, so the connection goes where the check looked; other threads and
other hosts resolve as usual.

How: `socket.getaddrinfo` is replaced once by a wrapper that reads the pin map from a context
variable. `socket.create_connection` (paho, smtplib) and urllib3 both look it up on the `socket`
module at call time, so the wrapper sees their lookups. A context variable rather than a
thread-local, because Apprise hands a service's send to its own worker threads with a copy of the
caller's context (`submit_with_context`); a plain thread starts with an empty context, so a pin
never leaks into another push or into the event loop.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_system_getaddrinfo = socket.getaddrinfo  # the resolver underneath; tests replace it to play a rebinding DNS
_pins: ContextVar[dict[str, list[IPAddress]] | None] = ContextVar("pinned_dns", default=None)
_install_lock = threading.Lock()


def _key(host: object) -> str | None:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return None
    return host.strip("[]").rstrip(".").lower()


def _getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0,  # noqa: A002
                 flags: int = 0) -> list[Any]:
    pins = _pins.get()
    key = _key(host) if pins else None
    if pins is None or key is None or key not in pins:
        return _system_getaddrinfo(host, port, family, type, proto, flags)
    infos: list[Any] = []
    for address in pins[key]:
        try:
            infos += _system_getaddrinfo(str(address), port, family, type, proto, flags | socket.AI_NUMERICHOST)
        except socket.gaierror:  # an address of the other family than the caller asked for
            continue
    if not infos:
        raise socket.gaierror(socket.EAI_NONAME, f"{key}: no checked address of the requested family")
    return infos


def _install() -> None:
    with _install_lock:
        if socket.getaddrinfo is not _getaddrinfo:
            socket.getaddrinfo = _getaddrinfo


@contextmanager
def pinned(hosts: Mapping[str, Sequence[IPAddress]]) -> Iterator[None]:
    """Within the block, in this context, each host of `hosts` resolves to its checked addresses only."""
    _install()
    token = _pins.set({**(_pins.get() or {}), **{k: list(v) for host, v in hosts.items() if (k := _key(host))}})
    try:
        yield
    finally:
        _pins.reset(token)
