"""The two retrieval tools through the MCP client: results with scores, owner scoping, coded errors."""

from __future__ import annotations

from mcp import Client

from jobs_mcp.server import JobsServer
from tests.jobs_mcp.test_tools_http import data, error


async def test_both_tools_find_jobs_with_scores(server: JobsServer) -> None:
    async with Client(server) as client:
        for title, text in [("Chase invoice INV-2093", "Remind Acme to pay invoice INV-2093"),
                            ("Competitor pricing watch", "Check Initech's pricing page every Monday")]:
            data(await client.call_tool("job_create", {"title": title, "instructions": text}))
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert tools["job_retrieval_semantic"].annotations.read_only_hint is True  # type: ignore[union-attr]
        found = data(await client.call_tool("job_retrieval_by_keywords", {"keywords": ["INV-2093"]}))
        assert [j["job"]["title"] for j in found["jobs"]] == ["Chase invoice INV-2093"]
        assert found["jobs"][0]["keyword_score"] > 0 and "embedding" not in found["jobs"][0]["job"]
        found = data(await client.call_tool("job_retrieval_semantic", {
            "query": "what did I ask you to keep an eye on about the rival company", "limit": 1}))
        assert found["mode"] == "hybrid"
        assert [j["job"]["title"] for j in found["jobs"]] == ["Competitor pricing watch"]
        assert found["jobs"][0]["similarity"] > 0


async def test_bad_filters_and_blank_input_are_invalid_arguments(server: JobsServer) -> None:
    async with Client(server) as client:
        text = error(await client.call_tool("job_retrieval_by_keywords", {"keywords": "x", "status": "DONE"}))
        assert text.startswith("invalid_argument:") and "status" in text
        text = error(await client.call_tool("job_retrieval_semantic", {"query": "  "}))
        assert text.startswith("invalid_argument:") and "query" in text
        found = data(await client.call_tool("job_retrieval_by_keywords", {"keywords": '"(( AND NEAR *'}))
        assert found["jobs"] == []


async def test_semantic_search_says_when_no_job_matches(server: JobsServer) -> None:
    async with Client(server) as client:
        for title, text in [("Water the plants", "Remind me to water the balcony plants"),
                            ("Passport renewal", "Remind me to renew my passport before the trip to Japan")]:
            data(await client.call_tool("job_create", {"title": title, "instructions": text}))
        none = data(await client.call_tool("job_retrieval_semantic", {"query": "bake sourdough bread"}))
        every = data(await client.call_tool("job_retrieval_semantic", {"query": "bake sourdough bread",
                                                                        "min_similarity": -1}))
        meant = data(await client.call_tool("job_retrieval_semantic", {"query": "my travel document"}))
        refused = error(await client.call_tool("job_retrieval_semantic", {"query": "x", "min_similarity": 2}))
        no_words = data(await client.call_tool("job_retrieval_by_keywords", {"keywords": ["sourdough"]}))
    assert none["jobs"] == [] and none["note"].startswith("no job matches 'bake sourdough bread'")
    assert len(every["jobs"]) == 2 and "note" not in every
    assert [j["job"]["title"] for j in meant["jobs"]] == ["Passport renewal"]
    assert refused.startswith("invalid_argument: min_similarity") and "-1 to 1" in refused
    assert no_words == {"jobs": [], "mode": "keyword", "note": "no job contains 'sourdough'"}
