"""`python -m scheduler.search.export_model MODEL_DIR CACHE_DIR`: the ONNX export, in its own process.

The server starts this once (scheduler.search.encoder.export_onnx) so torch is loaded,
and its warnings printed, only here; the process exits and gives its memory back.
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

from scheduler.search.encoder import export_in_this_process


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m scheduler.search.export_model MODEL_DIR CACHE_DIR", file=sys.stderr)
        return 2
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.ERROR)
    export_in_this_process(Path(argv[0]), Path(argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
