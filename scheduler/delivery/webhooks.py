"""Webhook calls (docs/design.md §7): the signed request, one attempt, and the retry schedule.

`POST` JSON with `X-Jobs-Delivery` (receivers deduplicate on it),
`X-Jobs-Timestamp` (unix seconds) and `X-Jobs-Signature: sha256=<hex>` where
the hex is HMAC-SHA256 of "<timestamp>.<body>" with the job's webhook_secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from scheduler.net_guard import AllowList, FetchRefused, check_url

TIMEOUT_S = 10.0
# Delay before attempt 2, 3, ...; hourly after the list; give up 24 h after the first.
RETRY_DELAYS_S = (5, 15, 60, 300, 900)
HOURLY_S = 3600
GIVE_UP_AFTER = timedelta(hours=24)
RETRYABLE_STATUS = frozenset({408, 429}) | frozenset(range(500, 600))


@dataclass(frozen=True)
class AttemptResult:
    delivered: bool
    retry: bool  # False with delivered False: fail for good (a 4xx other than 408/429, a refused URL)
    error: str | None = None


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def request_parts(
    delivery_id: str, payload: dict[str, Any], secret: str, now: datetime
) -> tuple[bytes, dict[str, str]]:
    """The exact body and headers of one attempt (the timestamp is the attempt's own)."""
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "jobs-mcp-webhook/1",
        "X-Jobs-Delivery": delivery_id,
        "X-Jobs-Timestamp": str(timestamp),
        "X-Jobs-Signature": signature(secret, timestamp, body),
    }
    return body, headers


async def attempt(client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str],
                  allow: AllowList) -> AttemptResult:
    """One POST. 2xx delivers; 408, 429, 5xx and network errors retry; other answers fail for good."""
    try:
        await check_url(url, allow)
    except FetchRefused as exc:
        return AttemptResult(False, retry=False, error=str(exc))
    try:
        answer = await client.post(url, content=body, headers=headers)
    except httpx.InvalidURL as exc:  # not an HTTPError; check_url parses with the same parser, so a backstop
        return AttemptResult(False, retry=False, error=f"malformed URL: {exc}"[:500])
    except httpx.HTTPError as exc:
        return AttemptResult(False, retry=True, error=f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= answer.status_code < 300:
        return AttemptResult(True, retry=False)
    error = f"HTTP {answer.status_code}: {answer.text[:200]}"
    return AttemptResult(False, retry=answer.status_code in RETRYABLE_STATUS, error=error)


def next_attempt_at(attempts_made: int, first_created: datetime, now: datetime) -> datetime | None:
    """When to try again after `attempts_made` attempts, or None when 24 h are used up."""
    index = attempts_made - 1
    delay = RETRY_DELAYS_S[index] if index < len(RETRY_DELAYS_S) else HOURLY_S
    when = now + timedelta(seconds=delay)
    return when if when <= first_created + GIVE_UP_AFTER else None
