"""owner_settings over the MCP client: read, change, clear; isolated per owner; the zone is used by jobs that
name none; default channels are answered masked; bad values are refused by field and change nothing."""

from __future__ import annotations

import pytest
from mcp.types import CallToolResult

from jobs_mcp.config import Settings
from tests.jobs_mcp.conftest import ClientFactory
from tests.jobs_mcp.test_tools_http import data

TOKEN = "123456789:ABCdefGhIJKlmnoPQRsT"


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return Settings(database_url=sqlite_url, timezone="Europe/Berlin", fetch_allow=("127.0.0.1",))


def text_of(result: CallToolResult) -> str:
    return "".join(getattr(part, "text", "") for part in result.content)


async def test_read_change_and_clear_per_owner(as_owner: ClientFactory) -> None:
    async with as_owner("alice") as alice, as_owner("bob") as bob:
        fresh = data(await alice.call_tool("owner_settings", {}))
        changed = await alice.call_tool("owner_settings", {
            "timezone": "Asia/Tokyo", "quiet_hours": "22:00-07:00", "channels": [f"tgram://{TOKEN}/123456"]})
        again = data(await alice.call_tool("owner_settings", {}))
        bobs = data(await bob.call_tool("owner_settings", {}))
        job = data(await alice.call_tool("job_create", {"title": "t", "instructions": "i",
                                                        "cron": "0 9 * * *"}))["job"]
        full = data(await alice.call_tool("job_retrieval_by_id", {"job_id": job["id"], "detail": "full"}))["job"]
        bob_job = data(await bob.call_tool("job_create", {"title": "t", "instructions": "i",
                                                          "cron": "0 9 * * *"}))["job"]
        bob_full = data(await bob.call_tool("job_retrieval_by_id", {"job_id": bob_job["id"],
                                                                    "detail": "full"}))["job"]
        cleared = data(await alice.call_tool("owner_settings", {"clear": ["quiet_hours", "channels"]}))
    assert fresh == {"timezone": "Europe/Berlin", "zone_from_server": True}
    assert data(changed) == again == {"timezone": "Asia/Tokyo", "quiet_hours": "22:00-07:00",
                                      "channels": ["tgram://****/123456"]}
    assert TOKEN not in text_of(changed)
    assert bobs == fresh
    assert full["timezone"] == "Asia/Tokyo" and bob_full["timezone"] == "Europe/Berlin"
    assert cleared == {"timezone": "Asia/Tokyo"}


@pytest.mark.parametrize(("arguments", "field"), [
    ({"quiet_hours": "10pm-7am"}, "quiet_hours"),
    ({"quiet_hours": "22:00-22:00"}, "quiet_hours"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"channels": ["nope://x"]}, "channels[0]"),
    ({"timezone": "UTC", "clear": ["timezone"]}, "clear"),
    ({"clear": ["everything"]}, "clear"),
])
async def test_bad_values_are_refused_by_field_and_change_nothing(as_owner: ClientFactory, arguments: dict[str, object],
                                                                   field: str) -> None:
    async with as_owner("alice") as alice:
        refused = await alice.call_tool("owner_settings", arguments)
        after = data(await alice.call_tool("owner_settings", {}))
    assert refused.is_error and text_of(refused).startswith(f"invalid_argument: {field}")
    assert after == {"timezone": "Europe/Berlin", "zone_from_server": True}
