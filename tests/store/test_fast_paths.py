"""The SQLite shortcuts for JSON and UTC datetimes give what the general conversions give."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from store.engine import _json_dumps, _json_loads, make_engine
from store.types import UTCDateTime, _aware, _naive, _sqlite_datetime, _sqlite_text, iso_text


@pytest.mark.parametrize("value", [{}, [], {"a": [1, 2]}, [{}], None, 0, "", "[]", False])
def test_json_shortcuts_match_json_module(value: object) -> None:
    text = _json_dumps(value)
    assert text == json.dumps(value)
    assert _json_loads(text) == json.loads(text)


def test_empty_containers_are_new_objects_each_time() -> None:
    first, second = _json_loads("[]"), _json_loads("[]")
    first.append(1)
    assert second == [] and _json_loads("{}") is not _json_loads("{}")


def test_datetime_text_is_utc_whatever_the_zone_and_repeats_hit_the_same_text() -> None:
    now = datetime(2026, 3, 1, 12, 30, 5, 7, tzinfo=UTC)
    shifted = now.astimezone(timezone(timedelta(hours=5)))
    assert _sqlite_text(now) == _sqlite_text(now) == _sqlite_text(shifted) == "2026-03-01 12:30:05.000007"
    assert _sqlite_text(None) is None
    with pytest.raises(ValueError):
        _sqlite_text(now.replace(tzinfo=None))


def test_stored_text_reads_back_as_aware_utc() -> None:
    now = datetime(2026, 3, 1, 12, 30, 5, 7, tzinfo=UTC)
    assert _sqlite_datetime(_sqlite_text(now)) == now
    assert _sqlite_datetime("2026-03-01 12:30:05").tzinfo is UTC  # type: ignore[union-attr]
    assert _sqlite_datetime("2026-03-01 14:30:05+02:00") == datetime(2026, 3, 1, 12, 30, 5, tzinfo=UTC)
    assert _sqlite_datetime(None) is None


def test_stored_text_of_any_shape_reads_back_as_the_same_instant() -> None:
    # The stored form is parsed as UTC in one step; other texts of its length take the general path.
    for stored, instant in [("2026-03-01 12:30:05.000007", datetime(2026, 3, 1, 12, 30, 5, 7, tzinfo=UTC)),
                          ("2026-03-01T12:30:05.000007", datetime(2026, 3, 1, 12, 30, 5, 7, tzinfo=UTC)),
                          ("2026-03-01 14:30:05.123+02", datetime(2026, 3, 1, 12, 30, 5, 123000, tzinfo=UTC)),
                          ("2026-03-01 12:30:05.123", datetime(2026, 3, 1, 12, 30, 5, 123000, tzinfo=UTC))]:
        read = _sqlite_datetime(stored)
        assert (read, read.tzinfo) == (instant, UTC), stored  # type: ignore[union-attr]


def test_none_is_bound_as_null_through_the_adapter_and_read_back(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)  # registers the adapter for None (store/engine.py)
    assert sqlite3.adapters[(type(None), sqlite3.PrepareProtocol)](None) is None
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (a, b)"))
        conn.execute(text("INSERT INTO t VALUES (:a, :b)"), [{"a": None, "b": 1}, {"a": None, "b": None}])
        assert conn.execute(text("SELECT count(*), count(a), count(b), sum(a IS NULL) FROM t")).one() == (2, 0, 1, 2)
    engine.dispose()


def test_cached_texts_are_the_texts_of_the_value_given() -> None:
    first = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    same_instant = [datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
                    datetime(2026, 12, 7, 10, 0, tzinfo=timezone(timedelta(hours=1)))]
    assert iso_text(first) == first.isoformat() == "2026-12-07T09:00:00+00:00"
    for value in same_instant:  # equal to a cached key: the text is still this value's own
        assert iso_text(value) == value.isoformat()
        assert _sqlite_text(value) == "2026-12-07 09:00:00.000000"
    later = first + timedelta(microseconds=1)
    assert (iso_text(later), _sqlite_text(later)) == ("2026-12-07T09:00:00.000001+00:00", "2026-12-07 09:00:00.000001")


@pytest.mark.parametrize("naive", [datetime(2026, 12, 7, 9, 0), datetime(2026, 11, 1, 1, 30, 5, 7, fold=1),
                                   datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999999)])
def test_the_zone_steps_give_what_replace_gives(naive: datetime) -> None:
    aware = _aware(naive)
    assert (repr(aware), aware.fold) == (repr(naive.replace(tzinfo=UTC)), naive.fold)
    back = _naive(aware)
    assert (repr(back), back.fold) == (repr(naive), naive.fold)
    column = UTCDateTime()
    assert column.process_bind_param(aware, postgresql.dialect()) == naive
    assert column.process_result_value(naive, postgresql.dialect()) == aware
