"""Backoff between attempts at one fire: exponential, capped, with jitter.

Jitter spreads the retries of many jobs that failed together (an API outage)
so they do not come back as one wave. The random source is injectable so
tests get exact delays.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 30.0
    cap_s: float = 3600.0
    # Returns a float in [0, 1); the delay is scaled by 0.5 + that, i.e. +/- 50 %.
    random: Callable[[], float] = field(default=random.random)

    def delay_s(self, failed_attempts: int) -> float:
        """Seconds to wait after the `failed_attempts`-th failure at one fire (1 for the first)."""
        exponent = max(failed_attempts - 1, 0)
        raw = min(self.cap_s, self.base_s * (2 ** min(exponent, 30)))
        return raw * (0.5 + self.random())
