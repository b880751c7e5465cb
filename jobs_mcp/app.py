"""The composition root: every part of a jobs-mcp node is built here, once, and started and stopped here.

The server (jobs_mcp.runtime), the tests and the benchmarks all call `build_app`; its
options leave out or replace what a caller does not want (a fake clock, scripted
actions, an engine driven by hand or none, no search).

Adding a part: a typed field on `App`, its construction line in `build_app`, and, if it
works in the background (has async `start`/`stop`), its line in `App.components`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

import anyio
from sqlalchemy import Engine

from jobs_mcp.agent_tools_setup import build_agent_tools
from jobs_mcp.config import Settings
from jobs_mcp.delivery_setup import InboxNotifier
from jobs_mcp.engine_wiring import EngineMode, EngineParts, EngineTuning, build_engine, node_id
from jobs_mcp.event_relay import PgEventRelay
from jobs_mcp.llm_setup import LLMWarmup, build_agent_action, build_llm, fetch_allow_list
from jobs_mcp.metrics import Metrics
from jobs_mcp.owner_bus import OwnerSubscriptionBus
from jobs_mcp.search_setup import SearchLifecycle, build_search
from jobs_mcp.warmup import BackgroundLoad, Warmups
from scheduler.agent_tools.catalog import AgentTools
from scheduler.clock import Clock, SystemClock
from scheduler.delivery.channels import ChannelDispatcher
from scheduler.delivery.dispatcher import WebhookDispatcher
from scheduler.engine.actions import Action
from scheduler.engine.runner import default_actions
from scheduler.jobs.owner_defaults import OwnerDefaultsService
from scheduler.jobs.quotas import Quotas
from scheduler.jobs.service import JobService
from scheduler.jobs.validation import Limits
from scheduler.llm.agent_action import AgentAction
from scheduler.llm.client import LLM
from scheduler.llm.schedule_words import ScheduleReader
from scheduler.search.model import ModelHandle
from scheduler.search.service import SearchService
from store.engine import is_sqlite, make_engine
from store.outbox import DeliveryStore, OutboxWriter
from store.owner_settings import OwnerSettingsStore
from store.repository import JobRepository
from store.schema import ensure_schema


class Component(Protocol):
    """A part that works in the background while the app runs."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class App:
    """One node: what the tools share for the life of the server, and the parts that run beside them."""

    settings: Settings
    clock: Clock
    db: Engine
    repo: JobRepository
    service: JobService
    owner_defaults: OwnerDefaultsService  # the owner_settings tool
    llm: LLM | None  # None without ANTHROPIC_API_KEY
    schedule_reader: ScheduleReader | None  # reads schedule words the grammar cannot; None without an LLM
    agent_action: Action  # AgentAction, or NoLLMAction's clear error without a key
    search: SearchService | None  # None when built without search
    deliveries: DeliveryStore
    outbox: OutboxWriter  # the engine writes run messages here; listeners hear of each commit
    subscriptions: OwnerSubscriptionBus  # jobs://inbox updates reach only the owner's sessions
    inbox_notifier: InboxNotifier
    dispatcher: WebhookDispatcher | None  # sends webhooks where the engine loop runs
    channel_dispatcher: ChannelDispatcher | None  # pushes to channels (Apprise) where the engine loop runs
    engine: EngineParts | None
    metrics: Metrics  # this node's Prometheus registry, fed by the engine, LLM and tool-call hooks
    owns_db: bool = True  # False when built on a caller's repository: the caller disposes it
    _running: list[Component] = field(default_factory=list, repr=False)
    # The MCP servers of JOBS_MCP_SERVERS_FILE (None without the file), held by the job service that checks
    # agent_tools with them.
    agent_tools: AgentTools | None = field(init=False, default=None)
    # What the first tool answer does not need, started once it is given (jobs_mcp/warmup.py); the server
    # calls warmups.answered() after each tool call.
    warmups: Warmups = field(init=False, default_factory=Warmups)

    def __post_init__(self) -> None:
        catalog = self.service.agent_tools
        self.agent_tools = catalog if isinstance(catalog, AgentTools) else None
        if self.search is not None:
            self.warmups.add("search", SearchLifecycle(self.search.embedder))
        if self.channel_dispatcher is not None:  # Apprise loads its ~250 plugins on first use: about a second
            self.warmups.add("apprise-plugins", BackgroundLoad("apprise-plugins", ChannelDispatcher.load_plugins))
        if self.llm is not None:
            self.warmups.add("llm", LLMWarmup(self.llm))

    def components(self) -> list[tuple[str, Component]]:
        """The background parts in start order; they stop in the reverse order."""
        parts: list[tuple[str, Component | None]] = [
            # First: started before the engine, so runs find it; stopped after the engine's runs are drained.
            ("agent-tools", self.agent_tools.pool if self.agent_tools else None),
            # Before the engine, so stopped after its runs are drained (the search embedder among them).
            ("warm-ups", self.warmups if self.warmups.parts else None),
            ("inbox-notifier", self.inbox_notifier),
            ("webhook-dispatcher", self.dispatcher),
            ("channel-dispatcher", self.channel_dispatcher),
            ("engine", self.engine.loop if self.engine else None),
        ]
        return [(name, part) for name, part in parts if part is not None]

    async def start(self) -> None:
        """Start every component; if one fails, those already started are stopped again."""
        try:
            for _name, component in self.components():
                await component.start()
                self._running.append(component)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self.stop()
            raise

    async def stop(self) -> None:
        while self._running:
            await self._running.pop().stop()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[App]:
        await self.start()
        try:
            yield self
        finally:
            with anyio.CancelScope(shield=True):
                await self.stop()

    def close(self) -> None:
        """Release the database connections (after stop)."""
        if self.owns_db:
            self.repo.close()
            self.db.dispose()


