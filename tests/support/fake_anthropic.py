"""A fake Anthropic Messages API on loopback: scripted replies, every request recorded.

The real `anthropic.AsyncAnthropic(base_url=...)` talks to it. A script step is
a reply body (dict), a callable(request body) -> reply body, an `Status` (an
HTTP error with headers), or `HANG` (the request never answers until the
server stops). With the script empty, `default` answers (a 500 by default, so
an unexpected extra call fails loudly).

The same app serves test pages for http_fetch under /pages/.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

_ids = itertools.count(1)


@dataclass(frozen=True)
class Status:
    code: int
    headers: dict[str, str] = field(default_factory=lambda: {"retry-after-ms": "1"})
    message: str = "scripted error"


HANG = "hang"
Step = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] | Status | str


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def tool_use(name: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": f"toolu_{next(_ids):04d}", "name": name, "input": tool_input}


def reply(*blocks: dict[str, Any], tokens_in: int = 100, tokens_out: int = 20, cache_write: int = 0,
          cache_read: int = 0) -> dict[str, Any]:
    uses = any(b["type"] == "tool_use" for b in blocks)
    return {"id": f"msg_{next(_ids):04d}", "type": "message", "role": "assistant", "model": "fake",
            "content": list(blocks), "stop_reason": "tool_use" if uses else "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out,
                      "cache_creation_input_tokens": cache_write, "cache_read_input_tokens": cache_read}}


def finish(summary: str, message: str, **usage: int) -> dict[str, Any]:
    return reply(tool_use("finish", {"summary": summary, "message": message}), **usage)


def verdict(job_id: str, value: str, *, notify: bool = True, message: str = "", reason: str = "scripted",
            **usage: int) -> dict[str, Any]:
    return reply(tool_use("record_verdict", {"job_id": job_id, "verdict": value, "reason": reason,
                                             "notify": notify, "message": message}), **usage)


def observation(job_id: str, met: bool, reason: str = "scripted") -> dict[str, Any]:
    return reply(tool_use("record_observation", {"job_id": job_id, "met": met, "reason": reason}))


class FakeMessagesAPI:
    def __init__(self) -> None:
        self.script: list[Step] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.default: Step = Status(500, message="no scripted reply left")
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.page_hits: list[str] = []
        self.release = threading.Event()  # set at teardown: hanging requests return
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/v1/messages", self._messages, methods=["POST"]),
                                     Route("/pages/{name:path}", self._page, methods=["GET"])])

    def add(self, *steps: Step) -> None:
        with self._lock:
            self.script.extend(steps)

    def page(self, name: str, body: str | bytes, *, status: int = 200, content_type: str = "text/html",
             headers: dict[str, str] | None = None) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.pages[name] = (status, {"content-type": content_type, **(headers or {})}, data)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return list(self.requests)

    async def _messages(self, request: Request) -> Response:
        body = json.loads(await request.body())
        with self._lock:
            self.requests.append(body)
            self.headers.append(dict(request.headers))
            step = self.script.pop(0) if self.script else self.default
        if step == HANG:
            await asyncio.to_thread(self.release.wait, 10)
            return JSONResponse({"type": "error", "error": {"type": "api_error", "message": "released"}}, 500)
        if isinstance(step, Status):
            error = {"type": "error", "error": {"type": "api_error", "message": step.message}}
            return JSONResponse(error, status_code=step.code, headers=step.headers)
        answer = step(body) if callable(step) else step
        return JSONResponse(answer)

    async def _page(self, request: Request) -> Response:
        name = request.path_params["name"]
        self.page_hits.append(name)
        if name not in self.pages:
            return Response("not found", status_code=404)
        status, headers, data = self.pages[name]
        return Response(data, status_code=status, headers=headers)


def offered(body: dict[str, Any]) -> list[str]:
    """The tool names a request offered the model."""
    return [tool["name"] for tool in body.get("tools", [])]


def call_if_offered(name: str, tool_input: dict[str, Any], **usage: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A step like a model's: it calls the tool `name` when the request offers it, else ends the turn saying so."""
    def step(body: dict[str, Any]) -> dict[str, Any]:
        if name in offered(body):
            return reply(tool_use(name, tool_input), **usage)
        return reply(text(f"I have no tool {name}."), **usage)

    return step


def end_turn(value: str, **usage: int) -> dict[str, Any]:
    """A final answer without a tool call (stop_reason end_turn)."""
    return reply(text(value), **usage)
