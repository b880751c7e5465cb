"""`agent` jobs: execute the instructions with the model and its tools, then judge the run (docs/design.md §6).

Contract with the engine (`scheduler.engine.actions.Action`): model, network and
tool errors never raise; they come back as a FAILED ActionResult whose
`retryable` says whether another attempt could help. Cancellation (the run's
timeout, job_cancel, shutdown) propagates. Tokens and cost are counted for
every call made, also when the run fails half-way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from scheduler.agent_tools.catalog import AgentTools
from scheduler.engine.actions import ActionResult, RunContext, Usage
from scheduler.jobs.quotas import QuotaCheck
from scheduler.llm.client import LLM, api_error, sdk_error
from scheduler.llm.context import execute_values, judge_values
from scheduler.llm.judge import FORCE_VERDICT, VERDICT_TOOL, Judgement, interpret, tool_input
from scheduler.llm.prompts import render
from scheduler.llm.tools import RunTools, short
from store.enums import JobType, RunOutcome, Verdict
from store.errors import LimitExceeded, ToolServerUnavailable

log = logging.getLogger(__name__)
KICKOFF = "Run the job now, as described in the system prompt. End with the finish tool."
JUDGE_SYSTEM = "You judge runs of scheduled jobs. Answer only with the record_verdict tool."
SUMMARY_CHARS = 500


@dataclass
class Draft:
    """What the executor produced, before the judge."""

    summary: str
    message: str
    output: str


class AgentAction:
    def __init__(self, llm: LLM, quotas: QuotaCheck | None = None, agent_tools: AgentTools | None = None) -> None:
        self.llm = llm
        self.quotas = quotas  # the owner's daily LLM spend is checked before the model is called
        self.agent_tools = agent_tools  # the node's MCP servers, for jobs that name some in agent_tools

    async def __call__(self, context: RunContext) -> ActionResult:
        # Kept on the context as they grow: a run cut off by its time limit still records them.
        usage = context.progress.usage
        tools = RunTools(context, self.llm.config.fetch_allow, trace=context.progress.trace)
        refusal = await self._over_daily_spend(context)
        if refusal is not None:  # retryable: the engine retries (backoff, max_attempts) as for any failure
            tools.trace.append({"step": "quota", "note": refusal})
            return _failed(refusal, True, tools, usage)
        try:
            await self._offer_mcp_tools(context, tools)
            draft = await self._execute(context, tools, usage)
            judgement = await self._judge(context, draft, usage, tools.trace)
        except sdk_error() as exc:
            error, retryable = api_error(exc)
            log.warning("agent run failed: %s", error, extra={"job_id": context.job.id, "run_id": context.run_id})
            return _failed(error, retryable, tools, usage)
        except ToolServerUnavailable as exc:  # another attempt may find the server up again
            log.warning("agent run failed: %s", exc.message, extra={"job_id": context.job.id,
                                                                   "run_id": context.run_id})
            return _failed(exc.message, True, tools, usage)
        except Exception as exc:  # noqa: BLE001  (a bug in one run must not take the engine down)
            log.exception("agent run crashed", extra={"job_id": context.job.id, "run_id": context.run_id})
            return _failed(f"internal error in the agent pipeline: {type(exc).__name__}", True, tools, usage)
        return _result(context, draft, judgement, tools, usage)

    async def _offer_mcp_tools(self, context: RunContext, tools: RunTools) -> None:
        """The job's agent_tools, connected and chosen; ToolServerUnavailable if a named server cannot be reached."""
        entries = context.job.agent_tools
        if not entries:
            return
        if self.agent_tools is None:
            tools.trace.append({"step": "tools", "note": "no MCP servers are configured on this node "
                                                         "(JOBS_MCP_SERVERS_FILE): agent_tools not offered"})
            return
        tools.toolbox = await self.agent_tools.toolbox(context.job.owner, list(entries))
        tools.trace.extend({"step": "tools", "note": note} for note in tools.toolbox.notes)

    async def _over_daily_spend(self, context: RunContext) -> str | None:
        """The refusal text when the owner's LLM spend today reached its limit, else None."""
        if self.quotas is None:
            return None
        try:
            await anyio.to_thread.run_sync(self.quotas.before_llm_run, context.job.owner, context.now)
        except LimitExceeded as exc:
            log.warning("agent run refused: %s", exc.message, extra={"job_id": context.job.id})
            return f"{exc.code}: {exc.message}"
        return None

    async def _execute(self, context: RunContext, tools: RunTools, usage: Usage) -> Draft:
        config, job = self.llm.config, context.job
        model, max_turns = job.model or config.model, job.max_turns or config.max_turns
        system, tool_defs = system_blocks(context), cached(tools.definitions())
        messages: list[dict[str, Any]] = [{"role": "user", "content": KICKOFF}]
        last_text = ""
        for turn in range(1, max_turns + 1):
            reply = await self.llm.create(usage, model=model, max_tokens=config.max_tokens, system=system,
                                          tools=tool_defs, messages=messages)
            content = _assistant_blocks(reply.content)
            messages.append({"role": "assistant", "content": content})
            said = "\n".join(b["text"] for b in content if b["type"] == "text").strip()
            last_text = said or last_text
            uses = [b for b in content if b["type"] == "tool_use"]
            tools.trace.append(_turn_step(turn, model, reply, said, uses))
            if not uses:
                return Draft(summary=last_text[:SUMMARY_CHARS], message=last_text, output=last_text)
            results = [await tools.call(b["name"], b["input"], b["id"]) for b in uses]
            if tools.finished is not None:
                done = tools.finished
                return Draft(summary=done.summary[:SUMMARY_CHARS] or done.message[:SUMMARY_CHARS],
                             message=done.message, output=done.message or done.summary)
            messages.append({"role": "user", "content": results})
        note = f"stopped after {max_turns} turns without calling finish"
        tools.trace.append({"step": "limit", "note": note})
        text = f"{last_text}\n\n({note})".strip()
        return Draft(summary=note, message=last_text, output=text)

    async def _judge(self, context: RunContext, draft: Draft, usage: Usage, trace: list[dict[str, Any]]) -> Judgement:
        config = self.llm.config
        prompt = render("judge", **judge_values(context, draft.summary, draft.message, draft.output))
        reply = await self.llm.create(usage, model=config.judge_model, max_tokens=config.judge_max_tokens,
                                      system=JUDGE_SYSTEM, tools=[VERDICT_TOOL], tool_choice=FORCE_VERDICT,
                                      messages=[{"role": "user", "content": prompt}])
        judgement = interpret(context.job.id, JobType(context.job.job_type),
                              tool_input(reply.content, VERDICT_TOOL["name"]), draft.message)
        trace.append(judgement.trace())
        if judgement.note:
            log.info("judge answer mapped: %s", judgement.note, extra={"job_id": context.job.id})
        return judgement


