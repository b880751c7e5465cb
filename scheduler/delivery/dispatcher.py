"""Sends webhook deliveries: claims due ones with leases, posts them, records each attempt.

`dispatch_once(now)` is one pass (tests call it with a fake clock); `start()`
runs passes in the background, waking at the next due attempt or when the
engine wrote new rows. One delivery is its own business: a payload that cannot
be built, a request the client refuses or a result the store refuses fails that
delivery alone, never the pass.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from scheduler.clock import Clock
from scheduler.delivery.loop import DispatchLoop
from scheduler.delivery.webhooks import TIMEOUT_S, AttemptResult, attempt, next_attempt_at, request_parts
from scheduler.net_guard import AllowList, guarded_client
from store.models import Delivery
from store.outbox import DELIVERED, FAILED, PENDING, AttemptOutcome, DeliveryStore
from store.row_faults import fault_text, is_row_fault

log = logging.getLogger(__name__)
BATCH = 50
LEASE_S = TIMEOUT_S * 3


class WebhookDispatcher(DispatchLoop):
    name = "webhook-dispatcher"

    def __init__(self, store: DeliveryStore, clock: Clock, allow: AllowList, worker: str) -> None:
        super().__init__()
        self.store = store
        self.clock = clock
        self.allow = allow
        self.worker = worker

    def next_due(self) -> datetime | None:
        return self.store.next_due()

    async def dispatch_once(self, now: datetime | None = None) -> int:
        """Claim and send every due delivery; returns how many attempts were made."""
        now = now or self.clock.now()
        claimed = await asyncio.to_thread(self.store.claim_webhooks, now, self.worker, BATCH, LEASE_S)
        if not claimed:
            return 0
        targets = await asyncio.to_thread(self.store.webhook_targets, sorted({d.job_id for d in claimed}))
        times = await asyncio.to_thread(self.store.run_times, [d.run_id for d in claimed if d.run_id])
        async with guarded_client(self.allow, TIMEOUT_S) as client:
            results = await asyncio.gather(*(self._send(client, d, targets, times, now) for d in claimed))
        settled_at = self.clock.now()  # the attempts' end: one instant for the one write that records them
        outcomes = [self._outcome(d, r, settled_at) for d, r in zip(claimed, results, strict=True)]
        await asyncio.to_thread(self.store.settle_attempts, self.worker, settled_at, outcomes)
        return len(claimed)

    async def _send(self, client: object, delivery: Delivery, targets: dict[str, tuple[str | None, str | None]],
                    times: dict[str, tuple[datetime | None, datetime | None]], now: datetime) -> AttemptResult:
        url, secret = targets.get(delivery.job_id, (None, None))
        if not url or not secret:
            return AttemptResult(False, retry=False, error="the job no longer has a webhook_url and webhook_secret")
        try:
            body, headers = request_parts(delivery.id, _payload(delivery, times), secret, now)
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            return AttemptResult(False, retry=False, error=f"the stored delivery cannot be sent ({fault_text(exc)})")
        try:
            return await attempt(client, url, body, headers, self.allow)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001  (a request the client refuses fails this delivery, not the pass)
            return AttemptResult(False, retry=True, error=f"the request could not be made ({fault_text(exc)})")

    def _outcome(self, delivery: Delivery, result: AttemptResult, now: datetime) -> AttemptOutcome:
        if result.delivered:
            return AttemptOutcome(delivery.id, DELIVERED)
        error = result.error
        try:
            when = next_attempt_at(delivery.attempts, delivery.created_at, now) if result.retry else None
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            when, error = None, f"{error}; no retry: the stored delivery is damaged ({fault_text(exc)})"
        if when is not None:
            log.info("webhook delivery %s failed, retry at %s: %s", delivery.id, when.isoformat(), error,
                     extra={"job_id": delivery.job_id, "run_id": delivery.run_id, "delivery_id": delivery.id})
            return AttemptOutcome(delivery.id, PENDING, error, when)
        log.warning("webhook delivery %s failed for good: %s", delivery.id, error,
                    extra={"job_id": delivery.job_id, "run_id": delivery.run_id, "delivery_id": delivery.id})
        return AttemptOutcome(delivery.id, FAILED, error)


def _payload(delivery: Delivery, times: dict[str, tuple[datetime | None, datetime | None]]) -> dict[str, object]:
    started, finished = times.get(delivery.run_id or "", (None, None))
    return {**delivery.payload, "delivery_id": delivery.id, "attempt": delivery.attempts,
            "started_at": started.isoformat() if started else None,
            "finished_at": (finished.isoformat() if finished else delivery.payload.get("finished_at")),
            "duration_s": round((finished - started).total_seconds(), 3) if started and finished else None}
