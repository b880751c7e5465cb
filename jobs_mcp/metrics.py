"""Prometheus metrics of one node, in its own registry (never the process-global one).

Counters and histograms are this node's: runs it finished, its fires' lateness, its LLM
calls and tool calls; the engine, the LLM client and the server report to them through
small observer hooks. Gauges read the shared database at scrape time, so every node
reports the same job, due and delivery counts (docs/observability.md#metrics).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from scheduler.engine.actions import Usage
from scheduler.engine.runner import RemindersDone, RunDone
from store.overview import gauges

if TYPE_CHECKING:
    from jobs_mcp.app import App

log = logging.getLogger(__name__)
# The text format would carry a `*_created` timestamp series beside every counter and histogram,
# which Prometheus does not read from it: a third more lines per scrape for nothing.
disable_created_metrics()
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENESS_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.runs = Counter("jobs_mcp_runs", "Runs finished on this node", ["outcome", "job_type"], registry=r)
        self._run_children: dict[tuple[str, str], tuple[Any, Any]] = {}
        self.run_seconds = Histogram("jobs_mcp_run_duration_seconds", "Run duration, claim to finish",
                                     ["job_type"], buckets=LATENCY_BUCKETS, registry=r)
        self.lateness = Histogram("jobs_mcp_fire_lateness_seconds", "Scheduled fire to the run's start",
                                  buckets=LATENESS_BUCKETS, registry=r)
        self.llm_tokens = Counter("jobs_mcp_llm_tokens", "LLM tokens by model and kind", ["model", "kind"],
                                  registry=r)
        self.llm_cost = Counter("jobs_mcp_llm_cost_usd", "LLM cost in USD by model", ["model"], registry=r)
        self.tool_calls = Counter("jobs_mcp_tool_calls", "MCP tool calls by tool and result", ["tool", "result"],
                                  registry=r)
        self.tool_seconds = Histogram("jobs_mcp_tool_latency_seconds", "MCP tool call latency", ["tool"],
                                      buckets=LATENCY_BUCKETS, registry=r)

    # -- observers (the hooks call these; they never raise into their caller's work) --------------

    def run_finished(self, done: RunDone) -> None:
        runs, seconds = self._children(done.outcome, done.job.job_type)
        runs.inc()
        seconds.observe(done.duration_s)
        self.lateness.observe(done.lateness_s)

    def reminders_finished(self, done: RemindersDone) -> None:
        """`count` runs of the reminder lane, as `count` calls of run_finished would count them."""
        runs, seconds = self._children("succeeded", done.job_type)
        runs.inc(done.count)
        observe_many(seconds, 0.0, done.count)
        observe_many(self.lateness, done.lateness_s, done.count)

    def _children(self, outcome: str, job_type: str) -> tuple[Any, Any]:
        # The labelled children are kept: `labels()` checks and locks on every call.
        key = (outcome, job_type)
        children = self._run_children.get(key)
        if children is None:
            children = self._run_children[key] = (self.runs.labels(*key), self.run_seconds.labels(job_type))
        return children

    def llm_call(self, model: str, usage: Usage) -> None:
        for kind, tokens in (("input", usage.tokens_in), ("output", usage.tokens_out),
                             ("cache_read", usage.cache_read_tokens), ("cache_write", usage.cache_write_tokens)):
            if tokens:
                self.llm_tokens.labels(model, kind).inc(tokens)
        self.llm_cost.labels(model).inc(usage.cost_usd)

    def tool_call(self, tool: str, ok: bool, seconds: float) -> None:
        self.tool_calls.labels(tool, "ok" if ok else "error").inc()
        self.tool_seconds.labels(tool).observe(seconds)

    def watch(self, app: App) -> None:
        """Report the app's database counts and search state at every scrape."""
        self.registry.register(AppCollector(app))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def observe_many(histogram: Any, amount: float, count: int) -> None:
    """`count` observations of one `amount`, as `Histogram.observe` makes one (its sum, then the first bucket
    the amount fits; the exposition adds the buckets up). prometheus_client has no call for it, so this
    reads the histogram's private fields: tests/jobs_mcp/test_observability_http.py compares the
    exposition with `count` plain observations, so a release that changes them is caught."""
    histogram._sum.inc(amount * count)
    for bucket, bound in zip(histogram._buckets, histogram._upper_bounds, strict=True):
        if amount <= bound:
            bucket.inc(count)
            break


class AppCollector(Collector):
    """Gauges read at scrape time from the database and the search index."""

    def __init__(self, app: App) -> None:
        self.app = app

    def describe(self) -> list[Metric]:
        return []  # unchecked: the families depend on the database's contents

    def collect(self) -> Iterator[Metric]:
        counts = gauges(self.app.repo, self.app.clock.now())
        jobs = GaugeMetricFamily("jobs_mcp_jobs", "Jobs by status (all nodes)", labels=["status"])
        for status, n in sorted(counts.jobs_by_status.items()):
            jobs.add_metric([status], n)
        yield jobs
        yield GaugeMetricFamily("jobs_mcp_due_not_started", "ACTIVE jobs whose fire is due but not claimed",
                                value=counts.due_not_started)
        deliveries = GaugeMetricFamily("jobs_mcp_deliveries", "Delivery rows by kind and status (all nodes)",
                                       labels=["kind", "status"])
        for (kind, status), n in sorted(counts.deliveries.items()):
            deliveries.add_metric([kind, status], n)
        yield deliveries
        yield GaugeMetricFamily("jobs_mcp_search_index_jobs", "Jobs with a stored search vector",
                                value=counts.embedded_jobs)
        search = self.app.search
        loaded = search.embedder.index.total() if search is not None else 0
        yield GaugeMetricFamily("jobs_mcp_search_index_loaded_vectors", "Vectors in this node's memory",
                                value=loaded)
        yield GaugeMetricFamily("jobs_mcp_search_model_ready", "1 once the search model is loaded",
                                value=1 if search is not None and search.embedder.model.ready else 0)
