"""Sends channel deliveries (Apprise URLs): claims due ones with leases, pushes each, records each attempt.

Each channel is its own delivery row with its own attempts, so one channel that is down or slow
never holds back another: Apprise is synchronous, so every push runs on a worker thread of its
own with a time limit, and a pass waits for all of them together. Retries and the 24-hour dead
letter are the webhooks' (scheduler/delivery/webhooks.py). A push that times out is retried: the
service may have taken it, so a slow service can show a message twice; a node that dies mid-push
loses its lease and the row is pushed again (at least once, never lost, as for webhooks).

The message is the run's message as plain text, cut to the service's own limit (`body_maxlen`),
titled with the job's title (scheduler/store `push_title`). Errors are recorded and logged with the
channel's secrets scrubbed (scheduler/channel_urls.py): no tool answer or log line shows them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from scheduler.channel_urls import SCRUB, check_hosts, mask, scrub, service_of, supported_schemes
from scheduler.clock import Clock
from scheduler.delivery.loop import DispatchLoop
from scheduler.delivery.webhooks import next_attempt_at
from scheduler.net_guard import AllowList, FetchRefused
from scheduler.pinned_dns import pinned
from store.models import Delivery
from store.outbox import CHANNEL, DELIVERED, FAILED, PENDING, AttemptOutcome, DeliveryStore
from store.row_faults import fault_text, is_row_fault

log = logging.getLogger(__name__)
BATCH = 50
SEND_TIMEOUT_S = 20.0  # one push, all of it; Apprise's own connect/read timeouts are shorter
LEASE_S = SEND_TIMEOUT_S * 3
WORKERS = 16
ERROR_MAX = 500
MQTT_POLL_S = 0.01


@dataclass(frozen=True)
class PushResult:
    delivered: bool
    retry: bool
    error: str | None = None


def cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, the cut marked with an ellipsis."""
    if limit <= 0 or len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"


