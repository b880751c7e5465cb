"""Tool schemas as every client reads them: no null branches, no type lists, no generated titles.

pydantic writes an optional argument as `anyOf: [{type: T}, {type: null}]` with `default: null`
and titles every property ("Job Type"). OpenAPI-subset dialects (Gemini function declarations)
reject the null branch and the MCP Inspector's `--strict` flags type lists; the titles only cost
tokens. Our answers never carry null (an absent field is unset, jobs_mcp/results.py), and an
optional argument may simply be left out, so dropping the null branch changes no contract.
`tests/support/schema_lint.py` checks the result with the Inspector's rules.
"""

from __future__ import annotations

import inspect
from typing import Any

from mcp_types import Tool as MCPTool

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


def portable_tool(tool: MCPTool) -> MCPTool:
    """The tool with portable schemas and its description dedented (docstrings carry code indentation)."""
    return tool.model_copy(update={
        "description": inspect.cleandoc(tool.description or ""),
        "input_schema": portable(tool.input_schema),
        "output_schema": portable(tool.output_schema) if tool.output_schema is not None else None,
    })
