"""Identifiers: a readable prefix and random hex, so ids cannot be guessed or enumerated."""

import secrets


def new_job_id() -> str:
    return "job_" + secrets.token_hex(6)


def new_run_id() -> str:
    return "run_" + secrets.token_hex(8)
