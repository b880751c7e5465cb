"""job_archive, job_delete and include_archived through the MCP client, on a real SQLite file."""

from __future__ import annotations

from mcp import Client
from sqlalchemy import text

from jobs_mcp.app import App
from jobs_mcp.server import JobsServer
from tests.jobs_mcp.test_tools_http import data, error


async def _finished_job(client: Client, title: str, words: str) -> str:
    job = data(await client.call_tool("job_create", {"title": title, "instructions": words, "cron": "0 9 * * *",
                                                     "action": "notify"}))["job"]
    data(await client.call_tool("job_cancel", {"job_id": job["id"]}))
    return job["id"]


async def test_archived_jobs_leave_lists_and_searches_unless_asked_for(server: JobsServer, state: App) -> None:
    async with Client(server) as client:
        job_id = await _finished_job(client, "Chase invoice INV-2093", "Remind Acme to pay invoice INV-2093")
        archived = data(await client.call_tool("job_archive", {"job_id": job_id, "reason": "tidy"}))
        assert (archived["job"]["status"], archived["job"]["archived_from"]) == ("ARCHIVED", "CANCELLED")
        assert data(await client.call_tool("job_list", {}))["jobs"] == []
        listed = data(await client.call_tool("job_list", {"include_archived": True}))["jobs"]
        assert [j["id"] for j in listed] == [job_id]
        assert [j["id"] for j in data(await client.call_tool("job_list", {"status": "ARCHIVED"}))["jobs"]] == [job_id]
        assert data(await client.call_tool("job_retrieval_by_keywords", {"keywords": "INV-2093"}))["jobs"] == []
        found = data(await client.call_tool("job_retrieval_by_keywords", {"keywords": "INV-2093",
                                                                          "include_archived": True}))
        assert [j["job"]["id"] for j in found["jobs"]] == [job_id]
        state.search.embedder.drain()  # type: ignore[union-attr]
        query = {"query": "the invoice Acme owes me"}
        assert data(await client.call_tool("job_retrieval_semantic", query))["jobs"] == []
        found = data(await client.call_tool("job_retrieval_semantic", {**query, "include_archived": True}))
        assert [j["job"]["id"] for j in found["jobs"]] == [job_id]
        again = error(await client.call_tool("job_archive", {"job_id": job_id}))
        assert again.startswith("conflict:") and "already archived" in again


async def test_archive_and_delete_refuse_an_unfinished_job_with_advice(server: JobsServer) -> None:
    async with Client(server) as client:
        job = data(await client.call_tool("job_create", {"title": "t", "instructions": "x", "cron": "0 9 * * *"}))
        for tool in ("job_archive", "job_delete"):
            refused = error(await client.call_tool(tool, {"job_id": job["job"]["id"]}))
            assert refused.startswith("conflict:") and "job_cancel ends it first" in refused
        assert error(await client.call_tool("job_delete", {"job_id": "job_000000000000"})).startswith("not_found:")


async def test_delete_removes_the_job_its_history_and_its_index_rows(server: JobsServer, state: App) -> None:
    async with Client(server) as client:
        job_id = await _finished_job(client, "Private thing", "Remind me about the private thing")
        other = await _finished_job(client, "Kept", "Another private thing")
        state.search.embedder.drain()  # type: ignore[union-attr]
        assert data(await client.call_tool("job_delete", {"job_id": job_id})) == {"deleted": job_id}
        assert error(await client.call_tool("job_retrieval_by_id", {"job_id": job_id})).startswith("not_found:")
        assert error(await client.call_tool("job_delete", {"job_id": job_id})).startswith("not_found:")
    with state.db.connect() as conn:
        for table in ("jobs", "job_runs", "deliveries", "job_events"):
            column = "id" if table == "jobs" else "job_id"
            count = conn.execute(text(f"SELECT count(*) FROM {table} WHERE {column} = :id"), {"id": job_id})
            assert count.scalar_one() == 0, table
        assert conn.execute(text("SELECT count(*) FROM jobs_fts WHERE job_id = :id"), {"id": job_id}).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM job_events WHERE job_id = :id"), {"id": other}).scalar_one()
    assert state.search.embedder.index.size("anonymous") <= 1  # type: ignore[union-attr]
