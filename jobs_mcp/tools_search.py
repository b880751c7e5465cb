"""The retrieval tools (docs/design.md §9): find a job by the words in it, or by what it is about."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations
from pydantic import AfterValidator, Field, ValidationInfo

from jobs_mcp.results import Detail, JobView, PublicModel
from jobs_mcp.state import app_state, caller, off_loop
from jobs_mcp.tool_params import DetailParam
from jobs_mcp.tools_jobs import Filter, IncludeArchived, parse_filter
from scheduler.jobs.fields import check_clean, count, number, text
from scheduler.search.service import RELEVANCE_FLOOR, SearchHit, SearchService
from store import limits as L
from store.enums import JobStatus, JobType
from store.errors import InvalidArgument


def _keywords_rule(value: str | list[str], info: ValidationInfo) -> str | list[str]:
    items = [value] if isinstance(value, str) else value
    if len(items) > L.KEYWORD_ITEMS_MAX:
        raise InvalidArgument("keywords", f"at most {L.KEYWORD_ITEMS_MAX} keywords", f"{len(items)} keywords")
    if sum(len(item) for item in items) > L.KEYWORDS_MAX:
        raise InvalidArgument("keywords", f"at most {L.KEYWORDS_MAX} characters in all", value)
    for item in items:
        check_clean("keywords", item)
    return value


Keywords = Annotated[str | list[str], AfterValidator(_keywords_rule), Field(
    description="Words or identifiers (a string or a list); 'INV-2093' matches whole")]
Query = text("The person's own words, e.g. 'the thing about money clients owe me'",
             L.QUERY_MAX, required=True)
SearchLimit = count(None, L.SEARCH_LIMIT, required=True)  # the name and bounds say it
StatusFilter = Filter

MinSimilarity = number(f"Similarity floor (default {RELEVANCE_FLOOR}; identifier matches are kept)", -1.0, 1.0)

_READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


class ScoredJob(PublicModel):
    job: JobView
    similarity: float | None = Field(None, description="Cosine similarity of meaning (-1..1), if computed")
    keyword_score: float | None = Field(None, description="Keyword relevance (bm25 / ts_rank), if it matched")
    score: float | None = Field(None, description="The fused rank score (full only); orders one result")


class SearchResult(PublicModel):
    jobs: list[ScoredJob] = Field(description="Best match first")
    mode: str = Field(description="hybrid (meaning + words), vector, or keyword")
    note: str | None = Field(None, description="Why the list is empty, when it is")


def _search(ctx: Context) -> SearchService:
    search = app_state(ctx).search
    if search is None:  # its tools are registered only with it
        raise RuntimeError("search is not part of this server")
    return search


def _scored(hits: list[SearchHit], detail: Detail) -> list[ScoredJob]:
    full = detail == "full"
    return [ScoredJob(job=JobView.of(h.job, detail), score=_figure(h.score) if full else None,
                      similarity=_figure(h.similarity), keyword_score=_figure(h.keyword_score))
            for h in hits]


def _figure(value: float | None) -> float | None:
    """Three significant digits: enough to compare, fewer tokens (bm25 scores can be tiny)."""
    return None if value is None else float(f"{value:.3g}")


def register_search_tools(server: MCPServer[Any]) -> None:
    @server.tool(annotations=_READ)
    async def job_retrieval_by_keywords(
        keywords: Keywords,
        ctx: Context,
        status: StatusFilter = None,
        job_type: Filter = None,
        limit: SearchLimit = 10,
        include_archived: IncludeArchived = False,
        detail: DetailParam = "brief",
    ) -> SearchResult:
        """Find your jobs containing these words, best first (more and rarer words rank higher). For names and
        identifiers; for a description in other words use job_retrieval_semantic."""
        statuses = with_archived(parse_filter("status", status, JobStatus), include_archived)
        types = parse_filter("job_type", job_type, JobType)
        hits = await off_loop(_search(ctx).by_keywords, caller(ctx), keywords, statuses=statuses,
                              job_types=types, limit=limit)
        note = None if hits else f"no job contains {_shown(keywords)}"
        return SearchResult(jobs=_scored(hits, detail), mode="keyword", note=note)

    @server.tool(annotations=_READ)
    async def job_retrieval_semantic(
        query: Query,
        ctx: Context,
        status: StatusFilter = None,
        job_type: Filter = None,
        limit: SearchLimit = 10,
        min_similarity: MinSimilarity = None,
        include_archived: IncludeArchived = False,
        detail: DetailParam = "brief",
    ) -> SearchResult:
        """Find your jobs by meaning, described as the person did ("what I asked you to watch about the
        competitor"), even with no word shared. Best first; only jobs similar enough to be meant, so an empty
        list means there is no such job."""
        statuses = with_archived(parse_filter("status", status, JobStatus), include_archived)
        types = parse_filter("job_type", job_type, JobType)
        floor = RELEVANCE_FLOOR if min_similarity is None else min_similarity
        hits, mode = await off_loop(_search(ctx).semantic, caller(ctx), query, statuses=statuses,
                                    job_types=types, limit=limit, min_similarity=floor)
        note = None if hits else f"no job matches {query!r} (none has similarity {floor:g} or more)"
        return SearchResult(jobs=_scored(hits, detail), mode=mode, note=note)


def with_archived(statuses: list[str], include_archived: bool) -> list[str]:
    """The search leaves ARCHIVED out when no status is named: include_archived names them all."""
    return statuses or ([s.value for s in JobStatus] if include_archived else [])


def _shown(keywords: str | list[str]) -> str:
    return repr(keywords) if isinstance(keywords, str) else ", ".join(repr(k) for k in keywords)
