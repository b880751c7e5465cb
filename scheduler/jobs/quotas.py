"""Per-owner quotas: jobs kept active, jobs created per minute, LLM spend per UTC day (docs/limits.md#quotas).

One owner must not be able to crowd out the others: fill the tables, flood the engine, or spend the
shared API key. Every count comes from the database (`store.usage`), so the limits hold across
nodes, and `now` is the caller's (the injected clock). The checks run before the write they guard
and are not serialized with it: concurrent creates may pass one check together and overshoot a
limit by their number, which bounds the damage as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from store.errors import LimitExceeded
from store.repository import JobRepository
from store.usage import creation_usage, record_spend, spend_since

RATE_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Quotas:
    """The limits; None switches one off (0 in the configuration)."""

    max_active_jobs: int | None = None
    max_creates_per_minute: int | None = None
    max_daily_spend_usd: float | None = None


class QuotaCheck:
    def __init__(self, repo: JobRepository, quotas: Quotas) -> None:
        self.repo = repo
        self.quotas = quotas

    def before_create(self, owner: str, now: datetime) -> None:
        """LimitExceeded if `owner` may not create another job now."""
        most_active, rate = self.quotas.max_active_jobs, self.quotas.max_creates_per_minute
        if most_active is None and rate is None:
            return
        usage = creation_usage(self.repo, owner, active_at_most=most_active or 0, since=now - RATE_WINDOW)
        if most_active is not None and usage.active >= most_active:
            raise LimitExceeded(f"{most_active} active jobs per owner", "JOBS_MCP_MAX_ACTIVE_JOBS",
                                "cancel or finish some first")
        if rate is not None and usage.created >= rate:
            wait_s = max(1, int(((usage.oldest_created or now) + RATE_WINDOW - now).total_seconds() + 0.999))
            raise LimitExceeded(f"{rate} job creations per minute per owner", "JOBS_MCP_MAX_CREATES_PER_MINUTE",
                                f"try again in {wait_s} s")

    def before_llm_run(self, owner: str, now: datetime) -> None:
        """LimitExceeded if what `owner` spent on the LLM since the start of this UTC day (runs, chat
        observation, schedule readings) reaches the daily limit."""
        limit = self.quotas.max_daily_spend_usd
        if limit is None:
            return
        day_start = datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)
        spent = spend_since(self.repo, owner, day_start)
        if spent >= limit:
            raise LimitExceeded(f"${limit:g} LLM spend per owner per UTC day", "JOBS_MCP_MAX_DAILY_SPEND_USD",
                                f"${spent:.4f} spent since {day_start:%Y-%m-%d} 00:00 UTC, so the LLM was not "
                                "called; it is called again after 00:00 UTC or with a higher limit")

    def spent_outside_run(self, owner: str, now: datetime, usd: float, purpose: str) -> None:
        """Count an LLM call made outside a run towards the owner's daily spend."""
        if usd > 0:
            record_spend(self.repo, owner, now, usd, purpose)
