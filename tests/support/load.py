"""Many real MCP clients at once against one server: every call timed, every failure kept."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import anyio

from tests.jobs_mcp.conftest import http_client


@dataclass
class Load:
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def calls(self) -> int:
        return len(self.latencies_ms) + len(self.failures)

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _described(exc: BaseException) -> str:
    """The leaf exceptions of a (nested) exception group, or the exception itself."""
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_described(inner) for inner in exc.exceptions)
    cause = f" (from {type(exc.__cause__).__name__}: {exc.__cause__})" if exc.__cause__ else ""
    return f"{type(exc).__name__}: {exc}{cause}"


async def _one_client(url: str, number: int, calls: int, load: Load) -> None:
    """Owner `load-<number>`: creates a job, then reads it and lists its jobs in turn, `calls` calls in all."""
    try:
        async with http_client(url, {"X-Jobs-Owner": f"load-{number}"}) as client:
            job_id = None
            for call in range(calls):
                if job_id is None:
                    tool, arguments = "job_create", {"title": f"Load {number}", "instructions": "x",
                                                     "cron": "0 9 * * *"}
                elif call % 2:
                    tool, arguments = "job_retrieval_by_id", {"job_id": job_id}
                else:
                    tool, arguments = "job_list", {}
                start = time.perf_counter()
                try:
                    result = await client.call_tool(tool, arguments)
                except Exception as exc:  # a transport or protocol failure is what we count here
                    load.failures.append(f"client {number} {tool}: {_described(exc)}")
                    continue
                if result.is_error:
                    load.failures.append(f"client {number} {tool}: {result.content}")
                    continue
                load.latencies_ms.append((time.perf_counter() - start) * 1000)
                if tool == "job_create":
                    job_id = result.structured_content["job"]["id"]  # type: ignore[index]
    except Exception as exc:  # connecting or closing the session failed
        load.failures.append(f"client {number} session: {_described(exc)}")


async def run_clients(url: str, clients: int, calls_per_client: int) -> Load:
    """`clients` clients at once, each with its own owner and session."""
    load = Load()
    start = time.perf_counter()
    async with anyio.create_task_group() as group:
        for number in range(clients):
            group.start_soon(_one_client, url, number, calls_per_client, load)
    load.elapsed_s = time.perf_counter() - start
    return load
