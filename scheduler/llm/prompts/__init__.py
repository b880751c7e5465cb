"""The prompt templates (the `*.md` files of this package), loaded by name and rendered with a strict
variable check.

They ship in the wheel as package data and are read through importlib.resources, so an installed
server finds them wherever it lives. Templates use `string.Template` syntax (`$name` / `${name}`;
`$$` for a dollar sign). Rendering with a missing variable, or with a variable the template does
not use, is a `PromptError`: a renamed placeholder fails loudly in tests instead of reaching the
model as literal `$text`.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from string import Template

PROMPTS_DIR: Traversable = resources.files(__name__)


class PromptError(Exception):
    """A prompt file is missing, malformed, or rendered with the wrong variables."""


@lru_cache(maxsize=32)
def load_template(name: str, directory: Traversable = PROMPTS_DIR) -> Template:
    path = directory / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptError(f"prompt {name!r} cannot be read from {path}: {exc.strerror}") from exc
    template = Template(text)
    if not template.is_valid():
        raise PromptError(f"prompt {name!r} has a malformed placeholder (write $$ for a dollar sign)")
    return template


def variables_of(name: str, directory: Traversable = PROMPTS_DIR) -> frozenset[str]:
    """The variables prompt `name` needs, exactly."""
    return frozenset(load_template(name, directory).get_identifiers())


def prompt_names(directory: Traversable = PROMPTS_DIR) -> list[str]:
    return sorted(entry.name.removesuffix(".md") for entry in directory.iterdir() if entry.name.endswith(".md"))


def render(name: str, directory: Traversable = PROMPTS_DIR, **values: object) -> str:
    """Prompt `name` with every variable filled from `values` (all needed, none extra)."""
    needed = variables_of(name, directory)
    missing, extra = needed - values.keys(), values.keys() - needed
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(sorted(missing)))
        if extra:
            parts.append("unused " + ", ".join(sorted(extra)))
        raise PromptError(f"prompt {name!r}: " + "; ".join(parts))
    return load_template(name, directory).substitute({key: str(value) for key, value in values.items()})
