"""Run a job_create / job_update / schedule_preview call, and when the grammar cannot read its
`schedule`, retry once with the explicit fields an LLM read in the words (if an LLM is configured).

Only "no schedule recognised" falls back: an impossible date, a past moment or a zero interval
is a real error that no model should talk around.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from jobs_mcp.app import App
from scheduler.llm.schedule_words import translate_schedule
from scheduler.schedules.phrases import NOT_UNDERSTOOD
from store.errors import InvalidArgument

T = TypeVar("T")


def _unreadable(exc: InvalidArgument) -> bool:
    return exc.field == "schedule" and exc.reason == NOT_UNDERSTOOD


async def with_schedule_fallback(
    state: App, words: str | None, timezone: str | None,
    attempt: Callable[[dict[str, Any] | None], Awaitable[T]],
) -> T:
    """`attempt(None)` as asked; on an unreadable schedule, `attempt(fields)` with the model's reading."""
    try:
        return await attempt(None)
    except InvalidArgument as exc:
        llm = state.llm
        if llm is None or not words or not _unreadable(exc):
            raise
        tz_name = timezone or state.settings.timezone
        fields, _usage = await translate_schedule(llm, words, tz_name, state.clock.now())
        if fields is None:
            raise
        try:
            return await attempt(fields)
        except InvalidArgument as second:
            raise InvalidArgument(
                "schedule", exc.expected, words,
                reason=f"{NOT_UNDERSTOOD}; the language model read it as {fields}, which is not usable: "
                       f"{second.message}",
            ) from second
