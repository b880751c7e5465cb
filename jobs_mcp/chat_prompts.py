"""Two prompts that show a client the right way to ask for work that outlives the chat: `remind` and `watch`.

Each renders the job_create call to make (filled in with the person's words) and what to do with the
answer, so an agent that starts from a prompt gets the conventions right the first time: a reminder is a
`notify` job (no LLM, no cost), a watch is an ONGOING `agent` job with an end condition.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from jobs_mcp.results import compact_json

WATCH_DEFAULT_SCHEDULE = "every day at 9am"
TITLE_CHARS = 60

What = Annotated[str, Field(description="What to remind of, in the person's words")]
When = Annotated[str, Field(description="When, in plain words: 'tomorrow at 9', 'every Monday at 8am', 'in 2 hours'")]
Zone = Annotated[str | None, Field(description="The person's IANA time zone, e.g. Europe/Berlin")]
Chat = Annotated[str | None, Field(description="The chat the messages go back to")]
Target = Annotated[str, Field(description="What to check, e.g. 'the Pro plan price on https://example.com/pricing'")]
Until = Annotated[str, Field(description="When the watch is done, e.g. 'the Pro plan costs less than $20'")]
HowOften = Annotated[str | None, Field(description=f"How often to check, in plain words (default "
                                                   f"'{WATCH_DEFAULT_SCHEDULE}')")]


def _title(prefix: str, text: str) -> str:
    text = " ".join(text.split())
    return prefix + (text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…")


def _optional(**fields: str | None) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value}


def remind_text(what: str, when: str, timezone: str | None = None, chat_id: str | None = None) -> str:
    call = {"title": _title("", what), "instructions": what, "schedule": when, "action": "notify",
            **_optional(timezone=timezone, chat_id=chat_id)}
    return (f"Create this reminder with job_create:\n{compact_json(call)}\n"
            "A reminder is a notify job: at the time, the instructions are the message, and no LLM runs. "
            "Then tell the person the answer's schedule_summary and next_fires and ask whether that is what "
            "they meant; fix a wrong reading with job_update. If the answer has needs_confirmation instead of "
            "a job, ask the person about that reading first. The message arrives through job_inbox.")


def watch_text(what: str, until: str, how_often: str | None = None, timezone: str | None = None,
               chat_id: str | None = None) -> str:
    call = {"title": _title("Watch: ", what), "instructions": f"Check {what}. Say what changed since the last "
            "check.", "job_type": "ONGOING", "schedule": how_often or WATCH_DEFAULT_SCHEDULE,
            "end_condition": until, **_optional(timezone=timezone, chat_id=chat_id)}
    return (f"Create this watch with job_create:\n{compact_json(call)}\n"
            "An ONGOING job runs its instructions through the LLM at every fire; after each run a judge checks "
            "the end_condition, and once it is met the job completes and tells the chat. Tell the person the "
            "answer's schedule_summary and next_fires. Results arrive through job_inbox. If the person says the "
            "goal is met (\"I booked it\"), pass their words to job_observe_chat.")


def register_prompts(server: MCPServer[Any]) -> None:
    @server.prompt(title="Remind me")
    def remind(what: What, when: When, timezone: Zone = None, chat_id: Chat = None) -> str:
        """Set a reminder: a message at a time, or on a schedule."""
        return remind_text(what, when, timezone, chat_id)

    @server.prompt(title="Watch something until a goal is met")
    def watch(what: Target, until: Until, how_often: HowOften = None, timezone: Zone = None,
              chat_id: Chat = None) -> str:
        """Keep checking something on a schedule until a condition is met, and report back."""
        return watch_text(what, until, how_often, timezone, chat_id)
