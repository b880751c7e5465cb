"""The cyclic garbage collector paused for one reminder batch.

A batch of 1,000 reminders builds some 30 container objects per reminder (the read rows, their
plans, the run, event and message rows) that all stay alive until the batch commits, and frees
them together. Every young collection during the batch therefore finds them alive and moves them
to an older generation, where they trigger older collections that free nothing either. Nothing a
batch builds forms a reference cycle that reference counting would not free, so pausing the
collector for the batch loses nothing; the next allocations after it resume the usual schedule.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """gc off for the block, then back to what it was (a start that runs with it off keeps it off)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
