"""Notification channels given as Apprise URLs: which are accepted, where they lead, how they are shown.

A channel URL carries its service's secrets (bot tokens, passwords, webhook keys), so it is stored as
given and never shown: `mask` keeps what tells channels apart (scheme, host names, ports, chat ids,
topics) and replaces every part that may be a secret with `****`; `scrub` removes a URL's secrets
from any text (an error message, a log line). The rule errs on the side of hiding: a part is kept
only when it cannot be a token (a short word, a number, a host name with short labels).

A URL is accepted when Apprise knows its scheme and can read it, the service does not act on the
server itself (desktop notifications, local syslog), and every host it names passes the network
guard (scheduler/net_guard.py), as webhooks do. Services with a fixed cloud endpoint (Telegram,
Discord, ...) name no host of the caller's choosing; the hosts of self-hosted ones (json://,
mqtt://, mailto://'s SMTP server, gotify://, ...) are checked when the URL is given and before
each attempt.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from scheduler.net_guard import AllowList, FetchRefused, IPAddress, check_addresses, resolve_blocking
from store.errors import InvalidArgument

MASK = "****"
# Desktop and local services: they would act on the server's own machine.
LOCAL_ONLY = frozenset({"dbus", "kde", "qt", "glib", "gnome", "macosx", "windows", "syslog", "blink1"})
# Shown in errors and docs; the full list is `supported_schemes()`.
EXAMPLES = ("slack", "tgram", "discord", "workflows", "mailto", "ntfy", "gotify", "matrix", "mqtt", "json")
# Query keys whose values name the channel rather than unlock it.
_PLAIN_KEYS = frozenset({"to", "from", "cc", "bcc", "smtp", "name", "mode", "format", "priority", "version", "qos",
                         "topic", "room", "channel", "method", "image", "footer", "user", "retain", "session"})
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$", re.IGNORECASE)
_IP_LITERAL = re.compile(r"^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\])$", re.IGNORECASE)


@dataclass(frozen=True)
class _Parts:
    scheme: str
    user: str
    password: str | None
    host: str
    port: str | None
    path: list[str]
    query: list[tuple[str, str]]
    fragment: str | None
    trailing_slash: bool


def _split(url: str) -> _Parts | None:
    """A lenient split that never fails on the odd forms services use (a token as the port, say)."""
    if "://" not in url:
        return None
    scheme, rest = url.split("://", 1)
    rest, _, fragment = rest.partition("#")
    rest, _, query = rest.partition("?")
    netloc, slash, path = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    user, colon, password = userinfo.partition(":") if at else ("", "", "")
    if hostport.startswith("["):
        host, _, port_text = hostport.partition("]")
        host, port = host + "]", port_text.lstrip(":") or None
    else:
        host, _, port_text = hostport.partition(":")
        port = port_text or None
    return _Parts(scheme=scheme.lower(), user=user, password=password if colon else None, host=host, port=port,
                  path=[p for p in path.split("/") if p], query=parse_qsl(query, keep_blank_values=True),
                  fragment=fragment or None, trailing_slash=bool(slash) and (not path or path.endswith("/")))


def looks_secret(part: str) -> bool:
    """True when `part` could be a token: long, or mixing letters with digits or both cases.

    Numbers (chat ids, phone numbers) and short plain words (topics, room names) are kept."""
    text = unquote(part).lstrip("#@+-")
    if len(text) >= 16 and not text.isdigit():
        return True
    if len(text) < 6 or text.isdigit():
        return False
    classes = sum((any(c.islower() for c in text), any(c.isupper() for c in text), any(c.isdigit() for c in text)))
    return classes >= 2


def _host_shown(host: str, port: str | None) -> bool:
    if port is not None and not port.isdigit():  # a token split at its colon (tgram://123:ABC/...)
        return False
    if host.lower() == "localhost" or _IP_LITERAL.match(host):
        return True
    labels = host.split(".")
    if len(labels) > 1:
        return all(_LABEL.match(label) and len(label) < 16 for label in labels)
    return not looks_secret(host)


def _hidden(parts: _Parts) -> list[str]:
    """The substrings of the URL that `mask` hides."""
    hidden = [p for p in (parts.user if looks_secret(parts.user) else "", parts.password or "") if p]
    if parts.host and not _host_shown(parts.host, parts.port):
        if parts.port and not parts.port.isdigit():
            hidden += [f"{parts.host}:{parts.port}", parts.port]
        else:
            hidden += [parts.host, *(label for label in parts.host.split(".") if looks_secret(label))]
    hidden += [segment for segment in parts.path if looks_secret(segment)]
    hidden += [value for key, value in parts.query if value and not _plain_value(key, value)]
    if parts.fragment and looks_secret(parts.fragment):
        hidden.append(parts.fragment)
    return hidden


def _plain_value(key: str, value: str) -> bool:
    return key.lower() in _PLAIN_KEYS and not looks_secret(value)


def mask(url: str) -> str:
    """The URL with every part that may be a secret replaced by ****, e.g. tgram://****/123456."""
    parts = _split(url.strip())
    if parts is None:
        return MASK
    netloc = ""
    if parts.user or parts.password is not None:
        user = MASK if looks_secret(parts.user) else parts.user
        netloc = (user + (":" + MASK if parts.password is not None else "")) + "@"
    if parts.host and _host_shown(parts.host, parts.port):
        netloc += parts.host + (f":{parts.port}" if parts.port else "")
    elif parts.host or parts.port:
        netloc += MASK
    path = "".join("/" + (MASK if looks_secret(s) else s) for s in parts.path) + ("/" if parts.trailing_slash else "")
    query = "&".join(f"{k}={v if _plain_value(k, v) else MASK}" if v else k for k, v in parts.query)
    fragment = parts.fragment and (MASK if looks_secret(parts.fragment) else parts.fragment)
    return f"{parts.scheme}://{netloc}{path}" + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")


