"""Identifiers: a readable prefix and random hex, so ids cannot be guessed or enumerated."""

import os
import threading

# Random bytes from the OS's CSPRNG (what `secrets` uses), read 4 KiB at a time per thread: the
# engine makes thousands of run and delivery ids a second, and a system call per id cost more
# than the id's row on a loaded machine.
_POOL_BYTES = 4096
_pools = threading.local()


def random_hex(nbytes: int) -> str:
    """`nbytes` random bytes as hex, as `secrets.token_hex(nbytes)`."""
    pool: bytes = getattr(_pools, "pool", b"")
    if len(pool) < nbytes:
        pool = os.urandom(max(_POOL_BYTES, nbytes))
    _pools.pool = pool[nbytes:]
    return pool[:nbytes].hex()


def new_job_id() -> str:
    return "job_" + random_hex(6)


def new_run_id() -> str:
    return "run_" + random_hex(8)
