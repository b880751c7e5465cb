"""The import rules of docs/architecture.md, checked on the source as it is.

Every module of jobs_mcp/, scheduler/ and store/ is parsed with `ast` (nothing is imported), and
every import of the project's own packages is checked against the table below: what each room may
import. Imports inside functions and under TYPE_CHECKING count like any other.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("jobs_mcp", "scheduler", "store")

# room -> what its modules may import (a module or a package, with everything below it).
# A room always may import itself. Keep in step with docs/architecture.md.
ALLOWED: dict[str, frozenset[str]] = {
    "jobs_mcp": frozenset({"jobs_mcp", "scheduler", "store"}),
    "scheduler.llm": frozenset({"scheduler.engine.actions", "scheduler.jobs", "scheduler.schedules",
                                "scheduler.clock", "scheduler.net_guard", "scheduler.agent_tools", "store"}),
    "scheduler.agent_tools": frozenset({"store"}),
    "scheduler.engine": frozenset({"scheduler.jobs", "scheduler.schedules", "scheduler.clock", "store"}),
    "scheduler.delivery": frozenset({"scheduler.clock", "scheduler.net_guard", "scheduler.pinned_dns",
                                     "scheduler.channel_urls", "store"}),
    "scheduler.search": frozenset({"store"}),
    "scheduler.jobs": frozenset({"scheduler.schedules", "scheduler.clock", "scheduler.net_guard",
                                 "scheduler.channel_urls", "store"}),
    "scheduler.schedules": frozenset({"store.enums", "store.errors"}),
    "scheduler.clock": frozenset(),
    "scheduler.net_guard": frozenset(),
    "scheduler.pinned_dns": frozenset(),
    "scheduler.channel_urls": frozenset({"scheduler.net_guard", "store.errors"}),
    "scheduler": frozenset(),  # scheduler/__init__.py
    "store": frozenset(),
}
# Single modules with one more allowance than their room.
MODULE_EXTRA: dict[str, frozenset[str]] = {
    "scheduler.schedules.job_schedule": frozenset({"store.models"}),  # the schedule of a stored Job
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def room_of(module: str) -> str:
    """jobs_mcp and store are one room each; scheduler has a room per sub-package or top module."""
    parts = module.split(".")
    if parts[0] == "scheduler" and len(parts) > 1:
        return f"scheduler.{parts[1]}"
    return parts[0]


def source_modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def project_imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The project modules (or packages) `module` imports, relative imports resolved."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from scheduler import clock` imports the module scheduler.clock.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        found.update(name for name in names if name.split(".")[0] in PACKAGES)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = source_modules()
    known = set(modules)
    return {module: project_imports(module, path, known) for module, path in modules.items()}


def allows(module: str, target: str) -> bool:
    room = room_of(module)
    if room_of(target) == room:
        return True
    allowed = ALLOWED[room] | MODULE_EXTRA.get(module, frozenset())
    return any(target == entry or target.startswith(entry + ".") for entry in allowed)


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph as a path [a, b, ..., a], or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


def test_the_parser_sees_the_imports_it_checks() -> None:
    graph = import_graph()
    assert len(graph) > 60
    assert "store.claims" in graph["scheduler.engine.runner"]
    assert "scheduler.engine.actions" in graph["scheduler.llm.agent_action"]
    assert "scheduler.net_guard" in graph["jobs_mcp.config"]  # an import inside a function counts


def test_every_module_belongs_to_a_room_with_rules() -> None:
    unknown = sorted({room_of(module) for module in import_graph()} - set(ALLOWED))
    assert not unknown, f"rooms without import rules (add them here and to docs/architecture.md): {unknown}"


def test_every_import_keeps_the_rules_of_its_room() -> None:
    broken = [f"{module} imports {target}" for module, targets in sorted(import_graph().items())
              for target in sorted(targets) if not allows(module, target)]
    assert not broken, "imports docs/architecture.md does not allow:\n" + "\n".join(broken)


def test_no_cycle_between_rooms() -> None:
    rooms: dict[str, set[str]] = defaultdict(set)
    for module, targets in import_graph().items():
        rooms[room_of(module)].update(room_of(t) for t in targets if room_of(t) != room_of(module))
    cycle = find_cycle(rooms)
    assert cycle is None, "rooms import each other in a circle: " + " -> ".join(cycle or [])
