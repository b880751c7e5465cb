"""What a run's tokens cost: a price table per model, in USD per million tokens.

The Messages API reports four counts per call: `input_tokens` (uncached
input), `output_tokens`, `cache_creation_input_tokens` (written to the prompt
cache) and `cache_read_input_tokens`. Each has its own price. The defaults are
list prices; `JOBS_MCP_PRICES_FILE` (JSON, see `PriceTable.from_json`) adds or
replaces models, e.g. for a compatible endpoint with its own model names.
A model missing from the table costs 0 and is logged once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scheduler.engine.actions import Usage

log = logging.getLogger(__name__)
PER_TOKEN = 1 / 1_000_000


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float
    cache_write: float
    cache_read: float


DEFAULT_PRICES: dict[str, Price] = {
    "claude-opus-4-6": Price(5.0, 25.0, 6.25, 0.50),
    "claude-opus-4-5": Price(5.0, 25.0, 6.25, 0.50),
    "claude-opus-4-1": Price(15.0, 75.0, 18.75, 1.50),
    "claude-opus-4": Price(15.0, 75.0, 18.75, 1.50),
    "claude-sonnet-4-6": Price(3.0, 15.0, 3.75, 0.30),
    "claude-sonnet-4-5": Price(3.0, 15.0, 3.75, 0.30),
    "claude-sonnet-4": Price(3.0, 15.0, 3.75, 0.30),
    "claude-3-7-sonnet": Price(3.0, 15.0, 3.75, 0.30),
    "claude-haiku-4-5": Price(1.0, 5.0, 1.25, 0.10),
    "claude-3-5-haiku": Price(0.80, 4.0, 1.0, 0.08),
}


@dataclass(frozen=True)
class PriceTable:
    prices: Mapping[str, Price] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    _unknown_logged: set[str] = field(default_factory=set, compare=False)

    @classmethod
    def from_json(cls, text: str) -> PriceTable:
        """`{"model": {"input": 3, "output": 15, "cache_write": 3.75, "cache_read": 0.3}, ...}` over the defaults.

        Raises ValueError naming the model and field that is not a non-negative number.
        """
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object of model name -> prices")
        prices = dict(DEFAULT_PRICES)
        for model, entry in data.items():
            prices[str(model)] = _price(str(model), entry)
        return cls(prices)

    def price_of(self, model: str) -> Price | None:
        """Exact name first, then the longest listed prefix (dated names such as claude-sonnet-4-5-20250929)."""
        if model in self.prices:
            return self.prices[model]
        matches = [name for name in self.prices if model.startswith(name)]
        return self.prices[max(matches, key=len)] if matches else None

    def add(self, usage: Usage, model: str, api_usage: Any) -> None:
        """Add one API call's usage (the SDK's `message.usage`) to `usage`, with its cost."""
        tokens_in = int(getattr(api_usage, "input_tokens", 0) or 0)
        tokens_out = int(getattr(api_usage, "output_tokens", 0) or 0)
        cache_write = int(getattr(api_usage, "cache_creation_input_tokens", 0) or 0)
        cache_read = int(getattr(api_usage, "cache_read_input_tokens", 0) or 0)
        usage.tokens_in += tokens_in
        usage.tokens_out += tokens_out
        usage.cache_write_tokens += cache_write
        usage.cache_read_tokens += cache_read
        price = self.price_of(model)
        if price is None:
            if model not in self._unknown_logged:
                self._unknown_logged.add(model)
                log.warning("no price for model %s: its runs are recorded at cost 0 (set JOBS_MCP_PRICES_FILE)",
                            model)
            return
        usage.cost_usd += PER_TOKEN * (tokens_in * price.input + tokens_out * price.output
                                       + cache_write * price.cache_write + cache_read * price.cache_read)


def _price(model: str, entry: object) -> Price:
    if not isinstance(entry, dict):
        raise ValueError(f"{model}: expected an object with input, output, cache_write, cache_read")
    values: dict[str, float] = {}
    for key in ("input", "output", "cache_write", "cache_read"):
        value = entry.get(key, 0.0 if key.startswith("cache") else None)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{model}.{key}: expected a non-negative number (USD per million tokens)")
        values[key] = float(value)
    return Price(**values)
