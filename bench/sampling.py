"""py-spy sampling of a server process into collapsed stacks, for `bench/profile_hops.py`.

py-spy is not a project dependency: `.venv/bin/python -m pip install py-spy` to use the
benchmarks' `--profile` options. By default every thread that is not idle is sampled (so
time in SQLite, which releases the GIL, is seen); with `gil=True` only the thread holding
the GIL, which charges pure Python CPU exactly but hides time spent waiting for the GIL.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RATE_HZ = 200


@contextmanager
def sampled(pids: list[int], outputs: list[Path], *, gil: bool = False) -> Iterator[None]:
    """Sample each pid into its output file while the block runs (nothing if `outputs` is empty)."""
    binary = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    for out in outputs:
        out.parent.mkdir(parents=True, exist_ok=True)
    samplers = [subprocess.Popen([binary, "record", "--pid", str(pid), "--format", "raw", "--rate", str(RATE_HZ),
                                  "--output", str(out), *(["--gil"] if gil else [])],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for pid, out in zip(pids, outputs, strict=True)]
    try:
        yield
    finally:
        for sampler in samplers:
            sampler.send_signal(signal.SIGINT)
            sampler.wait()
