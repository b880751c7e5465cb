"""The encoder, loaded once in a background thread so the server answers at once.

Only a semantic search that arrives before the load finishes waits for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from scheduler.search.encoder import Encoder
from store.errors import JobsError

log = logging.getLogger(__name__)


class ModelUnavailable(JobsError):
    """The encoder could not be loaded (or not in time); semantic search falls back to keywords."""


class ModelHandle:
    def __init__(self, load: Callable[[], Encoder]) -> None:
        self._load = load
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._encoder: Encoder | None = None
        self._error: BaseException | None = None

    def start(self) -> None:
        """Begin loading in a daemon thread (idempotent): a slow load never holds up shutdown."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="jobs-mcp-encoder-load", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        try:
            self._encoder = self._load()
            log.info("encoder ready", extra={"model": self._encoder.name})
        except BaseException as exc:  # noqa: BLE001  (reported to every caller of get())
            log.exception("encoder failed to load")
            self._error = exc
        finally:
            self._ready.set()

    def wait(self, timeout_s: float) -> bool:
        """True once the load has finished (successfully or not)."""
        return self._ready.wait(timeout_s)

    @property
    def failed(self) -> bool:
        """The load finished without an encoder: semantic search is off, keyword search still works."""
        return self._ready.is_set() and self._encoder is None

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self._encoder is not None

    def get(self, timeout_s: float = 120.0) -> Encoder:
        """The encoder, waiting up to `timeout_s` for the load; raises ModelUnavailable."""
        self.start()
        if not self._ready.wait(timeout_s):
            raise ModelUnavailable("the search model is still loading")
        if self._encoder is None:
            raise ModelUnavailable("the search model could not be loaded") from self._error
        return self._encoder
