"""The tools the executing model may call, and what each does for one run.

A `RunTools` lives for one run: it holds what the model saved (`new_state`),
its `finish` call, the follow-up jobs it created and the trace of every call.
A tool that cannot do what was asked answers the model with an error result
(`is_error`), so the model can correct itself; nothing here raises to the run.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread

from scheduler.agent_tools.catalog import RunToolbox
from scheduler.engine.actions import RunContext
from scheduler.jobs.job_input import JobInput
from scheduler.llm.fetch import http_fetch
from scheduler.net_guard import AllowList, FetchRefused
from store.enums import JobAction, JobType
from store.errors import JobsError

log = logging.getLogger(__name__)
STATE_MAX_BYTES = 64 * 1024
FOLLOWUPS_MAX = 3  # per run: a loop that keeps creating jobs is a bug, not a plan
TRACE_TEXT = 2_000  # of a tool call's arguments and result, what the run's trace keeps

_STR = {"type": "string"}
_INT = {"type": "integer"}
TOOL_SCHEMAS: list[dict[str, Any]] = [
    {"name": "http_fetch",
     "description": "GET a web page or API over http(s). Returns status, content type and the readable text "
                    "(HTML reduced to text), cut at 1 MB. Private and loopback addresses are refused.",
     "input_schema": {"type": "object", "properties": {"url": {**_STR, "description": "Absolute http(s) URL"}},
                      "required": ["url"]}},
    {"name": "save_state",
     "description": "Keep JSON for the next run of this job (replaces the saved state; at most 64 KB).",
     "input_schema": {"type": "object", "properties": {"state": {"type": "object"}}, "required": ["state"]}},
    {"name": "create_followup_job",
     "description": "Create a new job for the same person, e.g. 'follow up in 3 days'. Give `schedule` in plain "
                    "words or `run_at` (ISO 8601); the person's time zone is used unless `timezone` is given.",
     "input_schema": {"type": "object", "properties": {
         "title": _STR, "instructions": _STR, "schedule": _STR, "run_at": _STR,
         "job_type": {"type": "string", "enum": [t.value for t in JobType]},
         "cron": _STR, "interval_seconds": _INT, "interval_days": _INT, "timezone": _STR, "end_at": _STR,
         "max_runs": _INT, "end_condition": _STR, "action": {"type": "string", "enum": [a.value for a in JobAction]}},
         "required": ["title", "instructions"]}},
    {"name": "finish",
     "description": "End the run. `summary`: one or two sentences for the job's history. `message`: what the "
                    "person reads (may be empty if there is nothing to tell).",
     "input_schema": {"type": "object", "properties": {"summary": _STR, "message": _STR},
                      "required": ["summary", "message"]}},
]
_FOLLOWUP_FIELDS = ("schedule", "run_at", "job_type", "cron", "interval_seconds", "interval_days", "timezone",
                    "end_at", "max_runs", "end_condition")


@dataclass
class Finished:
    summary: str
    message: str


@dataclass
class RunTools:
    context: RunContext
    allow: AllowList
    new_state: dict[str, Any] | None = None
    finished: Finished | None = None
    followups: list[str] = field(default_factory=list)
    trace: list[dict[str, Any]] = field(default_factory=list)
    toolbox: RunToolbox | None = None  # the job's MCP tools (agent_tools), if any

    def definitions(self) -> list[dict[str, Any]]:
        """Every tool the model may call in this run: ours, then the job's MCP tools."""
        return TOOL_SCHEMAS + (self.toolbox.definitions() if self.toolbox else [])

    async def call(self, name: str, tool_input: Any, tool_use_id: str) -> dict[str, Any]:
        """The tool_result block answering one tool_use block.

        ToolServerUnavailable (an MCP server that cannot be reached) propagates: it fails the run.
        """
        args = tool_input if isinstance(tool_input, dict) else {}
        handler = {"http_fetch": self._fetch, "save_state": self._save_state,
                   "create_followup_job": self._followup, "finish": self._finish}.get(name)
        started = time.monotonic()  # a duration for the trace, not a time of day
        step: dict[str, Any] = {"step": "tool", "tool": name, "input": short(json.dumps(args, default=str))}
        try:
            if handler is not None:
                ok, text = await handler(args)
            elif self.toolbox is not None and self.toolbox.target(name) is not None:
                ok, text = await self.toolbox.call(name, args)
            else:
                ok, text = False, f"unknown tool {name!r}"
        except BaseException as exc:  # recorded, then raised on: the run fails (or is cancelled) with it
            self.trace.append({**step, "ok": False, "error": short(getattr(exc, "message", "") or type(exc).__name__),
                               "ms": _ms(started)})
            raise
        step.update({"ok": ok, "result" if ok else "error": short(text), "ms": _ms(started)})
        self.trace.append(step)
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_use_id, "content": text}
        if not ok:
            block["is_error"] = True
        return block

    async def _fetch(self, args: dict[str, Any]) -> tuple[bool, str]:
        url = args.get("url")
        if not isinstance(url, str) or not url:
            return False, "url: expected an absolute http(s) URL"
        try:
            result = await http_fetch(url, self.allow)
        except FetchRefused as exc:
            return False, str(exc)
        return True, result.for_model()

    async def _save_state(self, args: dict[str, Any]) -> tuple[bool, str]:
        state = args.get("state")
        if not isinstance(state, dict):
            return False, "state: expected a JSON object"
        size = len(json.dumps(state, ensure_ascii=False).encode("utf-8"))
        if size > STATE_MAX_BYTES:
            return False, (f"state: {size} bytes is over the {STATE_MAX_BYTES} byte limit; "
                           "keep only what the next run needs")
        self.new_state = state
        return True, f"saved ({size} bytes)"

    async def _followup(self, args: dict[str, Any]) -> tuple[bool, str]:
        create = self.context.create_followup
        if create is None:
            return False, "follow-up jobs cannot be created from this run"
        if len(self.followups) >= FOLLOWUPS_MAX:
            return False, f"at most {FOLLOWUPS_MAX} follow-up jobs per run"
        job = self.context.job
        values = {key: args[key] for key in _FOLLOWUP_FIELDS if args.get(key) is not None}
        values.setdefault("timezone", job.timezone)
        # The key makes a retried attempt of this fire find the job it created the first time.
        key = f"followup:{job.id}:{self.context.scheduled_for.isoformat()}:{len(self.followups) + 1}"
        try:
            data = JobInput(title=str(args.get("title", "")), instructions=str(args.get("instructions", "")),
                            action=str(args.get("action") or "agent"), chat_id=job.chat_id, idempotency_key=key,
                            **values)
            created = await anyio.to_thread.run_sync(create, data)
        except JobsError as exc:
            return False, exc.message
        except (TypeError, ValueError) as exc:  # a value of the wrong kind for JobInput
            return False, f"invalid follow-up: {exc}"
        self.followups.append(created.id)
        return True, f"created job {created.id} ({created.title}); next run at {created.next_run_at}"

    async def _finish(self, args: dict[str, Any]) -> tuple[bool, str]:
        self.finished = Finished(summary=str(args.get("summary") or "").strip(),
                                 message=str(args.get("message") or "").strip())
        return True, "run finished"


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def short(text: str) -> str:
    return text if len(text) <= TRACE_TEXT else text[: TRACE_TEXT - 3] + "..."
