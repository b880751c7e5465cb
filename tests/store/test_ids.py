"""Ids: prefixed random hex from the OS's CSPRNG, read in blocks; never repeated, also across threads."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from store.ids import new_job_id, new_run_id, random_hex


def test_ids_have_their_prefix_and_length() -> None:
    assert re.fullmatch(r"job_[0-9a-f]{12}", new_job_id())
    assert re.fullmatch(r"run_[0-9a-f]{16}", new_run_id())
    assert len(random_hex(5000)) == 10_000  # more than one block at once


def test_ids_never_repeat_within_or_across_threads() -> None:
    with ThreadPoolExecutor(4) as pool:
        batches = list(pool.map(lambda _: [new_run_id() for _ in range(5_000)], range(8)))
    ids = [run_id for batch in batches for run_id in batch]
    assert len(set(ids)) == len(ids) == 40_000
