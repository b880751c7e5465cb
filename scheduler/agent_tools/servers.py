"""The operator's list of MCP servers, in the shape chat clients use (`mcpServers`).

```json
{"mcpServers": {
  "notes":   {"command": "notes-mcp", "args": ["--db", "/srv/notes.db"], "env": {"TOKEN": "..."}},
  "tracker": {"url": "https://tracker.example/mcp", "headers": {"Authorization": "Bearer ..."},
              "owners": ["alice", "bob"]}}}
```

An entry with `command` is started as a subprocess and spoken to over stdio; one with `url` over
streamable HTTP. `owners` (optional) lists the owners whose jobs may use the server; without it,
every owner may. A bad file raises ValueError naming the server and the field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # the model sees "<server>__<tool>": API tool-name characters
_KEYS = {"command", "args", "env", "cwd", "url", "headers", "owners", "type", "transport"}


@dataclass(frozen=True)
class ServerSpec:
    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    owners: frozenset[str] | None = None  # None: every owner

    @property
    def transport(self) -> str:
        return "stdio" if self.command else "http"

    def allows(self, owner: str) -> bool:
        return self.owners is None or owner in self.owners


def parse_servers(text: str) -> dict[str, ServerSpec]:
    """The servers of a `{"mcpServers": {...}}` document, by name."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    servers = data.get("mcpServers") if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        raise ValueError('expected an object with "mcpServers": {name: {...}}')
    return {name: _spec(name, entry) for name, entry in servers.items()}


def _spec(name: str, entry: Any) -> ServerSpec:
    if not NAME.match(name) or "__" in name:
        raise ValueError(f"server name {name!r}: use 1-32 letters, digits, '-' or '_' (no '__')")
    if not isinstance(entry, dict):
        raise ValueError(f"{name}: expected an object with command or url")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise ValueError(f"{name}: unknown field {unknown[0]!r} (expected command, args, env, cwd, url, headers, "
                         "owners)")
    command, url = entry.get("command"), entry.get("url")
    if (command is None) == (url is None):
        raise ValueError(f"{name}: expected exactly one of command (stdio) or url (streamable HTTP)")
    if command is not None and (not isinstance(command, str) or not command.strip()):
        raise ValueError(f"{name}.command: expected a program to start")
    if url is not None and (not isinstance(url, str) or not url.lower().startswith(("http://", "https://"))):
        raise ValueError(f"{name}.url: expected an http:// or https:// URL")
    _check_shapes(name, entry)
    owners = entry.get("owners")
    return ServerSpec(name=name, command=command, args=tuple(entry.get("args", [])), env=dict(entry.get("env", {})),
                      cwd=entry.get("cwd"), url=url, headers=dict(entry.get("headers", {})),
                      owners=frozenset(owners) if owners is not None else None)


def _check_shapes(name: str, entry: dict[str, Any]) -> None:
    owners = entry.get("owners")
    if owners is not None and not _strings(owners):
        raise ValueError(f"{name}.owners: expected a list of owner names")
    if not _strings(entry.get("args", [])):
        raise ValueError(f"{name}.args: expected a list of texts")
    for key in ("env", "headers"):
        value = entry.get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ValueError(f"{name}.{key}: expected an object of texts")
    cwd = entry.get("cwd")
    if cwd is not None and not isinstance(cwd, str):
        raise ValueError(f"{name}.cwd: expected a directory")


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
