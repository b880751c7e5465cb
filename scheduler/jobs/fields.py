"""Field types that carry their own rule: a text of bounded length, a bounded count, an IANA zone.

Each type is an `Annotated` pydantic type, so the same declaration gives the JSON schema a
client sees (maxLength, minimum, maximum) and the check the server runs. The checks raise
InvalidArgument, which pydantic passes through unchanged; pydantic's own type errors (a list
where a text belongs) become InvalidArgument through `invalid_argument_from`. Either way the
caller reads `field: expected ..., got ...`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, ValidationInfo

from scheduler.schedules.timezones import zone
from store.errors import InvalidArgument
from store.limits import Bound

CLEAN_TEXT = "text without NUL characters or unpaired surrogates"


def check_clean(field: str, value: str) -> str:
    """Refuse what one of the two databases cannot store: NUL (PostgreSQL) and lone surrogates (both)."""
    if "\x00" in value:
        raise InvalidArgument(field, CLEAN_TEXT, "a text containing NUL (\\u0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgument(field, CLEAN_TEXT, "a text containing an unpaired surrogate") from None
    return value


def check_text(field: str, value: str | None, max_chars: int, *, required: bool = False,
               min_chars: int = 1) -> str | None:
    """The text trimmed of surrounding white space; an optional one that is empty counts as not given."""
    value = value.strip() if value is not None else None
    if not value and not required:
        return None
    if value is None or len(value) < min_chars:
        expected = "a non-empty text" if min_chars <= 1 else f"a text of at least {min_chars} characters"
        raise InvalidArgument(field, f"{expected} of at most {max_chars} characters", value)
    if len(value) > max_chars:
        raise InvalidArgument(field, f"at most {max_chars} characters", f"{len(value)} characters")
    return check_clean(field, value)


def _text_rule(max_chars: int, *, required: bool, min_chars: int = 1) -> Any:
    def check(value: str | None, info: ValidationInfo) -> str | None:
        return check_text(info.field_name or "value", value, max_chars, required=required, min_chars=min_chars)

    return AfterValidator(check)


def text(description: str | None, max_chars: int, *, required: bool = False, min_chars: int = 1,
         shown: bool = True) -> Any:
    """A text trimmed of surrounding white space, min_chars..max_chars long, clean for both databases.

    An optional text that is empty counts as not given (the convention of every optional field).
    `shown=False` leaves the bounds out of the schema (still checked): for values a caller copies from
    an answer, such as ids, where they would only cost tokens.
    """
    schema = {"maxLength": max_chars, **({"minLength": min_chars} if required else {})} if shown else None
    return Annotated[str if required else str | None, _text_rule(max_chars, required=required, min_chars=min_chars),
                     Field(description=description, json_schema_extra=schema)]


def _no_bool(value: Any, info: ValidationInfo) -> Any:
    # pydantic reads true as 1 in lax mode; a flag where a number belongs is a mistake worth naming.
    if isinstance(value, bool):
        raise InvalidArgument(info.field_name or "value", "a whole number", value)
    return value


def _count_rule(bound: Bound) -> Any:
    def check(value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and not bound.low <= value <= bound.high:
            raise InvalidArgument(info.field_name or "value", f"a whole number from {bound.low} to {bound.high}",
                                  value)
        return value

    return AfterValidator(check)


def count(description: str | None, bound: Bound, *, required: bool = False) -> Any:
    """A whole number within `bound` (inclusive); the bound is in the schema and in the error."""
    schema = {"minimum": bound.low, "maximum": bound.high}
    base = int if required else int | None
    return Annotated[base, BeforeValidator(_no_bool), _count_rule(bound),
                     Field(description=description, json_schema_extra=schema)]


def _usd_rule(maximum: float) -> Any:
    def check(value: float | None, info: ValidationInfo) -> float | None:
        if value is not None and not 0 < value <= maximum:  # NaN fails both comparisons
            raise InvalidArgument(info.field_name or "value", f"a number of US dollars above 0 and at most "
                                                              f"{maximum:,.0f}", value)
        return value

    return AfterValidator(check)


def usd(description: str, maximum: float) -> Any:
    return Annotated[float | None, BeforeValidator(_no_bool), _usd_rule(maximum),
                     Field(description=description, json_schema_extra={"exclusiveMinimum": 0, "maximum": maximum})]


def _number_rule(low: float, high: float) -> Any:
    def check(value: float | None, info: ValidationInfo) -> float | None:
        if value is not None and not low <= value <= high:  # NaN fails both comparisons
            raise InvalidArgument(info.field_name or "value", f"a number from {low:g} to {high:g}", value)
        return value

    return AfterValidator(check)


def number(description: str, low: float, high: float) -> Any:
    """An optional number within [low, high]; the bounds are in the schema and in the error."""
    return Annotated[float | None, BeforeValidator(_no_bool), _number_rule(low, high),
                     Field(description=description, json_schema_extra={"minimum": low, "maximum": high})]


def _known_zone(value: str | None) -> str | None:
    if value is not None:
        zone(value)  # the one time zone rule: IANA names only
    return value


def zone_name(description: str, max_chars: int) -> Any:
    return Annotated[text(description, max_chars), AfterValidator(_known_zone)]


def text_list(description: str, item_chars: int, max_items: int) -> Any:
    """An optional list of short clean texts; blank items are dropped."""
    item = Annotated[str, _text_rule(item_chars, required=False)]

    def check(value: list[str | None] | None, info: ValidationInfo) -> list[str] | None:
        if value is None:
            return None
        if len(value) > max_items:
            raise InvalidArgument(info.field_name or "value", f"at most {max_items} items", f"{len(value)} items")
        return [v for v in value if v is not None]

    return Annotated[list[item] | None, AfterValidator(check),  # type: ignore[valid-type]
                     Field(description=description, json_schema_extra={"maxItems": max_items})]


_EXPECTED_BY_TYPE = {
    "string_type": "a text", "int_type": "a whole number", "int_parsing": "a whole number",
    "int_from_float": "a whole number", "float_type": "a number", "float_parsing": "a number",
    "finite_number": "a finite number", "bool_type": "true or false", "bool_parsing": "true or false",
    "list_type": "a list", "missing": "a value (this field is required)", "dict_type": "an object",
    "extra_forbidden": "no such field (it is not one of this call's fields)",
}


def invalid_arguments(exc: ValidationError) -> list[InvalidArgument]:
    """Each error of a pydantic ValidationError as InvalidArgument naming its field."""
    return [_invalid(err) for err in exc.errors(include_url=False)]


def invalid_argument_from(exc: ValidationError) -> InvalidArgument:
    return invalid_arguments(exc)[0]


def _invalid(err: Any) -> InvalidArgument:
    loc = [str(part) for part in err["loc"] if not isinstance(part, int)]
    field = loc[0] if loc else "arguments"
    kind = err["type"]
    if kind == "literal_error":
        expected = "one of " + str(err.get("ctx", {}).get("expected", "the listed values"))
    else:
        expected = _EXPECTED_BY_TYPE.get(kind, err["msg"][:1].lower() + err["msg"][1:])
    return InvalidArgument(field, expected, None if kind == "missing" else err.get("input"))
