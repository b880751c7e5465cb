"""Wiring of search into the server: the encoder loads in the background once the server starts.

The server answers tool calls at once; only a semantic search that comes before the
model finishes loading waits for it. The loaded model is shared by every server in the
process (tests build many), because loading it costs seconds and hundreds of MB.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import anyio.to_thread
import platformdirs

from jobs_mcp.state import AppState
from scheduler.search.embedder import Embedder
from scheduler.search.encoder import DIMENSIONS, Encoder, load_encoder
from scheduler.search.model import ModelHandle
from scheduler.search.service import SearchService
from scheduler.search.vectors import VectorIndex
from store.embeddings import EmbeddingStore
from store.search_keyword import KeywordSearch

SEARCH_KEY = "search"
_models: dict[tuple[str, str], ModelHandle] = {}
_models_lock = threading.Lock()


def model_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("jobs-mcp")) / "models"


def shared_model(backend: str = "onnx", cache_dir: Path | None = None) -> ModelHandle:
    """The process-wide handle for `backend`; created (not started) on first use."""
    directory = cache_dir or model_cache_dir()
    key = (backend, str(directory))
    with _models_lock:
        if key not in _models:
            def load() -> Encoder:
                # The model comes from the installed package; the hub must never be asked.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                return load_encoder(backend, directory)

            _models[key] = ModelHandle(load)
        return _models[key]


class SearchLifecycle:
    """Starts the model load and the embedder with the server; stops the embedder with it."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    async def start(self) -> None:
        self.embedder.model.start()
        self.embedder.start()

    async def stop(self) -> None:
        await anyio.to_thread.run_sync(self.embedder.stop)


def install_search(state: AppState, model: ModelHandle | None = None) -> SearchService:
    """Build the search service into `state`: listener, tools and lifecycle."""
    from jobs_mcp.tools_search import register_search_tools

    embedder = Embedder(EmbeddingStore(state.engine), model or shared_model(), VectorIndex(DIMENSIONS))
    search = SearchService(state.repo, KeywordSearch(state.engine), embedder)
    state.service.add_listener(embedder.notify)
    state.extras[SEARCH_KEY] = search
    state.extras.setdefault("tool_registrars", []).append(register_search_tools)
    state.extras.setdefault("lifecycle", []).append(("search", SearchLifecycle(embedder)))
    return search
