"""Keyword search over a job's title and instructions: SQLite FTS5 (bm25) or PostgreSQL full-text search.

Contract:
- The index lives in the database (store/sql/search_*.sql) and is kept in step by
  triggers / a generated column, so every write path updates it, whoever wrote.
- User text is never query syntax. It is cut into letters-and-digits tokens here and
  every token is quoted, so quotes, AND, NEAR, *, : and parentheses are plain words.
- Tokens joined by - _ . / # inside one word ("INV-2093", "db-prod-3") form a phrase:
  they match only side by side and in order, i.e. the identifier whole.
- Results are the owner's only, best first, with a score where higher is better;
  ARCHIVED jobs are left out unless `statuses` asks for them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from sqlalchemy import Connection, Engine, Float, Integer, Row, TextClause, bindparam, text
from sqlalchemy import column as sa_column
from sqlalchemy.exc import DBAPIError

from store.engine import is_sqlite, statement_reads
from store.errors import InvalidArgument
from store.models import JOB_COLUMNS_WITHOUT_VECTOR, Job

MAX_TERMS = 32
MIN_WINDOW = 40  # candidates ranked before the row filters; widened while too few pass them
# Words that carry no meaning for finding a job. PostgreSQL's english config drops these
# (and more) by itself; SQLite has no stop list, so without this "the" would match everything.
STOPWORDS = frozenset({
    "a", "about", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by",
    "can", "could", "did", "do", "does", "for", "from", "had", "has", "have", "he", "her", "him", "his",
    "how", "i", "if", "in", "into", "is", "it", "its", "just", "me", "my", "no", "not", "of", "on",
    "or", "our", "s", "she", "so", "some", "t", "that", "the", "their", "them", "then", "there", "these",
    "they", "this", "those", "to", "up", "us", "was", "we", "were", "what", "when", "where", "which",
    "who", "why", "will", "with", "would", "you", "your",
})
log = logging.getLogger(__name__)
_WORD = re.compile(r"[^\W_]+(?:[-_./#][^\W_]+)*")
_TOKEN = re.compile(r"[^\W_]+")

Term = tuple[str, ...]


@dataclass(frozen=True)
class KeywordHit:
    job_id: str
    score: float
    job: Job | None = None  # the job's row, when the search was asked for it (`with_jobs`)


def keyword_terms(keywords: str | Sequence[str]) -> list[Term]:
    """The search terms of user text: single words, and phrases for joined identifiers.

    Stop words are dropped unless nothing else is left. Raises InvalidArgument for blank
    input; text of symbols only has no terms (and so no match).
    """
    items = [keywords] if isinstance(keywords, str) else list(keywords)
    terms: list[Term] = []
    for item in items:
        for word in _WORD.findall(str(item).lower()):
            term = tuple(_TOKEN.findall(word))
            if term not in terms:
                terms.append(term)
    if not terms:
        if not any(str(item).strip() for item in items):
            raise InvalidArgument("keywords", "at least one word", keywords)
        return []  # only symbols, e.g. "((": plain characters that match nothing, not an error
    meaningful = [t for t in terms if len(t) > 1 or t[0] not in STOPWORDS]
    return (meaningful or terms)[:MAX_TERMS]


def fts5_query(terms: Sequence[Term]) -> str:
    """An FTS5 MATCH string: each term a double-quoted string (a phrase), OR-ed."""
    return " OR ".join('"' + " ".join(t).replace('"', '""') + '"' for t in terms)


def tsquery_text(terms: Sequence[Term]) -> str:
    """A to_tsquery string: each token a quoted lexeme, phrases joined by <->, OR-ed."""

    def lexeme(token: str) -> str:
        return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"

    return " | ".join("(" + " <-> ".join(lexeme(tok) for tok in t) + ")" for t in terms)


def ensure_keyword_index(engine: Engine) -> None:
    """Create the keyword index and its triggers if missing, and fill it for existing jobs. Idempotent."""
    name = "search_sqlite.sql" if engine.dialect.name == "sqlite" else "search_postgres.sql"
    script = resources.files("store").joinpath("sql", name).read_text(encoding="utf-8")
    statements = [s.strip() for s in script.split("\n\n") if _is_statement(s)]
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            # No owner table: a new database, or one whose index predates the per-owner rowids.
            fresh = conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'jobs_fts_owners'").first() is None
            if fresh:
                for statement in _SQLITE_OLD_INDEX:
                    conn.exec_driver_sql(statement)
        else:
            # Two servers starting together would race on ALTER TABLE; one waits for the other.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(2093003)")
            fresh = False
        for statement in statements:
            conn.exec_driver_sql(statement)
        if engine.dialect.name != "sqlite":
            _ensure_postgres_gin(conn)
        if fresh:
            for statement in _SQLITE_FILL:
                conn.exec_driver_sql(statement)


_SQLITE_OLD_INDEX = (
    "DROP TRIGGER IF EXISTS jobs_fts_after_insert",
    "DROP TRIGGER IF EXISTS jobs_fts_after_update",
    "DROP TRIGGER IF EXISTS jobs_fts_after_delete",
    "DROP TABLE IF EXISTS jobs_fts",
)
# The existing jobs, numbered per owner as the insert trigger would have numbered them.
_SQLITE_FILL = (
    "INSERT INTO jobs_fts_owners (owner, last_seq) SELECT owner, count(*) FROM jobs GROUP BY owner",
    "INSERT INTO jobs_fts_rows (job_id, fts_rowid) SELECT j.id, (o.num << 32) + row_number() OVER "
    "(PARTITION BY j.owner ORDER BY j.id) FROM jobs j JOIN jobs_fts_owners o ON o.owner = j.owner",
    "INSERT INTO jobs_fts (rowid, job_id, title, instructions) SELECT r.fts_rowid, j.id, j.title, j.instructions "
    "FROM jobs j JOIN jobs_fts_rows r ON r.job_id = j.id",
)


# PostgreSQL: one GIN index over (owner, search_tsv). A search's owner and words are then keys of the same
# index scan, and GIN skips along the owner's posting list instead of reading every owner's matches
# and filtering them on the heap (a GIN over search_tsv alone, ANDed with the owner's b-tree, read
# all 7,772 matches of a query to keep the owner's 762 at 10,000 of 100,000 jobs). A b-tree column
# in a GIN index needs the btree_gin extension (in contrib, trusted since PostgreSQL 13: a database
# owner may create it); without it the plain index is kept and the search still works, at the cost
# of the whole table's matches.
_PG_OWNER_GIN = "ix_jobs_search_tsv_owner"
_PG_PLAIN_GIN = "ix_jobs_search_tsv"


def _ensure_postgres_gin(conn: Connection) -> None:
    def exists(index: str) -> bool:
        return conn.exec_driver_sql(f"SELECT 1 FROM pg_indexes WHERE indexname = '{index}'").first() is not None

    if not exists(_PG_OWNER_GIN):
        try:
            with conn.begin_nested():  # a refusal must not abort the start's transaction
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gin")
        except DBAPIError as exc:
            log.warning("keyword search reads every owner's matches: the btree_gin extension could not be "
                        "created (%s); an administrator can run CREATE EXTENSION btree_gin", str(exc).splitlines()[0])
            conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {_PG_PLAIN_GIN} ON jobs USING GIN (search_tsv)")
            return
        # Built inside the start's transaction (writes wait for it: seconds at 100,000 jobs, once).
        conn.exec_driver_sql(f"CREATE INDEX {_PG_OWNER_GIN} ON jobs USING GIN (owner, search_tsv)")
    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {_PG_PLAIN_GIN}")  # every search names its owner


def _is_statement(chunk: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in chunk.splitlines())


class KeywordSearch:
    """Ranked keyword lookup for one database."""

    def __init__(self, engine: Engine) -> None:
        self._sqlite = is_sqlite(engine)
        self._engine = statement_reads(engine)  # a search is one statement

    def search(
        self,
        owner: str,
        keywords: str | Sequence[str],
        *,
        statuses: Sequence[str] = (),
        job_types: Sequence[str] = (),
        limit: int = 10,
        with_jobs: bool = False,
    ) -> list[KeywordHit]:
        """The owner's best matches; `with_jobs`: each hit carries its job row, read by the same query
        (an answer made of the jobs then needs no second read by id)."""
        terms = keyword_terms(keywords)
        if not terms:
            return []
        with self._engine.connect() as conn:
            return self._run(conn, owner, terms, statuses, job_types, limit, with_jobs)

    def _run(
        self, conn: Connection, owner: str, terms: list[Term], statuses: Sequence[str],
        job_types: Sequence[str], limit: int, with_jobs: bool,
    ) -> list[KeywordHit]:
        params: dict[str, object] = {"owner": owner, "limit": limit}
        filters = ["j.owner = :owner"]
        if statuses:
            filters.append("j.status IN :statuses")
            params["statuses"] = list(statuses)
        else:
            filters.append("j.status <> 'ARCHIVED'")
        if job_types:
            filters.append("j.job_type IN :job_types")
            params["job_types"] = list(job_types)
        where = " AND ".join(filters)
        if self._sqlite:
            return self._sqlite_hits(conn, owner, terms, where, params, limit, with_jobs)
        params["q"] = tsquery_text(terms)
        sql = (
            "SELECT j.id, ts_rank(j.search_tsv, q, 1) AS score "
            "FROM jobs j, to_tsquery('english'::regconfig, :q) q "
            f"WHERE j.search_tsv @@ q AND {where} ORDER BY score DESC, j.id LIMIT :limit"
        )
        if with_jobs:
            # The rows of the best `limit` only: carrying every column of each of the owner's few hundred
            # matches through the sort cost more than reading ten rows again by key.
            sql = (f"SELECT {_selected(True)}, c.score FROM ({sql}) c JOIN jobs j ON j.id = c.id "
                   "ORDER BY c.score DESC, j.id")
        return _hits(conn.execute(_statement(sql, _lists(params), with_jobs), params).all(), with_jobs)

    def _sqlite_hits(self, conn: Connection, owner: str, terms: list[Term], where: str,
                     params: dict[str, object], limit: int, with_jobs: bool) -> list[KeywordHit]:
        """The owner's best matches, reading only the owner's rowid range of the index.

        The ranking runs on the index alone over a window of the best candidates, ordered by score
        and then rowid: both come from the index, while a tie broken by job id read every match's
        stored row (0.63 against 1.08 ms for a query's few hundred matches at 10,000 jobs). Only the
        window is joined to `jobs`, for the filters and the answer's rows. The window widens while
        fewer than `limit` pass the filters and it was full (more matches wait behind it).
        """
        params["q"] = fts5_query(terms)
        # bm25 is lower-is-better; negated so every score in the API grows with relevance.
        # Column weights: job_id (unindexed) 0, title 2, instructions 1. The owner's rowid range comes
        # from jobs_fts_owners in the same statement (CROSS JOIN keeps that table first); an owner who
        # never had a job has no row there, so nothing matches. `ranked` counts the window: below its
        # size, every match was ranked. A candidate the filters drop has no `j` row (LEFT JOIN) and
        # sorts last, so the answer still says how full the window was.
        sql = (
            f"SELECT {_selected(with_jobs)}, c.score, c.ranked FROM ("
            "SELECT r, score, count(*) OVER () AS ranked FROM ("
            "SELECT jobs_fts.rowid AS r, -bm25(jobs_fts, 0.0, 2.0, 1.0) AS score "
            "FROM jobs_fts_owners o CROSS JOIN jobs_fts "
            "WHERE o.owner = :owner AND jobs_fts MATCH :q "
            "AND jobs_fts.rowid BETWEEN o.num << 32 AND (o.num << 32) + o.last_seq "
            "ORDER BY score DESC, r LIMIT :window)) c "
            "JOIN jobs_fts f ON f.rowid = c.r "
            f"LEFT JOIN jobs j ON j.id = f.job_id AND {where} "
            "ORDER BY j.id IS NULL, c.score DESC, c.r LIMIT :limit"
        )
        stmt = _statement(sql, _lists(params), with_jobs, ranked=True)
        window = max(limit * 4, MIN_WINDOW)
        while True:
            params["window"] = window
            rows = conn.execute(stmt, params).all()
            live = [row for row in rows if row[0] is not None]
            ranked = rows[0][-1] if rows else 0
            if len(live) >= limit or ranked < window:
                return _hits(live, with_jobs)
            window *= 8


def _lists(params: dict[str, object]) -> tuple[str, ...]:
    return tuple(name for name in ("statuses", "job_types") if name in params)


@lru_cache(maxsize=64)
def _statement(sql: str, lists: tuple[str, ...], with_jobs: bool, ranked: bool = False) -> TextClause:
    """The statement for `sql`, built once per query shape (a few filter combinations): `text()` parses
    the SQL for its parameters and typing 50 result columns walks each one, on every call otherwise (a
    third of a millisecond per search with the job rows, more than fetching them)."""
    stmt = text(sql)
    for name in lists:  # the filters' lists: one parameter per value
        stmt = stmt.bindparams(bindparam(name, expanding=True))
    if not with_jobs:
        return stmt
    # Typed like the ORM's columns, so the job rows come back as JobRepository.get_jobs reads them.
    extra = [sa_column("score", Float)] + ([sa_column("ranked", Integer)] if ranked else [])
    return stmt.columns(*JOB_COLUMNS_WITHOUT_VECTOR, *extra)  # type: ignore[return-value]


def _selected(with_jobs: bool) -> str:
    return ", ".join(f"j.{c.name}" for c in JOB_COLUMNS_WITHOUT_VECTOR) if with_jobs else "j.id"


def _hits(rows: Sequence[Row[Any]], with_jobs: bool) -> list[KeywordHit]:
    if not with_jobs:
        return [KeywordHit(job_id=str(r[0]), score=float(r[1])) for r in rows]
    names = [c.name for c in JOB_COLUMNS_WITHOUT_VECTOR]
    score = len(names)
    return [KeywordHit(job_id=str(r[0]), score=float(r[score]),
                       job=Job.model_construct(**dict(zip(names, r, strict=False)))) for r in rows]
