"""Tool schemas as every client reads them: no null branches, no type lists, no generated titles.

pydantic writes an optional argument as `anyOf: [{type: T}, {type: null}]` with `default: null`
and titles every property ("Job Type"). OpenAPI-subset dialects (Gemini function declarations)
reject the null branch and the MCP Inspector's `--strict` flags type lists; the titles only cost
tokens. Our answers never carry null (an absent field is unset, jobs_mcp/results.py), and an
optional argument may simply be left out, so dropping the null branch changes no contract.
`tests/support/schema_lint.py` checks the result with the Inspector's rules.

Output schemas type one by one only the fields every answer carries (`folded`, `TYPED_FIELDS`); the
other fields are named in the view's description, those a brief answer may carry apart from the full
answer's (`BRIEF_FIELDS`). Every client of the official SDK checks each
output schema against the JSON Schema meta-schema once per session, at a cost that grows with the
number of typed properties (about 0.17 ms each quiet, 0.5 ms on 2 busy cores), and every session's
tools/list carries them: typing all 90 fields of `job_retrieval_by_id`'s answer cost a client 40-90 ms
per session and halved the calls/s of 100 clients of 10 calls each; typing a brief answer's fields
still held that benchmark under 0.8 × a bare server (docs/performance.md). A schema without a
property still accepts it, so the same schema holds for both forms.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Collection, Mapping
from typing import Any

from mcp_types import Tool as MCPTool

from jobs_mcp.results import BRIEF_FIELDS, TYPED_FIELDS

# Keywords whose value is a map of name -> schema, a list of schemas, or one schema.
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = ("items", "additionalProperties", "not", "contains", "propertyNames")


def portable(schema: Any) -> Any:
    """A copy of the JSON schema `schema` with null branches and generated titles removed."""
    if not isinstance(schema, dict):
        return schema
    node: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            node[key] = {name: portable(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            node[key] = [portable(sub) for sub in value if sub != {"type": "null"}]
        elif key in _SCHEMA_ONE:
            node[key] = portable(value)
        elif key == "title" or (key == "default" and value is None):
            continue
        else:
            node[key] = value
    return _collapse(node)


def _collapse(node: dict[str, Any]) -> dict[str, Any]:
    kinds = node.get("type")
    if isinstance(kinds, list):
        kinds = [k for k in kinds if k != "null"]
        node["type"] = kinds[0] if len(kinds) == 1 else kinds
    for key in ("anyOf", "oneOf"):
        branches = node.get(key)
        if isinstance(branches, list) and len(branches) == 1:
            # One branch left: it is the schema (the node's own description and bounds stay).
            node.pop(key)
            node = {**branches[0], **node}
    return node


def folded(schema: dict[str, Any], typed: Mapping[str, Collection[str]] = TYPED_FIELDS,
           brief: Mapping[str, Collection[str]] = BRIEF_FIELDS) -> dict[str, Any]:
    """A copy of the output schema `schema` whose `$defs` named in `typed` keep only those properties; the
    others are listed, with their defaults, in the definition's description: first those a brief answer
    may carry (`brief`), then the full answer's. Definitions no longer referenced are dropped."""
    defs = schema.get("$defs")
    if not isinstance(defs, dict):
        return schema
    defs = dict(defs)
    for name, keep in typed.items():
        view = defs.get(name)
        if not isinstance(view, dict) or not isinstance(view.get("properties"), dict):
            continue
        untyped = [(field, sub) for field, sub in view["properties"].items() if field not in keep]
        if not untyped:
            continue
        in_brief = brief.get(name, ())
        lists = (("Also in a brief answer", [_named(f, sub) for f, sub in untyped if f in in_brief]),
                 ("With detail full also", [_named(f, sub) for f, sub in untyped if f not in in_brief]))
        note = " ".join(f"{label}: {', '.join(named)}." for label, named in lists if named)
        defs[name] = {**view, "properties": {f: s for f, s in view["properties"].items() if f in keep},
                      "description": f"{view['description']} {note}" if view.get("description") else note}
    body = {key: value for key, value in schema.items() if key != "$defs"}
    used = _referenced(body, defs)
    return {**body, "$defs": {name: defs[name] for name in defs if name in used}} if used else body


def _named(field: str, schema: Any) -> str:
    """A folded field in words, with its default: an answer leaves out a field at its default."""
    if isinstance(schema, dict) and "default" in schema:
        return f"{field} (default {json.dumps(schema['default'])})"
    return field


def _referenced(node: Any, defs: dict[str, Any]) -> set[str]:
    """Names of the `$defs` that `node` reaches through `#/$defs/...` references, transitively."""
    found: set[str] = set()
    pending = [node]
    while pending:
        text = json.dumps(pending.pop())
        for name in defs:
            if name not in found and f'"#/$defs/{name}"' in text:
                found.add(name)
                pending.append(defs[name])
    return found


def inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of `schema` with every `$defs` entry that is referenced once written in place of its `$ref`.

    The SDK client checks every answer against the output schema, and jsonschema resolves a `$ref` per
    instance it reaches: the ten hits of a search answer took 0.51 ms to check with `ScoredJob` and
    `JobView` behind references, 0.36 ms with them in place (docs/performance.md, search). A definition
    used twice stays shared (written twice it would grow tools/list and the client's once-per-session
    check of the schema); so does one that refers to itself.
    """
    defs = schema.get("$defs")
    if not isinstance(defs, dict):
        return schema
    counts: dict[str, int] = {}
    _count_refs(schema, counts)
    single = {name for name in defs if counts.get(name) == 1 and f'"#/$defs/{name}"' not in json.dumps(defs[name])}

    def place(node: Any) -> Any:
        if isinstance(node, list):
            return [place(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.removeprefix("#/$defs/") in single:
            target = place(defs[ref.removeprefix("#/$defs/")])
            siblings = {key: place(value) for key, value in node.items() if key != "$ref"}
            if "description" in siblings and "description" in target:  # both said something: keep both
                siblings["description"] = f"{siblings['description'].rstrip('.')}. {target['description']}"
            return {**target, **siblings}
        return {key: place(value) for key, value in node.items() if key != "$defs"}

    body = place(schema)
    kept = {name: place(sub) for name, sub in defs.items() if name not in single}
    return {**body, "$defs": kept} if kept else body


def _count_refs(node: Any, counts: dict[str, int]) -> None:
    if isinstance(node, list):
        for item in node:
            _count_refs(item, counts)
    elif isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.removeprefix("#/$defs/")
            counts[name] = counts.get(name, 0) + 1
        for value in node.values():
            _count_refs(value, counts)


def portable_tool(tool: MCPTool) -> MCPTool:
    """The tool with portable schemas and its description dedented (docstrings carry code indentation)."""
    return tool.model_copy(update={
        "description": inspect.cleandoc(tool.description or ""),
        "input_schema": portable(tool.input_schema),
        "output_schema": inlined(folded(portable(tool.output_schema))) if tool.output_schema is not None else None,
    })
