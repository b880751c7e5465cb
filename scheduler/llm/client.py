"""The LLM connection shared by the agent action and job_observe_chat: one SDK client per server.

`LLMConfig` is what the pipeline needs from configuration (built at the edge
from `jobs_mcp.config.Settings`; nothing here reads the environment).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anthropic

from scheduler.llm.pricing import PriceTable, Usage
from scheduler.net_guard import AllowList

SDK_MAX_RETRIES = 2  # the SDK retries 429/529/5xx and connection errors itself; the engine retries after that


@dataclass(frozen=True)
class LLMConfig:
    api_key: str
    base_url: str | None = None
    model: str = "claude-sonnet-4-5"
    judge_model: str = "claude-haiku-4-5"
    fetch_allow: AllowList = field(default_factory=AllowList)
    prices: PriceTable = field(default_factory=PriceTable)
    max_turns: int = 10
    max_tokens: int = 4096
    judge_max_tokens: int = 1024
    # Per API request; the run's own timeout (enforced by the engine) bounds the whole run.
    request_timeout_s: float = 120.0
    max_retries: int = SDK_MAX_RETRIES


class LLM:
    """An AsyncAnthropic client with the price table that accounts for its calls."""

    def __init__(self, config: LLMConfig, client: anthropic.AsyncAnthropic | None = None) -> None:
        self.config = config
        self.client = client or anthropic.AsyncAnthropic(
            api_key=config.api_key, base_url=config.base_url, max_retries=config.max_retries,
            timeout=config.request_timeout_s)
        self.on_usage: Callable[[str, Usage], None] | None = None  # each call's model and usage (metrics)

    async def create(self, usage: Usage, *, model: str, **params: Any) -> Any:
        """One Messages API call; its tokens and cost are added to `usage` (SDK errors propagate)."""
        reply = await self.client.messages.create(model=model, **params)
        call = Usage()
        self.config.prices.add(call, model, reply.usage)
        usage.merge(call)
        if self.on_usage is not None:
            self.on_usage(model, call)
        return reply

    async def close(self) -> None:
        await self.client.close()


def api_error(exc: anthropic.AnthropicError) -> tuple[str, bool]:
    """(error text for the run, retryable?) for an SDK error that survived the SDK's own retries."""
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        retryable = status in (408, 409, 429) or status >= 500
        detail = _detail(exc)
        return f"LLM API error {status}{': ' + detail if detail else ''}", retryable
    if isinstance(exc, anthropic.APITimeoutError):
        return "LLM API request timed out", True
    if isinstance(exc, anthropic.APIConnectionError):
        return "cannot reach the LLM API (check ANTHROPIC_BASE_URL and the network)", True
    return f"LLM client error: {type(exc).__name__}", False


def _detail(exc: anthropic.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"][:300]
    return ""
