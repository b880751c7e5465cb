"""Schedule words the grammar cannot read: a language model reads them, and the person confirms the reading
before anything is stored.

The SDK's resolvers (`Resolve`) run before the tool body. `read_*_schedule` asks the model for the explicit
fields only when the grammar refuses the words as "no schedule recognised" (an impossible date, a past
moment or a zero interval is a real error that no model should talk around) and previews the reading.
`ask_*` then asks the person through MCP elicitation when the client supports it (form mode; the SDK sends
the question mid-call on older protocol versions and as an input-required round on 2026-07-28). Without
elicitation nothing is stored: the answer carries the reading for the agent to confirm with the person,
and the same call again with `confirm: true` stores it. The reader remembers a reading for a few minutes
(scheduler/llm/schedule_words.py), so every round of one call, and the confirming call, see the reading
the person saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import AcceptedElicitation, Elicit, ElicitationResult, Resolve
from pydantic import BaseModel, Field

from jobs_mcp.app import App
from jobs_mcp.results import ReadingView
from jobs_mcp.state import app_state, caller, off_loop
from scheduler.jobs.job_input import JobInput
from scheduler.schedules.phrases import NOT_UNDERSTOOD
from store.errors import InvalidArgument, JobsError


@dataclass(frozen=True)
class Reading:
    """A model's reading of schedule words, previewed: its fields, summary and fires, or why it is unusable."""

    words: str
    fields: dict[str, Any]
    summary: str = ""
    fires: tuple[str, ...] = ()
    error: InvalidArgument | None = None

    def view(self) -> ReadingView:
        return ReadingView(schedule=self.words, summary=self.summary, fires=list(self.fires), **self.fields)


class Confirmation(BaseModel):
    store: bool = Field(True, description="Yes: store it with this schedule")


ConfirmParam = Annotated[bool | None, Field(
    description="true: the person confirmed needs_confirmation's reading")]


async def _reading(ctx: Context, schedule: str | None, timezone: str | None,
                   job_id: str | None = None) -> Reading | None:
    app = app_state(ctx)
    if not schedule or not schedule.strip() or app.schedule_reader is None:
        return None
    tz_name = timezone or await off_loop(_zone_of, app, caller(ctx), job_id)
    try:
        await off_loop(_preview, app, {"schedule": schedule, "timezone": tz_name})
        return None  # the grammar reads it, or refuses it for a reason no model may talk around
    except InvalidArgument as exc:
        if not (exc.field == "schedule" and exc.reason == NOT_UNDERSTOOD):
            return None
    fields = await app.schedule_reader.read(schedule, tz_name, caller(ctx))
    if fields is None:
        return None  # the model is unsure or unreachable: the grammar's error stands
    try:
        plan = await off_loop(_preview, app, {**fields, "timezone": tz_name})
    except InvalidArgument as exc:
        return Reading(schedule.strip(), fields, error=exc)
    return Reading(schedule.strip(), fields, plan.summary, tuple(plan.fires_local))


def _zone_of(app: App, owner: str, job_id: str | None) -> str:
    if job_id:
        try:
            return app.service.get(owner, job_id).timezone
        except JobsError:
            pass  # the tool body reports the unknown job
    return app.service.default_zone(owner)


def _preview(app: App, fields: dict[str, Any]) -> Any:
    data = JobInput.model_validate({"title": "preview", "instructions": "preview", **fields})
    return app.service.preview(data, None, 3)


def _question(ctx: Context, reading: Reading | None, confirm: bool | None) -> Elicit[Confirmation] | None:
    if reading is None or reading.error is not None or confirm:
        return None
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    if elicitation is None or (elicitation.form is None and elicitation.url is not None):
        return None  # the client cannot ask: the answer asks the agent instead
    return Elicit(f'A language model read the schedule "{reading.words}" as: {reading.summary} '
                  f"(next: {', '.join(reading.fires)}). Store it like this?", Confirmation)


# One pair of resolvers per tool shape: a resolver takes tool arguments by name, and only
# job_update has a job_id (whose zone reads the words).
async def read_new_schedule(ctx: Context, schedule: str | None = None, timezone: str | None = None) -> Reading | None:
    """The model's reading of `schedule` when the grammar cannot read it and an LLM is configured."""
    return await _reading(ctx, schedule, timezone)


async def read_changed_schedule(ctx: Context, job_id: str, schedule: str | None = None,
                                timezone: str | None = None) -> Reading | None:
    """The same for job_update, read in the job's own zone unless the call names one."""
    return await _reading(ctx, schedule, timezone, job_id)


async def ask_about_new(ctx: Context, reading: Annotated[Reading | None, Resolve(read_new_schedule)],
                        confirm: bool | None = None) -> Elicit[Confirmation] | None:
    return _question(ctx, reading, confirm)


async def ask_about_change(ctx: Context, reading: Annotated[Reading | None, Resolve(read_changed_schedule)],
                           confirm: bool | None = None) -> Elicit[Confirmation] | None:
    return _question(ctx, reading, confirm)


NewReading = Annotated[Reading | None, Resolve(read_new_schedule)]
NewAnswer = Annotated[ElicitationResult[Confirmation], Resolve(ask_about_new)]
ChangedReading = Annotated[Reading | None, Resolve(read_changed_schedule)]
ChangedAnswer = Annotated[ElicitationResult[Confirmation], Resolve(ask_about_change)]
PreviewReading = NewReading


def with_reading(given: dict[str, Any], reading: Reading | None) -> dict[str, Any]:
    """The arguments with the reading's fields in place of the words (kept as schedule_text).

    An unusable reading is refused here, with the grammar's reason and the model's. A job the
    caller made ONGOING stays ONGOING: the model reads only when, not until when.
    """
    if reading is None:
        return given
    if reading.error is not None:
        raise InvalidArgument("schedule", reading.error.expected, reading.words,
                              reason=f"{NOT_UNDERSTOOD}; a language model read it as {reading.fields}, which is "
                                     f"not usable: {reading.error.message}") from reading.error
    fields = dict(reading.fields)
    if given.get("job_type") == "ONGOING" or given.get("end_condition"):
        fields["job_type"] = "ONGOING"
    rest = {k: v for k, v in given.items() if k not in ("schedule", "confirm")}
    return {**rest, "schedule_text": reading.words, **fields}


def verdict(answer: ElicitationResult[Confirmation], confirm: bool | None) -> bool | None:
    """True: store the reading; False: the person said no; None: nobody was asked (the agent must)."""
    if confirm:
        return True
    if isinstance(answer, AcceptedElicitation):
        return answer.data.store if isinstance(answer.data, Confirmation) else None
    return False


def declined_note(reading: Reading) -> str:
    return (f'Nothing stored: the person did not confirm reading "{reading.words}" as {reading.summary}. '
            "Ask when they mean, then call again with explicit fields (run_at, cron, interval_*).")


def pending_note(tool: str) -> str:
    return (f"Nothing stored yet: a language model read the schedule. Ask the person whether this reading is "
            f"right; if so, call {tool} again with the same arguments and confirm: true.")