def system_blocks(context: RunContext) -> list[dict[str, Any]]:
    """Our system prompt, then the job's own (appended, never replacing ours)."""
    blocks = [{"type": "text", "text": render("execute", **execute_values(context))}]
    if context.job.system_prompt:
        blocks.append({"type": "text", "text": "## The person's system prompt for this job\n"
                                               + context.job.system_prompt})
    return cached(blocks)


def cached(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The blocks with a cache breakpoint on the last: tool definitions and the system prompt are the long,
    repeated prefix of every turn and every run of the job, so later calls read them from the prompt cache."""
    if not blocks:
        return blocks
    return [*blocks[:-1], {**blocks[-1], "cache_control": {"type": "ephemeral"}}]


def _turn_step(turn: int, model: str, reply: Any, said: str, uses: list[dict[str, Any]]) -> dict[str, Any]:
    """One model turn for the trace: what it said and which tools it called."""
    usage = getattr(reply, "usage", None)
    step: dict[str, Any] = {"step": "turn", "turn": turn, "model": model, "stop": getattr(reply, "stop_reason", None),
                            "tokens_in": getattr(usage, "input_tokens", 0) or 0,
                            "tokens_out": getattr(usage, "output_tokens", 0) or 0,
                            "calls": [u["name"] for u in uses]}
    if said:
        step["text"] = short(said)
    return step


def _assistant_blocks(content: Any) -> list[dict[str, Any]]:
    """The reply's text and tool_use blocks as plain dicts, to send back in the next turn."""
    blocks: list[dict[str, Any]] = []
    for block in content or []:
        kind = getattr(block, "type", None)
        if kind == "text":
            blocks.append({"type": "text", "text": block.text})
        elif kind == "tool_use":
            blocks.append({"type": "tool_use", "id": block.id, "name": block.name, "input": block.input})
    return blocks


def _failed(error: str, retryable: bool, tools: RunTools, usage: Usage) -> ActionResult:
    return ActionResult(outcome=RunOutcome.FAILED, error=error, retryable=retryable, summary=error, notify=False,
                        new_state=tools.new_state, trace=tools.trace, **usage.fields())


def _result(context: RunContext, draft: Draft, judgement: Judgement, tools: RunTools, usage: Usage) -> ActionResult:
    if judgement.verdict == Verdict.FAILED:
        error = f"judged failed: {judgement.reason}" if judgement.reason else "judged failed"
        return ActionResult(outcome=RunOutcome.FAILED, error=error, retryable=True, summary=draft.summary,
                            output=draft.output, message=judgement.message, notify=judgement.notify,
                            new_state=tools.new_state, trace=tools.trace, **usage.fields())
    return ActionResult(outcome=RunOutcome.SUCCEEDED, verdict=judgement.verdict, summary=draft.summary,
                        output=draft.output, message=judgement.message or None, notify=judgement.notify,
                        new_state=tools.new_state, trace=tools.trace, **usage.fields())
