"""From the fire time to the message at an MQTT subscriber: N reminders pushed through an mqtt:// channel.

One real `jobs-mcp serve` process (the production runtime with the engine loop and the channel
dispatcher; tests/support/engine_server.py) on a SQLite file or on PostgreSQL; N ONE_OFF notify
reminders, each with the channel `mqtt://127.0.0.1:1883/<topic>`, written into the database before
the node starts, due one after another over SPREAD seconds. A paho-mqtt subscriber on the local
Mosquitto broker notes when each message arrives; latency = arrival minus the reminder's fire time.
Prints p50, p99 and max, and how many never arrived. Goal: p99 under 1 s on one node.

    .venv/bin/python bench/channel_latency.py [--reminders 1000] [--spread 20] [--db sqlite|postgres]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import machine
from engine_common import database, open_store, percentile
from sqlalchemy import text

from store.enums import JobStatus
from store.ids import new_job_id
from store.models import Job, JobEvent
from store.repository import JobRepository
from tests.support.nodes import start_node

START_IN_S = 30.0  # the node is up and idle before the first fire (the margin is printed)
DRAIN_S = 60.0  # after the last fire: what has not arrived by then counts as lost


def insert(repo: JobRepository, fires: list[datetime], channel: str) -> None:
    now = datetime.now(UTC)
    jobs = [Job(id=new_job_id(), owner="bench", title=f"reminder {n}", instructions=f"reminder {n}",
                job_type="ONE_OFF", action="notify", run_at=fire, timezone="UTC", status=JobStatus.ACTIVE.value,
                next_run_at=fire, created_at=now, updated_at=now, channels=[channel]) for n, fire in enumerate(fires)]
    with repo.write() as session:
        session.add_all(jobs)
        session.add_all([JobEvent(job_id=j.id, owner="bench", at=now, to_status=j.status, actor="bench") for j in jobs])


def subscribe(topic: str, arrivals: dict[int, float]) -> object:
    import paho.mqtt.client as mqtt

    ready = threading.Event()

    def on_message(_client: object, _userdata: object, message: mqtt.MQTTMessage) -> None:
        at = time.time()
        text = message.payload.decode(errors="replace")
        for word in text.split():
            if word.isdigit():
                arrivals.setdefault(int(word), at)
                break

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.on_message = on_message
    client.on_subscribe = lambda *_args: ready.set()
    client.connect("127.0.0.1", 1883)
    client.subscribe(topic, qos=1)
    client.loop_start()
    if not ready.wait(10):
        raise RuntimeError("the MQTT subscription was not acknowledged")
    return client


def run(count: int, spread_s: float, kind: str) -> None:
    topic = f"jobs-mcp-bench/{uuid.uuid4().hex}"
    arrivals: dict[int, float] = {}
    client = subscribe(topic, arrivals)
    with database(kind) as url, tempfile.TemporaryDirectory() as logs:
        _engine, repo = open_store(url)
        base = datetime.now(UTC) + timedelta(seconds=START_IN_S)
        fires = [base + timedelta(seconds=spread_s * n / max(count - 1, 1)) for n in range(count)]
        insert(repo, fires, f"mqtt://127.0.0.1:1883/{topic}?qos=1")
        node = start_node(url, Path(logs), name="bench", env={"JOBS_MCP_FETCH_ALLOW": "127.0.0.1"})
        margin = fires[0].timestamp() - time.time()
        print(f"  the node listened {margin:.1f} s before the first fire")
        try:
            deadline = time.time() + START_IN_S + spread_s + DRAIN_S
            while len(arrivals) < count and time.time() < deadline:
                time.sleep(0.2)
        finally:
            node.kill()
        split = _split(_engine, {f"reminder {n}": fire for n, fire in enumerate(fires)})
    client.loop_stop()  # type: ignore[attr-defined]
    late_ms = sorted((arrivals[n] - fires[n].timestamp()) * 1000 for n in arrivals if n < count)
    lost = count - len(late_ms)
    print(f"  {kind:<8} {count} reminders over {spread_s:g} s: fire -> MQTT subscriber p50 "
          f"{percentile(late_ms, 0.5):7.1f} ms, p99 {percentile(late_ms, 0.99):7.1f} ms, max {max(late_ms):7.1f} ms"
          + (f"; {lost} never arrived" if lost else "; all arrived"))
    written, pushed = split
    if written:
        print(f"  {'':<8} of which fire -> message written p50 {percentile(written, 0.5):7.1f} ms, p99 "
              f"{percentile(written, 0.99):7.1f} ms; written -> push delivered p50 {percentile(pushed, 0.5):7.1f} ms, "
              f"p99 {percentile(pushed, 0.99):7.1f} ms")


def _split(engine: Any, fires: dict[str, datetime]) -> tuple[list[float], list[float]]:
    """Per channel delivery: fire -> row written (the engine), written -> delivered (the dispatcher)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT title, created_at, delivered_at FROM deliveries WHERE kind = 'channel' "
                                 "AND delivered_at IS NOT NULL")).all()
    written, pushed = [], []
    for title, created, delivered in rows:
        created, delivered = _utc(created), _utc(delivered)
        if title in fires:
            written.append((created - fires[title]).total_seconds() * 1000)
            pushed.append((delivered - created).total_seconds() * 1000)
    return written, pushed


def _utc(value: Any) -> datetime:
    value = datetime.fromisoformat(value) if isinstance(value, str) else value
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=20.0, help="seconds the fires are spread over")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(f"channel latency ({os.cpu_count()} CPUs):")
    run(args.reminders, args.spread, args.db)


if __name__ == "__main__":
    main()
    print(machine.line())
