"""Column types shared by the tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# SQLAlchemy's SQLite storage format; `isoformat(" ", "microseconds")` writes exactly this.
_SQLITE_FORMAT = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; hands back aware UTC datetimes on every backend.

    SQLite has no time zone type, so values are written as naive UTC and the
    zone is re-attached on read. Naive input is refused: it is always a bug.
    """

    impl = DateTime
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """SQLite: one step from aware datetime to the stored text, instead of this type's conversion
        followed by the dialect's formatting; the engine binds thousands of these a second."""
        # impl_instance is the dialect's own DATETIME here (SQLAlchemy adapts a copy of this type per dialect).
        if dialect.name != "sqlite" or getattr(self.impl_instance, "_storage_format", None) != _SQLITE_FORMAT:
            return super().bind_processor(dialect)
        return _sqlite_text

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any] | None:
        """SQLite: one step from the stored text to an aware datetime, instead of the dialect's regex parse
        followed by this type's zone step; every claimed row carries a dozen of these."""
        if dialect.name != "sqlite" or getattr(self.impl_instance, "_storage_format", None) != _SQLITE_FORMAT:
            return super().result_processor(dialect, coltype)
        return _sqlite_datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return _naive(value.astimezone(UTC))

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return _aware(value) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is UTC:  # the usual case: no conversion needed, the clock hands out UTC
        return _utc_text(value)
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return _naive(value.astimezone(UTC)).isoformat(" ", "microseconds")


# A burst binds the same few instants thousands of times (the pass's `now` in every run, event and
# message row; the shared fire in every run's scheduled_for), as equal values in distinct objects.
# `isoformat` builds its text with a C printf per field, 7,000 instructions a call, where a cache hit
# is a hash and a lookup. Keys are all UTC, so equal keys have equal texts.
@lru_cache(maxsize=1024)
def _utc_text(value: datetime) -> str:
    # Its text less the "+00:00" suffix: `replace(tzinfo=None)` parses keyword arguments, which cost
    # more than the formatting.
    return value.isoformat(" ", "microseconds")[:-6]


def iso_text(value: datetime) -> str:
    """`value.isoformat()`, cached for UTC values (see `_utc_text`): the text a message's payload carries."""
    return _utc_iso(value) if value.tzinfo is UTC else value.isoformat()


_utc_iso = lru_cache(maxsize=1024)(datetime.isoformat)


def _sqlite_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if type(value) is str and len(value) == _STORED_LENGTH:
        # The text this type stores (naive UTC, to the microsecond), parsed as UTC at once: 6 times
        # faster than parsing it naive and attaching the zone with `replace(tzinfo=...)`.
        try:
            return datetime.fromisoformat(value + "+00:00")
        except ValueError:
            pass  # another text of that length (one written by hand): read as any other below
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return _aware(parsed) if parsed.tzinfo is None else parsed.astimezone(UTC)


_STORED_LENGTH = len("2026-12-07 09:00:00.000000")


# `datetime.replace(tzinfo=...)` parses its keyword arguments against nine names, which made it 5 times
# slower than taking the value apart and putting it together again (PostgreSQL hands back naive
# datetimes, about five per job row read).
_combine = datetime.combine


def _aware(naive: datetime) -> datetime:
    """A naive UTC datetime as an aware one."""
    return _combine(naive.date(), naive.time(), UTC)


def _naive(utc: datetime) -> datetime:
    """An aware UTC datetime as the naive one a `timestamp without time zone` column stores."""
    return _combine(utc.date(), utc.time())
