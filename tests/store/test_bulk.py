"""store.bulk: the compiled-once executemany writes exactly what SQLAlchemy's own path writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, create_engine, select, text, update

from store.bulk import execute_many, insert_many
from store.models import JobEvent
from store.repository import JobRepository
from store.types import UTCDateTime

EVENTS = JobEvent.__table__  # type: ignore[attr-defined]
WITH_DEFAULT = Table("with_default", MetaData(), Column("id", Integer, primary_key=True),
                     Column("name", String(20)), Column("kind", String(20), default="plain"))
RENAME = update(WITH_DEFAULT).where(WITH_DEFAULT.c.id == bindparam("b_id")).values(name=bindparam("b_name"))


def _event(n: int, at: datetime) -> dict[str, Any]:
    return {"job_id": f"job_{n}", "owner": "bench", "at": at, "from_status": "ACTIVE", "to_status": "IN_PROGRESS",
            "actor": "engine", "reason": None}


def test_inserted_rows_read_back_like_the_ordinary_path(repo: JobRepository) -> None:
    at = datetime(2026, 3, 1, 9, 0, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    with repo.write() as session:
        insert_many(session.connection(), EVENTS, [_event(n, at) for n in range(3)])
        session.connection().execute(EVENTS.insert(), [_event(n, at) for n in range(3, 6)])
    with repo.read() as session:
        rows = session.connection().execute(select(EVENTS.c.job_id, EVENTS.c.at).order_by(EVENTS.c.id)).all()
    assert [r.job_id for r in rows] == [f"job_{n}" for n in range(6)]
    assert {r.at for r in rows} == {datetime(2026, 3, 1, 7, 0, tzinfo=UTC)}


def test_sqlite_stores_the_same_text_as_sqlalchemys_datetime(tmp_path: Any) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'types.db'}")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime))
    table.metadata.create_all(engine)
    moments = [datetime(2026, 1, 1, tzinfo=UTC), datetime(5, 3, 4, 1, 2, 3, 7, tzinfo=UTC),
               datetime(2026, 6, 1, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=5)))]
    with engine.begin() as conn:
        insert_many(conn, table, [{"id": n, "at": at} for n, at in enumerate(moments)])
        stored = [row[0] for row in conn.execute(text("SELECT at FROM t ORDER BY id"))]
    assert stored == ["2026-01-01 00:00:00.000000", "0005-03-04 01:02:03.000007", "2026-06-01 18:59:59.999999"]


def test_python_side_defaults_take_the_ordinary_path(tmp_path: Any) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'defaults.db'}")
    WITH_DEFAULT.metadata.create_all(engine)
    with engine.begin() as conn:
        insert_many(conn, WITH_DEFAULT, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
        assert execute_many(conn, RENAME, [{"b_id": 1, "b_name": "x"}, {"b_id": 2, "b_name": "y"},
                                           {"b_id": 3, "b_name": "z"}]) == 2
        rows = conn.execute(select(WITH_DEFAULT).order_by(WITH_DEFAULT.c.id)).all()
    assert [tuple(r) for r in rows] == [(1, "x", "plain"), (2, "y", "plain")]