def secrets_of(url: str) -> list[str]:
    """What must never appear in a text shown or logged: the hidden parts, raw and percent-decoded,
    longest first (so a part containing another is replaced whole)."""
    parts = _split(url.strip())
    found = set(_hidden(parts)) if parts is not None else {url}
    found |= {unquote(s) for s in found}
    return sorted((s for s in found if len(s) >= 3), key=len, reverse=True)


def scrub(text: str, urls: Iterable[str]) -> str:
    """`text` with every secret of `urls` replaced by ****, and each URL itself by its masked form."""
    for url in urls:
        text = text.replace(url, mask(url))
        for secret in secrets_of(url):
            text = text.replace(secret, MASK)
    return text


# -- which URLs are accepted ---------------------------------------------------------------------------

@functools.cache
def supported_schemes() -> frozenset[str]:
    from apprise.manager_plugins import NotificationManager

    return frozenset(s.lower() for s in NotificationManager().schemas()) - LOCAL_ONLY


def expected() -> str:
    shown = ", ".join(f"{s}://" for s in EXAMPLES)
    return f"an Apprise URL of a supported service such as {shown} ({len(supported_schemes())} schemes; " \
           f"docs/delivery.md)"


def _service(url: str) -> object | None:
    from apprise import Apprise

    try:
        return Apprise.instantiate(url, suppress_exceptions=True)
    except Exception:  # noqa: BLE001  (any failure to read the URL means: malformed)
        return None


def target_hosts(service: object) -> list[tuple[str, int]]:
    """The hosts a service connects to that the URL chose: none for a fixed cloud endpoint."""
    if hasattr(type(service), "notify_url"):
        return []
    host = getattr(service, "smtp_host", None) or getattr(service, "host", None)
    if not host or not isinstance(host, str):
        return []
    port = getattr(service, "port", None)
    return [(host.strip("[]"), int(port) if isinstance(port, int) else 0)]


def service_of(url: str) -> object:
    """The Apprise service of `url`; ValueError if its scheme is unknown or Apprise cannot read it."""
    parts = _split(url)
    if parts is None or parts.scheme not in supported_schemes():
        raise ValueError("unknown scheme")
    service = _service(url)
    if service is None:
        raise ValueError("malformed URL")
    return service


def check_hosts(service: object, allow: AllowList) -> dict[str, list[IPAddress]]:
    """Each host the service would contact with the addresses it resolved to, if all pass the guard;
    FetchRefused otherwise. Blocking (resolves). A push pins these (scheduler/pinned_dns.py)."""
    checked: dict[str, list[IPAddress]] = {}
    for host, port in target_hosts(service):
        if re.fullmatch(r"[0-9.]+|0x[0-9a-f.x]+", host, re.IGNORECASE) and not _IP_LITERAL.match(host):
            raise FetchRefused(f"{host} is not a plain address or host name")
        checked[host] = check_addresses(host, resolve_blocking(host, port or 443), allow)
    return checked


def guard(url: str, allow: AllowList) -> object:
    """The Apprise service of `url` if it may be contacted; ValueError (malformed or unknown scheme) or
    FetchRefused (a host the guard refuses) otherwise. Blocking: it resolves host names."""
    service = service_of(url)
    check_hosts(service, allow)
    return service


def check_channels(field: str, urls: list[str], allow: AllowList) -> list[str]:
    """Every URL accepted, or InvalidArgument naming `field[index]`, showing only the masked URL."""
    for index, url in enumerate(urls):
        name = f"{field}[{index}]"
        try:
            guard(url, allow)
        except ValueError as exc:
            raise InvalidArgument(name, expected(), mask(url), reason=str(exc)) from None
        except FetchRefused as exc:
            raise InvalidArgument(name, "a channel whose host resolves to public addresses (private, loopback and "
                                        "metadata addresses need JOBS_MCP_FETCH_ALLOW)", mask(url),
                                  reason=scrub(str(exc), [url])) from None
    return urls


# -- log lines -----------------------------------------------------------------------------------------

class ScrubSecrets(logging.Filter):
    """Rewrites records of the libraries that send (Apprise, urllib3) without the secrets of the URLs
    being sent at the moment: their own lines may quote a URL or a request path holding a token."""

    def __init__(self) -> None:
        super().__init__()
        self._urls: dict[str, int] = {}
        self._lock = threading.Lock()

    def sending(self, url: str) -> None:
        with self._lock:
            self._urls[url] = self._urls.get(url, 0) + 1

    def done(self, url: str) -> None:
        with self._lock:
            left = self._urls.get(url, 0) - 1
            if left > 0:
                self._urls[url] = left
            else:
                self._urls.pop(url, None)

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            urls = list(self._urls)
        if urls:
            record.msg, record.args = scrub(record.getMessage(), urls), None
        return True


SCRUB = ScrubSecrets()
for _name in ("apprise", "urllib3.connectionpool", "requests"):
    logging.getLogger(_name).addFilter(SCRUB)
