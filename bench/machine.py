"""The machine a benchmark ran on, in one line: cores, load average, and a pure-Python reference.

Machines of the same 2-core kind have run the same code up to three times slower from one session
to the next (the unchanged server's start-up took 0.83 s one evening and 2.4 s on another
machine), so a figure says little without the speed it was taken at. The reference is the best
of three runs of a fixed loop of Python additions: the interpreter's speed, which is what bounds
the engine, the tool path and the lane. Compare figures only between runs whose references agree.
"""

from __future__ import annotations

import os
import time

STEPS = 3_000_000


def reference_ms() -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for step in range(STEPS):
            total += step
        best = min(best, time.perf_counter() - start)
    return best * 1000


def line() -> str:
    return (f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, reference loop "
            f"{reference_ms():.0f} ms ({STEPS:,} Python additions, best of 3; lower is faster)")


if __name__ == "__main__":
    print(line())
