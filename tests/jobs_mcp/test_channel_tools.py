"""Channels through the tools, over the MCP client: stored as given, answered masked everywhere (job_create,
job_retrieval_by_id, job_runs' deliveries), refused by name when unusable."""

from __future__ import annotations

import pytest
from mcp import Client
from mcp.types import CallToolResult

from jobs_mcp.app import App, build_app
from jobs_mcp.config import Settings
from jobs_mcp.server import JobsServer, build_server
from scheduler.clock import FakeClock
from scheduler.delivery.channels import ChannelDispatcher
from scheduler.net_guard import AllowList
from tests.jobs_mcp.test_inbox_tools import tick
from tests.jobs_mcp.test_tools_http import data
from tests.support.channels import json_receiver

PASSWORD = "s3cret-Passw0rd-xyz"
TOKEN = "123456789:ABCdefGhIJKlmnoPQRsT"


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return Settings(database_url=sqlite_url, fetch_allow=("127.0.0.1",))


def text_of(result: CallToolResult) -> str:
    return "".join(getattr(part, "text", "") for part in result.content)


async def test_channels_are_answered_masked_and_delivered(server: JobsServer, state: App, clock: FakeClock) -> None:
    with json_receiver() as receiver:
        url = receiver.url(f"alice:{PASSWORD}@")
        async with Client(server) as client:
            created = await client.call_tool("job_create", {
                "title": "Stretch", "instructions": "Stand up", "action": "notify",
                "channels": [url]})
            job_id = data(created)["job"]["id"]
            later = await client.call_tool("job_create", {  # never fires here: no real service is called
                "title": "Later", "instructions": "i", "action": "notify", "run_at": "2030-01-01T09:00:00Z",
                "channels": [f"tgram://{TOKEN}/123456"]})
            later_full = await client.call_tool("job_retrieval_by_id", {"job_id": data(later)["job"]["id"],
                                                                        "detail": "full"})
            await tick(state)
            await ChannelDispatcher(state.deliveries, clock, AllowList.parse(["127.0.0.1"]), "n").dispatch_once()
            shown = await client.call_tool("job_retrieval_by_id", {"job_id": job_id, "detail": "full"})
            runs = await client.call_tool("job_runs", {"job_id": job_id, "detail": "full"})
    masked = url.replace(PASSWORD, "****").removesuffix("/push") + "/push"
    assert data(shown)["job"]["channels"] == [masked]
    assert data(later_full)["job"]["channels"] == ["tgram://****/123456"]
    for answer in (created, shown, runs, later, later_full):
        assert PASSWORD not in text_of(answer) and TOKEN not in text_of(answer)
    deliveries = data(runs)["runs"][0]["deliveries"]
    by_kind = {(d["kind"], d.get("channel")): d for d in deliveries}
    assert by_kind[("channel", masked)]["status"] == "delivered" and ("inbox", None) in by_kind
    assert receiver.accepted[0]["message"].startswith("Stand up")


async def test_an_unusable_channel_is_refused_by_its_index(server: JobsServer) -> None:
    async with Client(server) as client:
        unknown = await client.call_tool("job_create", {"title": "t", "instructions": "i",
                                                        "channels": ["json://127.0.0.1/x", "nope://tok3nValue99"]})
        private = await client.call_tool("job_create", {"title": "t", "instructions": "i",
                                                        "channels": [f"json://u:{PASSWORD}@10.9.8.7/x"]})
        listed = data(await client.call_tool("job_list", {}))
    assert unknown.is_error and text_of(unknown).startswith("invalid_argument: channels[1]: unknown scheme")
    assert "tok3nValue99" not in text_of(unknown)
    assert private.is_error and "channels[0]" in text_of(private) and PASSWORD not in text_of(private)
    assert listed["jobs"] == []


def test_update_replaces_and_clears_channels(sqlite_url: str, clock: FakeClock) -> None:
    app = build_app(Settings(database_url=sqlite_url, fetch_allow=("127.0.0.1",)), clock)
    try:
        from scheduler.jobs.job_input import JobInput, JobPatch

        job = app.service.create("alice", JobInput(title="t", instructions="i",
                                                   channels=["json://127.0.0.1/a"])).job
        changed = app.service.update("alice", job.id, JobPatch(channels=["json://127.0.0.1/b"], urgent=True))
        assert (changed.channels, changed.urgent) == (["json://127.0.0.1/b"], True)
        cleared = app.service.update("alice", job.id, JobPatch(channels=[]))
        assert cleared.channels == [] and cleared.urgent
    finally:
        app.close()


_ = build_server  # the fixtures build the server; imported for readers following the setup
