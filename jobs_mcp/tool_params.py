"""Tool signatures built from the input models, so each field is declared once (scheduler/jobs/job_input.py).

MCPServer builds a tool's input schema from its function's parameters, and a pydantic model
parameter would become one nested object argument. Callers send flat arguments (`title`, `cron`,
...), so the model's fields are laid out as keyword parameters of the tool function instead: same
names, types, bounds and descriptions, one top-level argument each.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Annotated, Any, TypeVar, get_type_hints

from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from jobs_mcp.results import Detail

F = TypeVar("F", bound=Callable[..., Any])

# Every read tool's `detail`: one declaration, so a new level (jobs_mcp.results.Detail) reaches all of them.
DetailParam = Annotated[Detail, Field(description="full: all fields")]


def model_params(model: type[BaseModel], *, only: Iterable[str] | None = None, exclude: Iterable[str] = (),
                 described_in: type[BaseModel] | None = None) -> list[inspect.Parameter]:
    """Keyword-only parameters for the model's fields (those in `only`, in the model's order).

    A field that `described_in` (another tool's model) has too keeps its type but not its description
    or advertised bounds: the model reads them once, on that tool (the tool's description says so).
    The bounds are still checked: the field's validators enforce them, the schema only shows them.
    """
    wanted = set(model.model_fields) if only is None else set(only)
    wanted -= set(exclude)
    shared = set(described_in.model_fields) if described_in is not None else set()
    params = []
    for name, info in model.model_fields.items():
        if name not in wanted:
            continue
        # A default may not sit in Annotated.
        bare = FieldInfo.merge_field_infos(info, default=PydanticUndefined,
                                           **({"description": None, "json_schema_extra": None}
                                              if name in shared else {}))
        default = inspect.Parameter.empty if info.is_required() else info.default
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                        annotation=Annotated[info.annotation, bare]))
    return params


def with_params(*params: inspect.Parameter) -> Callable[[F], F]:
    """Replace a tool function's `**fields` by `params` in the signature MCPServer reads.

    The function is still called with keyword arguments, so `**fields` receives them.
    """
    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)
        hints = get_type_hints(fn, include_extras=True)
        own = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()
               if p.kind is not inspect.Parameter.VAR_KEYWORD]
        new = signature.replace(parameters=[*own, *params], return_annotation=hints.get("return"))
        fn.__signature__ = new  # type: ignore[attr-defined]
        fn.__annotations__ = {p.name: p.annotation for p in new.parameters.values()} | {"return": hints["return"]}
        return fn

    return decorate


def given_arguments(fields: dict[str, Any]) -> dict[str, Any]:
    """The arguments the caller gave: the SDK passes every declared one, None when left out."""
    return {name: value for name, value in fields.items() if value is not None}
