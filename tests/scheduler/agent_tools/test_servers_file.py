"""The servers file: the chat clients' `mcpServers` shape, and a clear error for each mistake."""

from __future__ import annotations

import json

import pytest

from scheduler.agent_tools.servers import parse_servers


def test_the_chat_client_shape_is_read() -> None:
    servers = parse_servers(json.dumps({"mcpServers": {
        "notes": {"command": "notes-mcp", "args": ["--db", "x"], "env": {"K": "v"}},
        "tracker": {"url": "https://tracker.example/mcp", "headers": {"Authorization": "Bearer t"},
                    "owners": ["alice"]}}}))
    notes, tracker = servers["notes"], servers["tracker"]
    assert (notes.transport, notes.args, notes.env, notes.owners) == ("stdio", ("--db", "x"), {"K": "v"}, None)
    assert (tracker.transport, tracker.headers, tracker.owners) == ("http", {"Authorization": "Bearer t"},
                                                                    frozenset({"alice"}))
    assert notes.allows("anyone") and tracker.allows("alice") and not tracker.allows("bob")


@pytest.mark.parametrize(("document", "message"), [
    ("{", "not JSON"),
    ('{"servers": {}}', '"mcpServers"'),
    ('{"mcpServers": {"a__b": {"command": "x"}}}', "server name 'a__b'"),
    ('{"mcpServers": {"notes": {"command": "x", "url": "http://h"}}}', "notes: expected exactly one of command"),
    ('{"mcpServers": {"notes": {}}}', "notes: expected exactly one of command"),
    ('{"mcpServers": {"notes": {"url": "ftp://h"}}}', "notes.url: expected an http:// or https:// URL"),
    ('{"mcpServers": {"notes": {"command": "x", "args": "a b"}}}', "notes.args: expected a list"),
    ('{"mcpServers": {"notes": {"command": "x", "owners": "alice"}}}', "notes.owners: expected a list"),
    ('{"mcpServers": {"notes": {"command": "x", "env": {"K": 1}}}}', "notes.env: expected an object of texts"),
    ('{"mcpServers": {"notes": {"command": "x", "autostart": true}}}', "notes: unknown field 'autostart'"),
])
def test_each_mistake_is_named(document: str, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_servers(document)
    assert message in str(refused.value)
