"""Real receivers for channel tests: a json:// HTTP receiver that can be told to fail, an MQTT subscriber
on the local Mosquitto broker, and an SMTP server (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.http import free_port, serve_in_thread

MQTT_HOST, MQTT_PORT = "127.0.0.1", 1883


@dataclass
class JsonReceiver:
    fail_with: list[int] = field(default_factory=list)  # statuses to answer first, in order
    calls: list[dict[str, Any]] = field(default_factory=list)
    base: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [c["body"] for c in self.calls if c["status"] == 200]

    def url(self, credentials: str = "") -> str:
        """The json:// channel URL of this receiver (credentials: 'user:password@')."""
        return "json://" + credentials + self.base.removeprefix("http://") + "/push"

    async def handle(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        with self.lock:
            status = self.fail_with.pop(0) if self.fail_with else 200
            self.calls.append({"status": status, "body": body, "auth": request.headers.get("authorization")})
        return JSONResponse({"ok": status == 200}, status_code=status)


@contextmanager
def json_receiver(fail_with: list[int] | None = None, host: str = "127.0.0.1",
                  port: int | None = None) -> Iterator[JsonReceiver]:
    receiver = JsonReceiver(fail_with=list(fail_with or []))
    with serve_in_thread(Starlette(routes=[Route("/push", receiver.handle, methods=["POST"])]), host, port) as base:
        receiver.base = base
        yield receiver


@contextmanager
def mqtt_subscriber() -> Iterator[tuple[str, queue.Queue[tuple[str, bytes]]]]:
    """A real paho-mqtt subscriber on a fresh topic of the local broker: yields (topic, received queue)."""
    import paho.mqtt.client as mqtt

    topic = f"jobs-mcp-test/{uuid.uuid4().hex}"
    received: queue.Queue[tuple[str, bytes]] = queue.Queue()
    subscribed = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.on_message = lambda _c, _u, msg: received.put((msg.topic, msg.payload))
    client.on_subscribe = lambda *_args: subscribed.set()
    client.connect(MQTT_HOST, MQTT_PORT)
    client.subscribe(topic, qos=1)
    client.loop_start()
    try:
        if not subscribed.wait(10):
            raise RuntimeError("the MQTT subscription was not acknowledged")
        yield topic, received
    finally:
        client.loop_stop()
        client.disconnect()


@contextmanager
def smtp_server() -> Iterator[tuple[int, list[Any]]]:
    """aiosmtpd on a free loopback port; yields (port, the messages received as email.message objects)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    messages: list[Any] = []

    class Keep(Message):
        def handle_message(self, message: Any) -> None:
            messages.append(message)

    port = free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, messages
    finally:
        controller.stop()
