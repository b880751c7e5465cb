"""The spending rule of a job: its runs together may not cost more than its `max_cost_usd`.

The engine applies it after each run, whatever produced the cost, so it lives here and not in the
LLM pipeline that reports the cost.
"""

from __future__ import annotations

from store.models import Job


def cost_exceeded(job: Job, total_cost_usd: float) -> str | None:
    """The BLOCKED reason when the job's runs together cost more than its `max_cost_usd`, else None.

    The engine calls it after recording a run, with the sum of the job's `job_runs.cost_usd`
    (`store.costs.job_costs`), and blocks the job with the returned reason.
    """
    max_cost_usd = job.max_cost_usd
    if max_cost_usd is None or total_cost_usd <= max_cost_usd:
        return None
    return f"cost limit exceeded: its runs cost ${total_cost_usd:.4f}, more than max_cost_usd ${max_cost_usd:.4f}"
