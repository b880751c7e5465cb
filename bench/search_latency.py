"""Latency of job_retrieval_semantic and job_retrieval_by_keywords over MCP, at 1,000 and 10,000 jobs.

One owner (the in-memory caller) holds all jobs; calls go through the official MCP client to the real server
(in-memory transport), so tool dispatch, validation and result models are included.
Prints p50/p99 per tool, and the bare query-encode time beside the semantic search.
Usage: .venv/bin/python bench/search_latency.py [--sizes 1000 10000] [--database-url URL] [--calls 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from mcp import Client  # noqa: E402

from jobs_mcp.config import Settings  # noqa: E402
from jobs_mcp.identity import DEFAULT_OWNER  # noqa: E402
from jobs_mcp.server import build_server, build_state  # noqa: E402
from scheduler.jobs.job_input import JobInput  # noqa: E402
from scheduler.search.service import SearchService  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "retrieval_eval.json"
CLIENTS = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Soylent", "Tyrell", "Cyberdyne"]


def synthetic_jobs(count: int, seed: int = 7) -> list[tuple[str, str]]:
    templates = [(j["title"], j["instructions"]) for j in json.loads(DATA.read_text())["jobs"].values()]
    rng = random.Random(seed)
    out = []
    for i in range(count):
        title, text = rng.choice(templates)
        client = rng.choice(CLIENTS)
        out.append((f"{title} {client} #{i}", f"{text} (for {client}, ref INV-{1000 + i}, node db-prod-{i % 97})"))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def timed_calls(client: Client, tool: str, args: list[dict], calls: int) -> list[float]:
    times = []
    for i in range(calls):
        start = time.perf_counter()
        result = await client.call_tool(tool, args[i % len(args)])
        times.append((time.perf_counter() - start) * 1000)
        # Semantic search always ranks the owner's jobs; an empty answer means a broken setup.
        empty = tool == "job_retrieval_semantic" and not (result.structured_content or {}).get("jobs")
        if result.is_error or empty:
            raise RuntimeError(f"{tool} found nothing for {args[i % len(args)]}: {result.content}")
    return times


def populate(search: SearchService, service: object, count: int) -> float:
    start = time.perf_counter()
    for title, text in synthetic_jobs(count):
        # A weekly cron keeps every job out of the poller's way while we measure.
        service.create(DEFAULT_OWNER, JobInput(title=title, instructions=text, cron="0 9 * * 1"))  # type: ignore[attr-defined]
    search.embedder.model.get(300)
    search.embedder.drain()
    search.embedder.repair()
    return time.perf_counter() - start


async def run_size(url: str, count: int, calls: int) -> None:
    state = build_state(Settings(database_url=url))
    search: SearchService = state.extras["search"]
    # Measure search alone: the poller's ticks over 10,000 jobs would share the 2 cores (and the GIL).
    state.extras["lifecycle"] = [(name, part) for name, part in state.extras["lifecycle"] if name == "search"]
    server = build_server(state)
    queries = [q["query"] for q in json.loads(DATA.read_text())["queries"]]
    async with Client(server) as client:
        seconds = populate(search, state.service, count)
        semantic_args = [{"query": q, "limit": 10} for q in queries]
        keyword_args = [{"keywords": q, "limit": 10} for q in queries]
        for tool, args in (("job_retrieval_semantic", semantic_args), ("job_retrieval_by_keywords", keyword_args)):
            await timed_calls(client, tool, args, len(args))  # warm: owner matrix, caches, query vectors
        encoder = search.embedder.model.get()
        encode_ms = []
        for q in queries * 3:
            start = time.perf_counter()
            encoder.encode([q])
            encode_ms.append((time.perf_counter() - start) * 1000)
        sem = await timed_calls(client, "job_retrieval_semantic", semantic_args, calls)
        key = await timed_calls(client, "job_retrieval_by_keywords", keyword_args, calls)
    state.engine.dispose()
    print(f"\n{count} jobs ({state.engine.dialect.name}; created and embedded in {seconds:.0f} s, {encoder.name})")
    print(f"  job_retrieval_semantic    p50 {statistics.median(sem):6.2f} ms  p99 {percentile(sem, 0.99):6.2f} ms"
          f"   (query vector cached; bare encode of one query: p50 {statistics.median(encode_ms):.2f} ms,"
          f" p99 {percentile(encode_ms, 0.99):.2f} ms)")
    print(f"  job_retrieval_by_keywords p50 {statistics.median(key):6.2f} ms  p99 {percentile(key, 0.99):6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file per size")
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    print(f"CPU cores: {os.cpu_count()}; {args.calls} calls per tool, limit 10, queries from the evaluation set")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(run_size(args.database_url or f"sqlite:///{tmp}/bench.db", size, args.calls))


if __name__ == "__main__":
    main()