def build_app(settings: Settings, clock: Clock | None = None, *, engine: EngineMode | None = None,
              actions: Mapping[str, Action] | None = None, tuning: EngineTuning = EngineTuning(),
              search: bool = True, model: ModelHandle | None = None,
              repo: JobRepository | None = None) -> App:
    """Build a node from its settings.

    clock: the real clock by default; a test's fake clock makes the engine MANUAL by default.
    engine: LOOP (the server), MANUAL (built, driven by poller.tick(now)) or OFF.
    actions: replace entries of the action table ("notify", "agent"), e.g. scripted ones.
    tuning: retry randomness, timeout scale and loop intervals for tests.
    search: False leaves out the search service, its tools and its model load.
    model: the encoder handle (default: the process-wide one).
    repo: an open store to use instead of opening settings.database_url (several nodes in one test).
    """
    mode = engine or (EngineMode.LOOP if clock is None else EngineMode.MANUAL)
    clock = clock or SystemClock()
    owns_db = repo is None
    if repo is None:
        db = make_engine(settings.database_url)
        ensure_schema(db)
        repo = JobRepository(db)
    db = repo.engine
    limits = Limits(min_interval_seconds=settings.min_interval_seconds, default_timezone=settings.timezone,
                    fetch_allow=fetch_allow_list(settings))
    quotas = Quotas(settings.max_active_jobs or None, settings.max_creates_per_minute or None,
                    settings.max_daily_spend_usd or None)  # 0 in the configuration: no limit
    agent_tools = build_agent_tools(settings)
    service = JobService(repo, clock, limits, quotas, agent_tools=agent_tools)
    search_service = build_search(db, repo, service, model) if search else None
    llm = build_llm(settings)
    agent_action = build_agent_action(settings, llm, service.quotas)
    if isinstance(agent_action, AgentAction):
        agent_action.agent_tools = agent_tools  # the runs' MCP tools
    deliveries, outbox, subscriptions = DeliveryStore(repo), OutboxWriter(), OwnerSubscriptionBus()
    inbox_notifier = InboxNotifier(subscriptions, relay=None if is_sqlite(db) else PgEventRelay(db))
    outbox.add_listener(inbox_notifier.notify)
    outbox.add_job_listener(inbox_notifier.jobs_changed)
    service.add_listener(lambda job: inbox_notifier.jobs_changed(((job.owner, job.id),)))
    dispatcher = channel_dispatcher = None
    if mode is EngineMode.LOOP:
        allow, worker = fetch_allow_list(settings), node_id(settings.node_id)
        dispatcher = WebhookDispatcher(deliveries, clock, allow, worker=worker)
        channel_dispatcher = ChannelDispatcher(deliveries, clock, allow, worker=worker)
        outbox.add_listener(lambda _owners: dispatcher.wake())
        outbox.add_listener(lambda _owners: channel_dispatcher.wake())
    parts = None
    if mode is not EngineMode.OFF:
        parts = build_engine(settings, db, repo, service, clock, actions={**default_actions(agent_action),
                             **(actions or {})}, outbox=outbox, mode=mode, tuning=tuning)
    reader = ScheduleReader(llm, clock, service.quotas) if llm is not None else None
    owner_defaults = OwnerDefaultsService(OwnerSettingsStore(repo), clock, limits)
    metrics = Metrics()
    if parts is not None:
        parts.runner.watchers.append(metrics.run_finished)
        parts.runner.reminder_watchers.append(metrics.reminders_finished)
    if llm is not None:
        llm.on_usage = metrics.llm_call
    app = App(settings=settings, clock=clock, db=db, repo=repo, service=service, owner_defaults=owner_defaults,
              llm=llm, schedule_reader=reader,
              agent_action=agent_action,
              search=search_service, deliveries=deliveries,
              outbox=outbox, subscriptions=subscriptions, inbox_notifier=inbox_notifier, dispatcher=dispatcher,
              channel_dispatcher=channel_dispatcher, engine=parts, metrics=metrics, owns_db=owns_db)
    metrics.watch(app)
    return app
