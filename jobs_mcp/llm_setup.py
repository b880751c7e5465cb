"""The LLM pipeline for the composition root: the client, the agent action, the price table.

Without ANTHROPIC_API_KEY nothing talks to a model: `agent` runs fail with
NoLLMAction's clear error and job_observe_chat says no LLM is configured.
"""

from __future__ import annotations

import threading
from pathlib import Path

from jobs_mcp.config import Settings
from scheduler.engine.actions import Action, NoLLMAction
from scheduler.jobs.quotas import QuotaCheck
from scheduler.llm.agent_action import AgentAction
from scheduler.llm.client import LLM, LLMConfig
from scheduler.llm.pricing import PriceTable
from scheduler.net_guard import AllowList
from store.errors import InvalidArgument


def fetch_allow_list(settings: Settings) -> AllowList:
    try:
        return AllowList.parse(settings.fetch_allow)
    except ValueError as exc:
        raise InvalidArgument("JOBS_MCP_FETCH_ALLOW", "comma-separated host names, addresses or CIDR networks",
                              reason=str(exc)) from exc


def price_table(settings: Settings) -> PriceTable:
    if not settings.prices_file:
        return PriceTable()
    try:
        return PriceTable.from_json(Path(settings.prices_file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidArgument("JOBS_MCP_PRICES_FILE", "a readable JSON file", settings.prices_file,
                              reason=exc.strerror) from exc
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise InvalidArgument("JOBS_MCP_PRICES_FILE", 'JSON like {"model": {"input": 3, "output": 15, '
                              '"cache_write": 3.75, "cache_read": 0.3}}', reason=str(exc)) from exc


def build_llm(settings: Settings) -> LLM | None:
    """The shared client, or None without an API key."""
    if not settings.anthropic_api_key:
        return None
    config = LLMConfig(api_key=settings.anthropic_api_key, base_url=settings.anthropic_base_url,
                       model=settings.model, judge_model=settings.judge_model,
                       fetch_allow=fetch_allow_list(settings), prices=price_table(settings))
    return LLM(config)


def build_agent_action(settings: Settings, llm: LLM | None = None, quotas: QuotaCheck | None = None) -> Action:
    """AgentAction when a key is configured, else NoLLMAction ("no LLM configured (set ANTHROPIC_API_KEY)")."""
    llm = llm or build_llm(settings)
    return AgentAction(llm, quotas) if llm is not None else NoLLMAction()


class LLMWarmup:
    """Imports the SDK and makes the client in a background thread once the server has started: the
    import takes over a second, which the first tool answer must not wait for (bench/startup.py)."""

    def __init__(self, llm: LLM) -> None:
        self.llm = llm

    async def start(self) -> None:
        threading.Thread(target=self.llm.warm, name="jobs-mcp-llm-warmup", daemon=True).start()

    async def stop(self) -> None:
        return None