class KeptServices:
    """MQTT services kept between pushes, one per URL: the plugin keeps its client connected, so a push is
    a publish instead of a connect, publish and disconnect. Each is used by one push at a time; one that
    failed is dropped, so the next attempt starts afresh. Other services are made per push (they speak
    HTTP, and a kept one would be slowed by Apprise's own per-object throttle)."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[str, tuple[object, threading.Lock]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, url: str) -> tuple[object, threading.Lock] | None:
        with self._lock:
            item = self._items.get(url)
            if item is not None:
                self._items.move_to_end(url)
            return item

    def keep(self, url: str, service: object) -> tuple[object, threading.Lock]:
        with self._lock:
            item = self._items.setdefault(url, (service, threading.Lock()))
            while len(self._items) > self._size:
                self._items.popitem(last=False)
            return item

    def drop(self, url: str) -> None:
        with self._lock:
            self._items.pop(url, None)


def _is_mqtt(service: object) -> bool:
    return hasattr(service, "mqtt_block_time_sec")


def push(url: str, title: str, body: str, allow: AllowList, kept: KeptServices | None = None) -> PushResult:
    """One push through Apprise (blocking). A refused or unreadable URL fails for good; anything the
    service or the network says is retried."""
    item = kept.get(url) if kept is not None else None
    try:
        if item is None:
            service = service_of(url)
            checked = check_hosts(service, allow)
            if _is_mqtt(service):
                # Apprise's MQTT plugin polls for the broker's acknowledgement every 200 ms, which alone
                # would be most of a push's time on a local broker; a 10 ms poll costs nothing. A kept
                # service skips Apprise's pause between two messages of one object.
                service.mqtt_block_time_sec = MQTT_POLL_S  # type: ignore[attr-defined]
                service.request_rate_per_sec = 0  # type: ignore[attr-defined]
                if kept is not None:
                    item = kept.keep(url, service)
        else:
            checked = check_hosts(item[0], allow)  # the guard holds at every attempt, kept or not
    except FetchRefused as exc:
        return PushResult(False, retry=False, error=scrub(str(exc), [url]))
    except ValueError as exc:
        return PushResult(False, retry=False, error=f"the channel URL cannot be used ({exc})")
    if item is None:
        with pinned(checked):  # Apprise connects to the addresses just checked, not to a fresh answer
            return _notify(url, service, title, body)
    with item[1], pinned(checked):
        result = _notify(url, item[0], title, body)
    if not result.delivered and kept is not None:
        kept.drop(url)
    return result


def _notify(url: str, service: object, title: str, body: str) -> PushResult:
    from apprise import Apprise, NotifyFormat

    sender = Apprise()
    sender.add(service)  # type: ignore[arg-type]
    limit = int(getattr(service, "body_maxlen", 0) or 0)
    title_limit = int(getattr(service, "title_maxlen", 0) or 0)
    if title_limit <= 0:  # the service has no title: it goes on the body's first line
        body, title = f"{title}\n{body}" if title else body, ""
    SCRUB.sending(url)
    try:
        result = sender.notify(body=cut(body, limit), title=cut(title, title_limit), body_format=NotifyFormat.TEXT)
        if bool(result):
            return PushResult(True, retry=False)
        return PushResult(False, retry=True, error=_why(result, url))
    except Exception as exc:  # noqa: BLE001  (a plugin's own failure is this channel's, not the pass's)
        return PushResult(False, retry=True, error=scrub(f"{type(exc).__name__}: {exc}", [url])[:ERROR_MAX])
    finally:
        SCRUB.done(url)


def _why(result: object, url: str) -> str:
    lines = []
    try:
        lines = [str(getattr(entry, "message", entry)) for entry in result.logs()]  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001  (the reason is a courtesy; the failure is recorded regardless)
        lines = []
    text = "; ".join(line for line in lines if line) or "the service did not accept the message"
    return scrub(text, [url])[-ERROR_MAX:]


class ChannelDispatcher(DispatchLoop):
    name = "channel-dispatcher"

    def __init__(self, store: DeliveryStore, clock: Clock, allow: AllowList, worker: str,
                 send_timeout_s: float = SEND_TIMEOUT_S) -> None:
        super().__init__()
        self.store = store
        self.clock = clock
        self.allow = allow
        self.worker = worker
        self.send_timeout_s = send_timeout_s
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="channel-push")
        self._kept = KeptServices()

    def next_due(self) -> datetime | None:
        return self.store.next_due(CHANNEL)

    @staticmethod
    def load_plugins() -> None:
        """Apprise loads its ~250 plugins on first use (about a second): the server calls this in the
        background after start (jobs_mcp/warmup.py), so the first reminder does not wait for them."""
        supported_schemes()

    async def stop(self) -> None:
        await super().stop()
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def dispatch_once(self, now: datetime | None = None) -> int:
        """Claim and push every due channel delivery; returns how many attempts were made."""
        now = now or self.clock.now()
        claimed = await asyncio.to_thread(self.store.claim, CHANNEL, now, self.worker, BATCH, LEASE_S)
        if not claimed:
            return 0
        results = await asyncio.gather(*(self._send(d) for d in claimed))
        settled_at = self.clock.now()
        outcomes = [self._outcome(d, r, settled_at) for d, r in zip(claimed, results, strict=True)]
        await asyncio.to_thread(self.store.settle_attempts, self.worker, settled_at, outcomes)
        return len(claimed)

    async def _send(self, delivery: Delivery) -> PushResult:
        url = delivery.target
        if not url:
            return PushResult(False, retry=False, error="the delivery has no channel URL")
        try:
            title = str((delivery.payload or {}).get("title") or delivery.title)
            body = str(delivery.message)
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            return PushResult(False, retry=False, error=f"the stored delivery cannot be sent ({fault_text(exc)})")
        loop = asyncio.get_running_loop()
        try:
            sent = loop.run_in_executor(self._pool, push, url, title, body, self.allow, self._kept)
            return await asyncio.wait_for(sent, timeout=self.send_timeout_s)
        except TimeoutError:
            return PushResult(False, retry=True, error=f"no answer within {self.send_timeout_s:g} s")

    def _outcome(self, delivery: Delivery, result: PushResult, now: datetime) -> AttemptOutcome:
        if result.delivered:
            return AttemptOutcome(delivery.id, DELIVERED)
        error = result.error
        when = next_attempt_at(delivery.attempts, delivery.created_at, now) if result.retry else None
        if when is not None:
            return AttemptOutcome(delivery.id, PENDING, error, when)
        log.warning("channel delivery %s to %s failed for good: %s", delivery.id, mask(delivery.target or ""), error,
                    extra={"job_id": delivery.job_id, "run_id": delivery.run_id})
        return AttemptOutcome(delivery.id, FAILED, error)
