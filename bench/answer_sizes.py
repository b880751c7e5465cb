"""What a model reads: the size of each tool's answer (brief and full) and of tools/list.

Sizes are characters of the text content the official MCP client (`mcp.Client`, in-memory transport)
receives, which is what a chat agent puts into its context. The scenario is realistic rather than
minimal: 20 jobs with plain-words schedules, zones, chats and a webhook; one agent job with 5
finished runs (a summary and a few paragraphs of output each); an inbox with messages.
Also printed: the model-visible part of tools/list (name, description and input schema of each
tool, compact JSON), the whole tools/list answer with the output schemas, the server instructions,
and the schema-portability findings by the MCP Inspector's --strict rules (tests/support/schema_lint.py).

Targets (issue 14): job_create <= 600, job_list of 20 jobs <= 4,000, job_retrieval_by_id with
5 runs <= 2,500, model-visible tools/list < 14,000.

    .venv/bin/python bench/answer_sizes.py [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from mcp import Client  # noqa: E402
from mcp_types import CallToolResult  # noqa: E402

from jobs_mcp.app import build_app  # noqa: E402
from jobs_mcp.config import Settings  # noqa: E402
from jobs_mcp.server import build_server  # noqa: E402
from scheduler.clock import FakeClock  # noqa: E402
from scheduler.engine.actions import ActionResult, RunContext  # noqa: E402
from tests.support.schema_lint import inspector_count, lint_tools  # noqa: E402

START = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
TARGETS = {"job_create": 600, "job_list": 4000, "job_retrieval_by_id": 2500}
TOOLS_LIST_TARGET = 14000
JOBS = [
    ("Pending invoices", "Remind me to check the pending invoices and chase the overdue ones", "every Monday at 9am",
     "Europe/Berlin"),
    ("Standup note", "Post the standup note in the team channel", "every weekday at 8:45", "Europe/London"),
    ("Water the plants", "Water the plants on the balcony", "every 3 days at 7pm", "Europe/Berlin"),
    ("Quarterly taxes", "Prepare the quarterly VAT return and send it to the accountant",
     "on the 10th of every month at 10am", "Europe/Paris"),
    ("Mum's birthday", "Remind me to call Mum for her birthday", "on 2027-03-14 at 9am", "America/New_York"),
    ("Competitor pricing", "Check https://example.com/pricing and tell me what changed since last time",
     "every day at 8am", "America/Los_Angeles"),
    ("Gym", "Time for the gym", "every Tuesday and Thursday at 6:30pm", "Europe/Madrid"),
    ("Server certificates", "Check which TLS certificates on db-prod expire within 30 days", "every 12 hours",
     "UTC"),
    ("Team retro", "Collect three things that went well and three to improve for the retro",
     "every other Friday at 3pm", "Europe/Amsterdam"),
    ("Rent", "Pay the rent to the landlord", "on the 1st of every month at 8am", "Europe/Berlin"),
    ("Newsletter", "Draft this week's newsletter from the notes in the shared folder", "every Thursday at 11am",
     "Australia/Sydney"),
    ("Backup check", "Verify last night's backup finished and report its size", "every day at 7:15",
     "Asia/Tokyo"),
    ("Flight prices", "Look up flight prices from Berlin to Lisbon for the first week of May",
     "every 6 hours", "Europe/Berlin"),
    ("Book club", "Remind me to finish the book for the club", "on the last Wednesday of every month at 6pm",
     "Europe/Dublin"),
    ("Dentist", "Call the dentist to book the check-up", "tomorrow at 10am", "Europe/Berlin"),
    ("Domain renewal", "Renew example.org before it expires", "on 2027-01-15 at 12:00", "UTC"),
    ("Weekly report", "Summarise the week's sales figures for the board", "every Friday at 5pm",
     "America/Chicago"),
    ("Drink water", "Drink a glass of water", "every 2 hours", "Europe/Berlin"),
    ("Sprint planning", "Prepare the backlog for sprint planning", "every other Monday at 10am",
     "Europe/Stockholm"),
    ("Oil change", "Book the car in for an oil change", "in 3 weeks", "Europe/Berlin"),
]
OUTPUT = ("The pricing page lists three plans. Starter stays at $9 a month. Pro went from $29 to $25 a month "
          "and now includes 5 seats instead of 3. Enterprise is still 'contact sales'. The annual discount is "
          "unchanged at 20 %. A banner announces a free trial of 14 days, new since the last check. Nothing "
          "else on the page changed; the FAQ and the comparison table are the same as last time.")


class ScriptedAgent:
    """Stands in for the LLM pipeline: each run reports what a real agent run reports."""

    def __init__(self) -> None:
        self.count = 0

    async def __call__(self, context: RunContext) -> ActionResult:
        self.count += 1
        return ActionResult(summary=f"Pro plan at $25/month (was $29), 5 seats; free trial banner new (check "
                                    f"{self.count})", output=OUTPUT, message=f"Pricing check {self.count}: "
                                    "Pro is $25 now.", tokens_in=1800, tokens_out=240, cost_usd=0.0094)


def text_of(result: CallToolResult) -> str:
    if result.is_error:
        raise SystemExit(f"tool error: {result.content}")
    texts = [c.text for c in result.content if c.type == "text"]
    return "".join(texts)


def tools_list_figures(tools: list[Any], instructions: str | None) -> dict[str, int]:
    """Sizes of tools/list (model-visible part and whole answer, compact JSON) and its portability findings."""
    listed = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]
    visible = [{"name": t["name"], "description": t.get("description"), "inputSchema": t["inputSchema"]}
               for t in listed]
    compact = {"separators": (",", ":"), "ensure_ascii": False}
    findings = lint_tools(listed)
    return {"visible": len(json.dumps(visible, **compact)), "whole": len(json.dumps(listed, **compact)),
            "instructions": len(instructions or ""), "inspector_findings": inspector_count(findings),
            "null_branches": len(findings) - inspector_count(findings)}


async def measure(state: Any, server: Any, clock: FakeClock) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    sizes: dict[str, dict[str, int]] = {}

    async with Client(server) as client:
        tools = (await client.list_tools()).tools
        server_instructions = client.instructions
        has_detail = {t.name for t in tools if "detail" in t.input_schema.get("properties", {})}

        async def call(tool: str, args: dict[str, Any]) -> None:
            row = sizes.setdefault(tool, {})
            row["brief"] = len(text_of(await client.call_tool(tool, args)))
            if tool in has_detail:
                row["full"] = len(text_of(await client.call_tool(tool, {**args, "detail": "full"})))

        first = None
        for i, (title, instructions, schedule, zone) in enumerate(JOBS):
            args = {"title": title, "instructions": instructions, "schedule": schedule, "timezone": zone,
                    "chat_id": "chat-7f3a9c", "action": "notify" if i % 3 else "agent"}
            if i == 5:
                args |= {"webhook_url": "https://hooks.example.com/jobs", "webhook_secret": "s3cret-s3cret-s3cret"}
            result = await client.call_tool("job_create", args)
            created = result.structured_content or {}
            if first is None:
                sizes["job_create"] = {"brief": len(text_of(result))}
                first = created["job"]["id"]
        watch = await client.call_tool("job_create", {
            "title": "Watch the pricing page", "instructions": "Check https://example.com/pricing for the Pro plan "
            "price", "job_type": "ONGOING", "interval_seconds": 3600, "end_condition": "the Pro plan costs less "
            "than $20", "chat_id": "chat-7f3a9c"})
        watch_id = (watch.structured_content or {})["job"]["id"]
        poller = state.engine.poller
        for _ in range(5):
            clock.advance(3601)
            await poller.tick_until_idle(clock.now())

        await call("job_list", {"limit": 20})
        await call("job_retrieval_by_id", {"job_id": watch_id, "runs": 5})
        await call("job_runs", {"job_id": watch_id, "limit": 5})
        await call("job_update", {"job_id": first, "title": "Pending invoices (Berlin office)"})
        await call("job_pause", {"job_id": first, "reason": "on holiday"})
        await call("schedule_preview", {"schedule": "every weekday at 8:30", "timezone": "Europe/Berlin"})
        await call("job_retrieval_by_keywords", {"keywords": "invoices", "limit": 5})
        await call("job_retrieval_semantic", {"query": "the thing about money clients owe me", "limit": 5})
        await call("job_inbox", {"chat_id": "chat-7f3a9c", "limit": 5, "ack": False})
    return sizes, tools_list_figures(tools, server_instructions)


def report(sizes: dict[str, dict[str, int]], tools_list: dict[str, int]) -> None:
    print("| tool | brief | full | target |")
    print("|---|---|---|---|")
    for tool, row in sizes.items():
        target = TARGETS.get(tool)
        mark = "" if target is None else f"<= {target:,} ({'met' if row['brief'] <= target else 'NOT met'})"
        full = f"{row['full']:,}" if "full" in row else "-"
        print(f"| `{tool}` | {row['brief']:,} | {full} | {mark} |")
    visible = tools_list["visible"]
    print(f"\ntools/list, model-visible (names, descriptions, input schemas): {visible:,} characters "
          f"(target < {TOOLS_LIST_TARGET:,}: {'met' if visible < TOOLS_LIST_TARGET else 'NOT met'})")
    print(f"tools/list, whole answer with output schemas and annotations: {tools_list['whole']:,} characters")
    print(f"server instructions: {tools_list['instructions']:,} characters")
    print(f"schema-portability findings by the Inspector's --strict rules: {tools_list['inspector_findings']}; "
          f"null branches: {tools_list['null_branches']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the engine's scheduler logs every pass, and its cancellation at the end
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock(START)
        state = build_app(Settings(database_url=f"sqlite:///{tmp}/sizes.db", timezone="Europe/Berlin"), clock,
                          actions={"agent": ScriptedAgent()})
        try:
            sizes, tools_list = asyncio.run(measure(state, build_server(state), clock))
        finally:
            state.close()
    if args.json:
        print(json.dumps({"answers": sizes, "tools_list": tools_list}))
    else:
        report(sizes, tools_list)


if __name__ == "__main__":
    main()
