"""tools/list is answered from the wire form made for the first session (JobsServer.listing_as_sent): the
same listing for every session, made anew only when the tools change."""

from __future__ import annotations

import pytest
from mcp import Client

from jobs_mcp.server import JobsServer


async def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


async def test_listing_is_made_once_and_again_when_the_tools_change(server: JobsServer,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    made = 0
    real = server.list_tools

    async def counted() -> list:  # type: ignore[type-arg]
        nonlocal made
        made += 1
        return await real()

    monkeypatch.setattr(server, "list_tools", counted)
    async with Client(server) as first:
        listed = [t.model_dump() for t in (await first.list_tools()).tools]
    async with Client(server) as second:
        again = [t.model_dump() for t in (await second.list_tools()).tools]
    assert made == 1 and again == listed and "job_create" in {t["name"] for t in listed}
    server.tool()(echo)
    async with Client(server) as third:
        names = {t.name for t in (await third.list_tools()).tools}
    assert made == 2 and names == {t["name"] for t in listed} | {"echo"}
