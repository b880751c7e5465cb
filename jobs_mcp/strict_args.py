"""Unknown tool arguments are refused, each named with the nearest real field.

The SDK drops arguments a tool does not declare, so `trigger_config: {...}` on job_create would
quietly make a job due now. Here every unknown name is reported with what the caller most
likely meant: a word a model commonly uses for one of our fields (the alias table), else the
closest spelling (difflib), else the tool's fields.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from typing import Any

from store.errors import InvalidArgument

# A word models use -> our fields it may mean (only those the tool has are offered).
ALIASES: dict[str, tuple[str, ...]] = {
    "trigger": ("schedule", "cron"), "trigger_config": ("schedule", "cron"), "recurrence": ("schedule", "cron"),
    "rrule": ("schedule", "cron"), "repeat": ("schedule", "interval_seconds"), "frequency": ("schedule", "cron"),
    "every": ("schedule", "interval_seconds"), "interval": ("interval_seconds", "interval_days"),
    "when": ("schedule", "run_at"), "time": ("run_at", "schedule"), "at": ("run_at",), "date": ("run_at",),
    "datetime": ("run_at",), "due": ("run_at",), "due_at": ("run_at",), "scheduled_at": ("run_at",),
    "scheduled_for": ("run_at",), "remind_at": ("run_at",), "start": ("start_at",), "starts_at": ("start_at",),
    "end": ("end_at",), "until": ("end_at",), "deadline": ("end_at",), "ends_at": ("end_at",),
    "tz": ("timezone",), "time_zone": ("timezone",), "zone": ("timezone",),
    "name": ("title",), "subject": ("title",), "description": ("instructions",), "prompt": ("instructions",),
    "task": ("instructions",), "text": ("instructions", "message"), "body": ("instructions",),
    "content": ("instructions", "message"), "type": ("job_type",), "kind": ("job_type",),
    "id": ("job_id",), "job": ("job_id",), "jobid": ("job_id",), "retries": ("max_attempts",),
    "max_retries": ("max_attempts",), "attempts": ("max_attempts",), "timeout": ("timeout_seconds",),
    "budget": ("max_cost_usd",), "max_cost": ("max_cost_usd",), "cost_limit": ("max_cost_usd",),
    "dependencies": ("depends_on",), "after": ("depends_on",), "webhook": ("webhook_url",),
    "callback_url": ("webhook_url",), "chat": ("chat_id",), "conversation_id": ("chat_id",),
    "thread_id": ("chat_id",), "key": ("idempotency_key",), "request_id": ("idempotency_key",),
    "note": ("guidance",), "notes": ("guidance",), "feedback": ("guidance",), "goal": ("end_condition",),
    "stop_when": ("end_condition",), "query": ("keywords", "query"), "keyword": ("keywords",),
    "search": ("query", "keywords"), "q": ("query", "keywords"), "page": ("cursor",), "offset": ("cursor",),
    "page_token": ("cursor",), "max_results": ("limit",), "top_k": ("limit",), "n": ("count", "limit"),
    "statuses": ("status",), "types": ("job_type",), "mode": ("action",),
}
# Arguments that name a thing no field changes: where to do it instead.
REDIRECTS: dict[tuple[str, str], str] = {
    ("job_update", "status"): "a status changes with job_pause, job_resume or job_cancel",
    ("job_update", "idempotency_key"): "the idempotency key is fixed at creation",
    ("job_update", "paused"): "pause with job_pause, resume with job_resume",
}
_STATUS_TOOLS = {"PAUSED": "job_pause", "ACTIVE": "job_resume", "CANCELLED": "job_cancel"}


def refuse_unknown(tool: str, arguments: Mapping[str, Any], fields: Collection[str]) -> None:
    """Raise InvalidArgument naming every argument that is not one of `fields`."""
    unknown = [name for name in arguments if name not in fields]
    if not unknown:
        return
    parts = [f"`{name}` is not a field of {tool}; {_advice(tool, name, arguments[name], fields)}"
             for name in unknown[:5]]
    raise UnknownArguments(unknown, ". ".join(parts))


class UnknownArguments(InvalidArgument):
    """InvalidArgument for names rather than values: the message is the advice itself."""

    def __init__(self, names: list[str], message: str) -> None:
        super().__init__(names[0], "a field of the tool", None)
        self.names = names
        self.message = message
        self.args = (message,)


def _advice(tool: str, name: str, value: Any, fields: Collection[str]) -> str:
    redirect = REDIRECTS.get((tool, name))
    if redirect is not None:
        wanted = _STATUS_TOOLS.get(str(value).upper()) if name == "status" else None
        return f"to set {value!r} use {wanted}" if wanted else redirect
    key = name.lower().replace("-", "_")
    near = [f for f in ALIASES.get(key, ()) if f in fields] if key not in fields else [key]
    near = near or difflib.get_close_matches(key, list(fields), n=2, cutoff=0.6)
    if near:
        return "use " + " or ".join(f"`{f}`" for f in near)
    return "its fields are " + ", ".join(sorted(fields))
