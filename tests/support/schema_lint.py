"""The MCP Inspector's schema-portability rules (`mcp-inspector --cli ... --method tools/list --strict`), in Python.

Ported from @modelcontextprotocol/inspector 2.12.0, clients/cli (core/json/schemaLint.ts), so CI checks
tools/list without node. Its rules, over every input and output schema of every tool:
- type-union (warning): `type` is a list, e.g. ["string", "null"];
- remote-ref (warning): a `$ref` that does not start with `#` (when no `$id` is declared);
- untyped-schema (warning): a schema with no constraining keyword at all (accepts anything);
- boolean-schema (error): a bare `true`/`false` where a schema object belongs.
One rule of ours on top, `null-branch`: no `{"type": "null"}` anywhere, since OpenAPI-subset
dialects (Gemini function declarations) have no null type. The Inspector itself does not flag it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_BOOLEAN_VALUED = {"additionalProperties", "unevaluatedProperties", "additionalItems", "unevaluatedItems"}
_ONE = ["items", "contains", "not", "propertyNames", "if", "then", "else", "additionalProperties",
        "unevaluatedProperties", "additionalItems", "unevaluatedItems", "contentSchema"]
_LISTS = ["allOf", "anyOf", "oneOf", "prefixItems"]
_MAPS = ["properties", "patternProperties", "dependentSchemas", "dependencies", "$defs", "definitions"]
_CONSTRAINING = {
    "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "format", "contentMediaType", "contentEncoding", "contentSchema",
    "maxItems", "minItems", "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties",
    "required", "dependentRequired", "allOf", "anyOf", "oneOf", "not", "items", "prefixItems", "contains",
    "additionalItems", "unevaluatedItems", "properties", "patternProperties", "additionalProperties",
    "unevaluatedProperties", "propertyNames", "dependentSchemas", "dependencies", "$ref", "$dynamicRef",
    "$recursiveRef",
}
_TYPES = {"null", "boolean", "object", "array", "number", "string", "integer"}
_MAX_DEPTH = 64


@dataclass(frozen=True)
class Finding:
    tool: str
    rule: str
    severity: str  # "error" or "warning", as the Inspector says
    path: str  # e.g. inputSchema.properties.cron

    def __str__(self) -> str:
        return f"{self.severity}: {self.tool} {self.path}: {self.rule}"


def _children(node: dict[str, Any], path: str) -> Iterator[tuple[Any, str, str]]:
    for key in _MAPS:
        if isinstance(node.get(key), dict):
            for name, sub in node[key].items():
                yield sub, f"{path}.{key}.{name}", key
    for key in _LISTS:
        if isinstance(node.get(key), list):
            for i, sub in enumerate(node[key]):
                yield sub, f"{path}.{key}[{i}]", key
    for key in _ONE:
        if key not in node:
            continue
        if key == "items" and isinstance(node[key], list):
            for i, sub in enumerate(node[key]):
                yield sub, f"{path}.items[{i}]", key
        else:
            yield node[key], f"{path}.{key}", key


def _has_id(node: Any, depth: int = 0) -> bool:
    if depth > _MAX_DEPTH or not isinstance(node, dict):
        return False
    if isinstance(node.get("$id"), str) and node["$id"]:
        return True
    return any(_has_id(child, depth + 1) for child, _, _ in _children(node, ""))


def _constrains(node: dict[str, Any]) -> bool:
    return any(key in _CONSTRAINING for key in node) or ("if" in node and ("then" in node or "else" in node))


def _node_findings(tool: str, node: dict[str, Any], path: str, keyword: str | None,
                   embedded_ids: bool) -> Iterator[Finding]:
    kinds = node.get("type")
    if isinstance(kinds, list) and kinds and all(k in _TYPES for k in kinds) and len(set(kinds)) == len(kinds):
        yield Finding(tool, "type-union", "warning", path)
    ref = node.get("$ref")
    if isinstance(ref, str) and ref and not ref.startswith("#") and not embedded_ids:
        yield Finding(tool, "remote-ref", "warning", path)
    if not _constrains(node) and keyword != "not":
        yield Finding(tool, "untyped-schema", "warning", path)
    if kinds == "null" or (isinstance(kinds, list) and "null" in kinds):
        yield Finding(tool, "null-branch", "warning", path)


def _walk(tool: str, node: Any, path: str, keyword: str | None, depth: int, embedded_ids: bool) -> Iterator[Finding]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, bool):
        if keyword is None or keyword not in _BOOLEAN_VALUED:
            yield Finding(tool, "boolean-schema", "error", path)
        return
    if not isinstance(node, dict):
        return
    yield from _node_findings(tool, node, path, keyword, embedded_ids)
    for child, child_path, child_keyword in _children(node, path):
        yield from _walk(tool, child, child_path, child_keyword, depth + 1, embedded_ids)


def lint_tools(tools: list[dict[str, Any]]) -> list[Finding]:
    """Every finding over the tools of a tools/list answer (as JSON: inputSchema, outputSchema)."""
    findings: list[Finding] = []
    for tool in tools:
        for kind in ("inputSchema", "outputSchema"):
            schema = tool.get(kind)
            if schema is not None:
                findings.extend(_walk(tool["name"], schema, kind, None, 0, _has_id(schema)))
    return findings


def inspector_count(findings: list[Finding]) -> int:
    """What the Inspector itself counts (errors and warnings), leaving out our own null-branch rule."""
    return sum(1 for f in findings if f.rule != "null-branch")
