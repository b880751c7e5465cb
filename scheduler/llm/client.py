"""The LLM connection shared by the agent action and job_observe_chat: one SDK client per server.

`LLMConfig` is what the pipeline needs from configuration (built at the edge
from `jobs_mcp.config.Settings`; nothing here reads the environment).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scheduler.engine.actions import Usage
from scheduler.llm.pricing import PriceTable
from scheduler.net_guard import AllowList

if TYPE_CHECKING:
    import anthropic

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


def sdk_error() -> type[Exception]:
    """The SDK's base error class. Importing the SDK takes over a second, more than the server needs to
    answer its first tool call, so it is imported when first needed (or by `LLM.warm` after start)."""
    import anthropic

    return anthropic.AnthropicError


class LLM:
    """An AsyncAnthropic client (made on first use) with the price table that accounts for its calls."""

    def __init__(self, config: LLMConfig, client: anthropic.AsyncAnthropic | None = None) -> None:
        self.config = config
        self._client = client
        self._client_lock = threading.Lock()
        self.on_usage: Callable[[str, Usage], None] | None = None  # each call's model and usage (metrics)

    @property
    def client(self) -> anthropic.AsyncAnthropic:
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    import anthropic

                    self._client = anthropic.AsyncAnthropic(
                        api_key=self.config.api_key, base_url=self.config.base_url,
                        max_retries=self.config.max_retries, timeout=self.config.request_timeout_s)
        return self._client

    def warm(self) -> None:
        """Import the SDK and make the client now (a background thread after start), so the first run
        does not wait for it."""
        _ = self.client

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
        if self._client is not None:
            await self._client.close()


def api_error(exc: anthropic.AnthropicError) -> tuple[str, bool]:
    """(error text for the run, retryable?) for an SDK error that survived the SDK's own retries."""
    import anthropic

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
