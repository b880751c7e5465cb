"""The fields a caller may send to create or change a job: each declared once, with its type, bounds
and description.

`JobInput` is job_create's arguments, `JobPatch` job_update's (the same fields, all optional, plus a
guidance note). The tools' signatures are built from these models (jobs_mcp/tool_params.py), the
service validates with them, and docs/limits.md lists the bounds (scheduler/jobs/limits.py).
Times stay ISO 8601 texts here: a time without an offset is read in the job's zone, which only the
service knows once every field is in.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator
from pydantic.fields import FieldInfo

from scheduler.jobs.fields import count, invalid_argument_from, text, text_list, usd, zone_name
from store import limits as L

JobTypeName = Literal["ONE_OFF", "SCHEDULED", "RECURRING", "ONGOING"]
ActionName = Literal["agent", "notify"]


class StrictInput(BaseModel):
    """Unknown fields are refused; a bad value raises InvalidArgument naming its field."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="wrap")
    @classmethod
    def _domain_errors(cls, data: Any, handler: Any) -> Any:
        try:
            return handler(data)
        except ValidationError as exc:
            raise invalid_argument_from(exc) from None


class JobInput(StrictInput):
    """job_create's arguments."""

    title: text("Short name for the job", L.TITLE_MAX, required=True)
    instructions: text("What to do at each run, in plain words (for notify: the message)", L.INSTRUCTIONS_MAX,
                       required=True)
    job_type: Annotated[JobTypeName | None, Field(
        description="Inferred from the schedule, except ONGOING (repeats until end_condition is met): give "
                    "it")] = None
    schedule: text("When, in plain words (see the examples)", L.SCHEDULE_MAX) = None
    run_at: text("ONE_OFF: when (default: now)", L.TIME_TEXT_MAX) = None
    cron: text("A 5-field cron line read in `timezone`, e.g. '0 9 * * 1'", L.CRON_MAX) = None
    interval_seconds: count("Seconds between fires (server minimum: 60 unless configured)",
                            L.INTERVAL_SECONDS) = None
    interval_days: count("Calendar days between fires, at the same local time", L.INTERVAL_DAYS) = None
    timezone: zone_name("IANA zone, e.g. 'Europe/Berlin'; default: the server's", L.TIMEZONE_MAX) = None
    start_at: text("No fire before this time", L.TIME_TEXT_MAX) = None
    end_at: text("No fire after this time; the job then completes", L.TIME_TEXT_MAX) = None
    max_runs: count("Complete the job after this many runs", L.MAX_RUNS) = None
    end_condition: text("ONGOING (required): when the goal counts as met", L.END_CONDITION_MAX) = None
    action: Annotated[ActionName | None, Field(
        description="agent: the LLM carries out the instructions (default); notify: they are the message")] = None
    depends_on: text_list("Job ids that must COMPLETE before this job runs", L.JOB_ID_MAX, L.DEPENDS_MAX) = None
    chat_id: text("The chat the results go back to", L.CHAT_ID_MAX) = None
    webhook_url: text("Also POST each result to this http(s) URL, signed", L.WEBHOOK_URL_MAX) = None
    webhook_secret: text("HMAC secret for the webhook signature; never returned", L.WEBHOOK_SECRET_MAX) = None
    channels: text_list("Apprise URLs to also push results to, e.g. tgram://token/chat; default: owner_settings'",
                        L.CHANNEL_URL_MAX, L.CHANNELS_MAX) = None
    urgent: Annotated[bool | None, Field(description="Push even in the owner's quiet hours")] = None
    idempotency_key: text("A second call with the same key returns the first job (created: false)",
                          L.IDEMPOTENCY_KEY_MAX) = None
    max_attempts: count("Attempts per fire before the job fails (default 3)", L.MAX_ATTEMPTS) = None
    timeout_seconds: count("Time limit of one run in seconds (default 300)", L.TIMEOUT_SECONDS) = None
    misfire_grace_seconds: count("Skip (and record) a fire missed by more than this (default 3600)",
                                 L.MISFIRE_GRACE_SECONDS) = None
    max_cost_usd: usd("BLOCK the job once its runs cost more than this in all, USD",
                      L.MAX_COST_USD) = None
    model: text("Model for agent runs (default: the server's)", L.MODEL_MAX) = None
    max_turns: count("Model turns per run (default 10)", L.MAX_TURNS) = None
    system_prompt: text("Added to the agent's system prompt", L.SYSTEM_PROMPT_MAX) = None
    agent_tools: text_list("MCP tools runs may call: '<server>' or '<server>/<tool>' (agent_tools_available)",
                           L.AGENT_TOOL_MAX, L.AGENT_TOOLS_MAX) = None
    # Not a tool argument: the words behind explicit fields an LLM read from them (kept for the person).
    schedule_text: text("The plain-words schedule the explicit fields were read from", L.SCHEDULE_MAX) = None

    INTERNAL: ClassVar[frozenset[str]] = frozenset({"schedule_text"})
    # What decides when the job fires: a patch touching one of these reschedules the job.
    SCHEDULE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"job_type", "schedule", "run_at", "cron", "interval_seconds", "interval_days", "timezone", "start_at",
         "end_at", "max_runs"})
    # The fields that choose the kind of schedule: sending one replaces the job's former kind.
    KIND_FIELDS: ClassVar[tuple[str, ...]] = ("schedule", "run_at", "cron", "interval_seconds", "interval_days")


def _all_optional(model: type[BaseModel], exclude: frozenset[str]) -> dict[str, Any]:
    return {name: (info.annotation if not info.is_required() else info.annotation | None,
                   FieldInfo.merge_field_infos(info, default=None))
            for name, info in model.model_fields.items() if name not in exclude}


class _PatchBase(StrictInput):
    @property
    def sent(self) -> dict[str, Any]:
        """The fields the caller set, and only those (an empty optional text counts as not set)."""
        return self.model_dump(exclude_unset=True, exclude_none=True)

    @property
    def touches_schedule(self) -> bool:
        return bool(JobInput.SCHEDULE_FIELDS & self.sent.keys())


JobPatch = create_model(
    "JobPatch",
    __base__=_PatchBase,
    __doc__="job_update's arguments: JobInput's fields, all optional (the idempotency key cannot change), "
            "and a guidance note. Only the fields that were set change.",
    **_all_optional(JobInput, frozenset({"idempotency_key"})),
    guidance=(text(f"A note for future runs (the newest {L.GUIDANCE_NOTES_KEPT} are kept)", L.GUIDANCE_NOTE_MAX),
              None),
)
