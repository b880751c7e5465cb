"""Builds the engine (poller, runner, loop) for a server and registers it in the lifespan.

The LLM pipeline plugs in through `state.extras["agent_action"]` (set by
`jobs_mcp.llm_setup.install_llm`): AgentAction with an API key; without one
`agent` jobs fail their run with NoLLMAction's clear error, and `notify` jobs
run normally.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping

from jobs_mcp.state import AppState
from scheduler.engine.actions import Action
from scheduler.engine.loop import EngineLoop
from scheduler.engine.notify_pg import PgWakeups
from scheduler.engine.poller import EngineConfig, Poller
from scheduler.engine.runner import Runner, default_actions
from scheduler.jobs.job_input import JobInput
from store.claims import ClaimStore
from store.engine import is_sqlite
from store.models import Job
from store.run_types import Outbox
from store.runs import RunStore


def node_id(explicit: str | None) -> str:
    return explicit or f"{socket.gethostname()}-{os.getpid()}"


def attach_engine(state: AppState, actions: Mapping[str, Action] | None = None,
                  outbox: Outbox | None = None) -> EngineLoop:
    """Create the engine for `state`, start/stop it with the server, re-arm it on every job change."""
    settings = state.settings
    worker = node_id(settings.node_id)
    lease_s = float(settings.lease_seconds)
    config = EngineConfig(worker=worker, max_concurrent_runs=settings.max_concurrent_runs, lease_s=lease_s,
                          recover_every_s=min(5.0, lease_s / 2), safety_interval_s=min(10.0, lease_s),
                          shutdown_grace_s=float(settings.shutdown_grace_seconds))
    claims, runs = ClaimStore(state.repo, outbox=outbox), RunStore(state.repo, outbox=outbox)
    runner = Runner(claims=claims, runs=runs, clock=state.clock, worker=worker,
                    actions=dict(actions) if actions else default_actions(state.extras.get("agent_action")),
                    lease_s=lease_s, followup=_followup(state))
    poller = Poller(repo=state.repo, claims=claims, runs=runs, runner=runner, clock=state.clock, config=config)
    wakeups = None if is_sqlite(state.engine) else PgWakeups(state.engine)
    loop = EngineLoop(poller, wakeups=wakeups, recover_own_leases=settings.node_id is not None)
    state.service.add_listener(loop.on_job_change)
    state.extras["engine"] = loop
    state.extras.setdefault("lifecycle", []).append(("engine", loop))
    return loop


def _followup(state: AppState) -> Callable[[Job], Callable[[JobInput], Job]]:
    def for_job(job: Job) -> Callable[[JobInput], Job]:
        def create(data: JobInput) -> Job:
            return state.service.create(job.owner, data, actor=f"job:{job.id}").job

        return create

    return for_job
