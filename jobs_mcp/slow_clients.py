"""A deadline for reading each HTTP request, so slow clients cannot hold connections open.

uvicorn closes a kept-alive connection that idles `timeout_keep_alive` after a
response, but bounds nothing else: a client that connects and never sends, or
sends its headers a byte at a time (slowloris), or its body, keeps the
connection as long as it likes. This protocol is uvicorn's h11 protocol with
one more timer: a client has `read_timeout_s` to deliver a whole request, head
and body, counted from the connection (for the first request) or from the
request's first byte (for the next ones; the idle time before that byte is
the keep-alive's). Dribbling bytes does not extend it. When it runs out the
connection is closed; a request already handed to the application sees a
disconnect. Responses are not bounded: an SSE stream stays open as long as the
client reads it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

# h11 states of the client's side in which we are still waiting for (part of) its request.
_READING = (h11.IDLE, h11.SEND_BODY)


class DeadlineH11Protocol(H11Protocol):
    read_timeout_s: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._read_deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._start_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state in _READING:
            self._start_deadline()
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state not in _READING:
            self._stop_deadline()  # the whole request is in

    def _start_deadline(self) -> None:
        """A running deadline is never restarted: more bytes do not buy more time."""
        if self._read_deadline is None and not self.transport.is_closing():
            self._read_deadline = self.loop.call_later(self.read_timeout_s, self._expire)

    def _stop_deadline(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _expire(self) -> None:
        self._read_deadline = None
        if not self.transport.is_closing():
            log.debug("closing the connection of %s: no complete request within %s s", self.client,
                      self.read_timeout_s)
            self.transport.close()


def with_read_timeout(read_timeout_s: float) -> type[DeadlineH11Protocol]:
    """The protocol class to give uvicorn (`uvicorn.Config(http=...)`)."""
    attributes: dict[str, Any] = {"read_timeout_s": read_timeout_s}
    return type("DeadlineH11Protocol", (DeadlineH11Protocol,), attributes)
