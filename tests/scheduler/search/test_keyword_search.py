"""Keyword search on both backends: ranking, identifiers whole, syntax as plain text, writes kept in step."""

from __future__ import annotations

import pytest

from scheduler.jobs.job_input import JobPatch
from scheduler.jobs.service import JobService
from scheduler.search.service import SearchService
from store.errors import InvalidArgument
from store.models import Job
from store.search_keyword import fts5_query, keyword_terms, tsquery_text


def titles(search: SearchService, keywords: str | list[str], owner: str = "alice", **kw: object) -> list[str]:
    return [h.job.title for h in search.by_keywords(owner, keywords, **kw)]  # type: ignore[arg-type]


def test_an_identifier_finds_its_job_first_and_whole(search: SearchService, jobs: dict[str, Job]) -> None:
    assert titles(search, "INV-2093") == ["Chase invoice INV-2093"]
    assert titles(search, "db-prod-3") == ["Disk check on db-prod-3"]
    assert titles(search, ["where is", "db-prod-30"])[0] == "Disk check on db-prod-30"


def test_more_matching_words_rank_higher(search: SearchService, jobs: dict[str, Job]) -> None:
    found = titles(search, "invoice Globex")
    assert found[0] == "Chase invoice INV-2107" and "Chase invoice INV-2093" in found


@pytest.mark.parametrize("text", [
    '"', '"unbalanced quote', "invoice AND", "NEAR(invoice plants)", "invoice*", "title:plants", "((", ")",
    "plants OR", "NOT plants", "^plants", "{plants}", "plants - -", "'; DROP TABLE jobs; --", "a & b | !c <-> d",
    "\\", "passport:*",
])
def test_query_syntax_is_plain_text(search: SearchService, jobs: dict[str, Job], text: str) -> None:
    search.by_keywords("alice", text)  # no error, whatever the characters
    assert len(titles(search, "plants")) == 1  # and the table is still there


def test_syntax_words_still_find_their_job(search: SearchService, jobs: dict[str, Job]) -> None:
    assert titles(search, 'NEAR("water" plants*')[0] == "Water the plants"
    assert titles(search, "passport:renewal")[0] == "Passport renewal"


def test_blank_keywords_are_refused(search: SearchService) -> None:
    with pytest.raises(InvalidArgument):
        search.by_keywords("alice", "   ")


def test_another_owners_job_never_appears(search: SearchService, jobs: dict[str, Job]) -> None:
    for text in ["merger", "Hooli merger memo", "INV-2093", "Bob's own invoice reminder", "secret"]:
        found = search.by_keywords("alice", text)
        assert all(h.job.owner == "alice" for h in found)
    assert titles(search, "merger") == []


def test_an_updated_job_is_found_by_its_new_words_only(
    search: SearchService, service: JobService, jobs: dict[str, Job]
) -> None:
    job = jobs["Water the plants"]
    service.update("alice", job.id, JobPatch(title="Feed the cat", instructions="Give Tom his dinner"))
    assert titles(search, "plants") == []
    assert titles(search, "cat dinner") == ["Feed the cat"]


def test_filters_and_archived(search: SearchService, service: JobService, jobs: dict[str, Job]) -> None:
    service.pause("alice", jobs["Passport renewal"].id)
    assert titles(search, "passport", statuses=["ACTIVE"]) == []
    assert titles(search, "passport", statuses=["PAUSED"]) == ["Passport renewal"]
    assert titles(search, "passport", job_types=["RECURRING"]) == []


def test_terms_become_quoted_phrases() -> None:
    terms = keyword_terms('the "INV-2093" AND x:y')
    assert terms == [("inv", "2093"), ("x",), ("y",)]
    assert fts5_query(terms) == '"inv 2093" OR "x" OR "y"'
    assert tsquery_text(terms) == "('inv' <-> '2093') | ('x') | ('y')"
