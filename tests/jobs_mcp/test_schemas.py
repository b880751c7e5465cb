"""tools/list as a client sees it: portable schemas (the Inspector's --strict rules), within its size budget."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from jobs_mcp.results import JobView, RunView
from jobs_mcp.schemas import folded, inlined, portable
from jobs_mcp.server import JobsServer
from tests.support.schema_lint import inspector_count, lint_tools

# What a model reads of tools/list (names, descriptions, input schemas, compact JSON) for all 17 tools; was
# 20,183 for 13. The goal of issue 14, kept as tools were added: a new field's words come out of old ones.
TOOLS_LIST_BUDGET = 14_000


async def listed(server: JobsServer) -> list[dict[str, Any]]:
    async with Client(server) as client:
        return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in (await client.list_tools()).tools]


async def test_every_input_and_output_schema_is_portable(server: JobsServer) -> None:
    tools = await listed(server)
    assert all("outputSchema" in t for t in tools)  # both kinds are really checked
    assert [str(f) for f in lint_tools(tools)] == []


async def test_the_model_visible_part_of_tools_list_keeps_its_budget(server: JobsServer) -> None:
    tools = await listed(server)
    visible = [{"name": t["name"], "description": t["description"], "inputSchema": t["inputSchema"]}
               for t in tools]
    size = len(json.dumps(visible, ensure_ascii=False, separators=(",", ":")))
    assert size < TOOLS_LIST_BUDGET, (
        f"{size} characters: trim descriptions (bench/answer_sizes.py shows each)")
    # The guidance is still there: examples on job_create, the shared meaning pointed to from job_update.
    by_name = {t["name"]: t for t in tools}
    assert "every Monday at 9am" in by_name["job_create"]["description"]
    assert "job_create" in by_name["job_update"]["description"]
    assert all(not line.startswith("    ") for t in tools for line in t["description"].splitlines())


async def test_output_schemas_type_the_brief_fields_and_name_the_others(server: JobsServer) -> None:
    # Each typed property costs every SDK client a meta-schema check per session (docs/performance.md).
    schema = {t["name"]: t for t in await listed(server)}["job_retrieval_by_id"]["outputSchema"]
    job, run = schema["properties"]["job"], schema["properties"]["runs"]["items"]  # used once: written in place
    assert set(job["properties"]) == JobView.TYPED and set(run["properties"]) == RunView.TYPED
    assert set(job["required"]) <= JobView.TYPED
    assert "cron, interval_seconds" in job["description"] and "steps." in run["description"]
    assert "max_attempts (default 3)" in job["description"]  # the defaults an answer leaves out stay named
    # A brief answer's untyped fields are not said to come with detail full only.
    brief_part, full_part = job["description"].split("With detail full also:")
    assert "next_run_local" in brief_part and "next_run_local" not in full_part
    assert "verdict" in run["description"].split("With detail full also:")[0]
    assert "$defs" not in schema  # StepView and DeliveryView were only under the full fields


async def test_search_answers_are_checked_without_reference_lookups(server: JobsServer) -> None:
    # The client checks every answer against the output schema; a $ref per hit was the largest item of a search.
    tools = {t["name"]: t for t in await listed(server)}
    for name in ("job_retrieval_by_keywords", "job_retrieval_semantic"):
        schema = tools[name]["outputSchema"]
        assert "$ref" not in json.dumps(schema)
        assert set(schema["properties"]["jobs"]["items"]["properties"]["job"]["properties"]) == JobView.TYPED


def test_inlining_writes_single_use_definitions_in_place_and_keeps_shared_ones() -> None:
    schema = {"type": "object", "properties": {
        "a": {"$ref": "#/$defs/A", "description": "The a"}, "s1": {"$ref": "#/$defs/S"},
        "s2": {"type": "array", "items": {"$ref": "#/$defs/S"}}, "r": {"$ref": "#/$defs/R"}},
        "$defs": {"A": {"type": "object", "description": "An A.", "properties": {"b": {"$ref": "#/$defs/B"}}},
                  "B": {"type": "integer"}, "S": {"type": "string"},
                  "R": {"type": "object", "properties": {"next": {"$ref": "#/$defs/R"}}}}}
    out = inlined(schema)
    assert out["properties"]["a"] == {"type": "object", "description": "The a. An A.",
                                      "properties": {"b": {"type": "integer"}}}
    assert out["properties"]["s1"] == {"$ref": "#/$defs/S"} and out["properties"]["r"] == {"$ref": "#/$defs/R"}
    assert set(out["$defs"]) == {"S", "R"}  # used twice; refers to itself
    assert inlined({"type": "object"}) == {"type": "object"}


def test_folding_keeps_definitions_still_referenced_and_leaves_others_alone() -> None:
    a = {"x": {"type": "string"}, "b": {"$ref": "#/$defs/B"}, "y": {"$ref": "#/$defs/Y"},
         "n": {"type": "integer", "default": 0}}
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}, "c": {"$ref": "#/$defs/C"}},
              "$defs": {"A": {"type": "object", "properties": a},
                        "B": {"type": "object", "properties": {"z": {"type": "integer"}}},
                        "Y": {"type": "object"}, "C": {"type": "object", "properties": {"w": {"type": "string"}}}}}
    out = folded(schema, {"A": {"x", "b"}})
    assert out["$defs"]["A"]["properties"] == {"x": {"type": "string"}, "b": {"$ref": "#/$defs/B"}}
    assert out["$defs"]["A"]["description"] == "With detail full also: y, n (default 0)."
    assert set(out["$defs"]) == {"A", "B", "C"} and out["$defs"]["C"] == schema["$defs"]["C"]
    assert folded({"type": "object"}) == {"type": "object"}
    # Untyped fields a brief answer may carry are named apart from the full answer's.
    split = folded(schema, {"A": {"x", "b"}}, {"A": {"y"}})
    assert split["$defs"]["A"]["description"] == "Also in a brief answer: y. With detail full also: n (default 0)."


@pytest.mark.parametrize(("schema", "rule"), [
    ({"type": "object", "properties": {"a": {"type": ["string", "integer"]}}}, "type-union"),
    ({"type": "object", "properties": {"a": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}, "null-branch"),
    ({"type": "object", "properties": {"a": {"description": "anything"}}}, "untyped-schema"),
    ({"type": "object", "properties": {"a": True}}, "boolean-schema"),
    ({"type": "object", "properties": {"a": {"$ref": "https://example.com/s.json"}}}, "remote-ref"),
    ({"type": "object", "$defs": {"X": {"type": "array", "items": {}}}}, "untyped-schema"),
])
def test_the_lint_finds_each_rule(schema: dict[str, Any], rule: str) -> None:
    findings = lint_tools([{"name": "t", "inputSchema": {"type": "object"}, "outputSchema": schema}])
    assert [f.rule for f in findings] == [rule]
    assert findings[0].path.startswith("outputSchema.")


def test_the_lint_leaves_what_is_portable_alone() -> None:
    schema = {"type": "object", "additionalProperties": False, "properties": {
        "a": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "b": {"$ref": "#/$defs/B"}, "c": {"not": {}}}, "$defs": {"B": {"enum": ["x"]}}}
    findings = lint_tools([{"name": "t", "inputSchema": schema}])
    assert findings == [] and inspector_count(findings) == 0


def test_portable_drops_null_branches_and_titles_but_keeps_meaning() -> None:
    schema = {
        "title": "job_createArguments", "type": "object", "required": ["title"],
        "properties": {
            "title": {"title": "Title", "type": "string", "maxLength": 200},
            "cron": {"anyOf": [{"type": "string", "maxLength": 120}, {"type": "null"}], "default": None,
                     "description": "A cron line", "title": "Cron"},
            "status": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}},
                                 {"type": "null"}], "default": None},
            "limit": {"type": "integer", "default": 50},
            "next": {"type": ["string", "null"]},
        },
    }
    assert portable(schema) == {
        "type": "object", "required": ["title"],
        "properties": {
            "title": {"type": "string", "maxLength": 200},
            "cron": {"type": "string", "maxLength": 120, "description": "A cron line"},
            "status": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "limit": {"type": "integer", "default": 50},
            "next": {"type": "string"},
        },
    }
    assert schema["properties"]["cron"]["default"] is None  # the SDK's own copy is left as it was
