"""A webhook receiver on loopback that checks signatures with its own HMAC code and can be told to fail."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.http import serve_in_thread


@dataclass
class Receiver:
    secret: str
    fail_with: list[int] = field(default_factory=list)  # statuses to answer first, in order
    calls: list[dict[str, Any]] = field(default_factory=list)
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)  # delivery id -> body
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def verify(self, timestamp: str, body: bytes, header: str) -> bool:
        # Written from docs/design.md §7, independently of scheduler/delivery/webhooks.py.
        expected = hmac.new(self.secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body,
                            hashlib.sha256).hexdigest()
        return hmac.compare_digest("sha256=" + expected, header)

    async def handle(self, request: Request) -> JSONResponse:
        body = await request.body()
        delivery = request.headers.get("x-jobs-delivery", "")
        signed = self.verify(request.headers.get("x-jobs-timestamp", ""), body,
                             request.headers.get("x-jobs-signature", ""))
        with self.lock:
            status = self.fail_with.pop(0) if self.fail_with else 200
            self.calls.append({"delivery": delivery, "status": status, "signed": signed, "body": json.loads(body)})
            if status == 200 and signed:
                self.accepted.setdefault(delivery, json.loads(body))
        if not signed:
            return JSONResponse({"error": "bad signature"}, status_code=401)
        return JSONResponse({"ok": status == 200}, status_code=status)


@contextmanager
def running_receiver(secret: str, fail_with: list[int] | None = None, port: int | None = None) -> Iterator[Receiver]:
    receiver = Receiver(secret=secret, fail_with=list(fail_with or []))
    app = Starlette(routes=[Route("/hook", receiver.handle, methods=["POST"])])
    with serve_in_thread(app, port=port) as base:
        receiver.url = base + "/hook"
        yield receiver
