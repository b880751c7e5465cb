"""completion/complete over real HTTP: IANA zones for `timezone`, the caller's own jobs for `job_id`."""

from __future__ import annotations

import pytest
from mcp.shared.exceptions import MCPError
from mcp_types import PromptReference, ResourceTemplateReference

from jobs_mcp.completion import MAX_VALUES, zones_matching
from jobs_mcp.job_resource import JOB_URI
from tests.jobs_mcp.conftest import ClientFactory
from tests.jobs_mcp.test_tools_http import data

REMIND = PromptReference(type="ref/prompt", name="remind")
JOB = ResourceTemplateReference(type="ref/resource", uri=JOB_URI)


def test_zones_match_by_prefix_of_the_name_or_the_city_first() -> None:
    assert zones_matching("Europe/Ber")[:1] == ["Europe/Berlin"]
    assert zones_matching("berl")[:1] == ["Europe/Berlin"]  # the city, any case
    assert zones_matching("new york")[:1] == ["America/New_York"]
    assert zones_matching("york") == ["America/New_York"]  # a substring, when no prefix matches
    assert "UTC" in zones_matching("utc") and "EST" not in zones_matching("EST")  # abbreviations are not zones
    assert zones_matching("Mars/") == []


async def test_timezone_completion_is_capped_and_says_how_many(as_owner: ClientFactory) -> None:
    async with as_owner() as client:
        berlin = (await client.complete(REMIND, {"name": "timezone", "value": "berl"})).completion
        america = (await client.complete(REMIND, {"name": "timezone", "value": "America/"})).completion
        other = (await client.complete(REMIND, {"name": "what", "value": "x"})).completion
    assert berlin.values == ["Europe/Berlin"] and berlin.total == 1 and not berlin.has_more
    assert len(america.values) == MAX_VALUES and america.total is not None and america.total > MAX_VALUES
    assert america.has_more and all(v.startswith("America/") for v in america.values)
    assert other.values == []


async def test_job_id_completion_offers_only_the_callers_jobs(as_owner: ClientFactory) -> None:
    async with as_owner("alice") as alice:
        invoices = data(await alice.call_tool("job_create", {"title": "Pending invoices", "instructions": "x",
                                                             "cron": "0 9 * * 1"}))["job"]["id"]
        plants = data(await alice.call_tool("job_create", {"title": "Water the plants", "instructions": "x",
                                                           "cron": "0 8 * * *"}))["job"]["id"]
        by_title = (await alice.complete(JOB, {"name": "job_id", "value": "INVO"})).completion.values
        by_prefix = (await alice.complete(JOB, {"name": "job_id", "value": plants[:8]})).completion.values
        everything = (await alice.complete(JOB, {"name": "job_id", "value": ""})).completion.values
    async with as_owner("bob") as bob:
        data(await bob.call_tool("job_create", {"title": "Bob's invoices", "instructions": "x"}))
        bobs = (await bob.complete(JOB, {"name": "job_id", "value": "invo"})).completion.values
        foreign = (await bob.complete(JOB, {"name": "job_id", "value": invoices[:10]})).completion.values
    assert by_title == [invoices] and plants in by_prefix and set(everything) == {invoices, plants}
    assert invoices not in bobs and len(bobs) == 1 and foreign == []


async def test_the_job_resource_is_the_callers_job_in_full(as_owner: ClientFactory) -> None:
    async with as_owner("alice") as alice:
        job = data(await alice.call_tool("job_create", {"title": "Invoices", "instructions": "Check them",
                                                        "cron": "0 9 * * 1", "timezone": "Europe/Berlin"}))["job"]
        templates = (await alice.list_resource_templates()).resource_templates
        read = await alice.read_resource(f"jobs://jobs/{job['id']}")
    assert [t.uri_template for t in templates] == [JOB_URI]
    text = read.contents[0].text  # type: ignore[union-attr]
    assert '"cron":"0 9 * * 1"' in text and '"instructions":"Check them"' in text and "null" not in text
    async with as_owner("bob") as bob:
        with pytest.raises(MCPError) as refused:
            await bob.read_resource(f"jobs://jobs/{job['id']}")
    assert str(refused.value).startswith("not_found:") and "Invoices" not in str(refused.value)
