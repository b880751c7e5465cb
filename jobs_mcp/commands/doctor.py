"""`jobs-mcp doctor`: is this node set up to serve? One line per check, a non-zero exit if one fails."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import click
import httpx

from jobs_mcp.commands.common import database_option, print_json, settings_for
from jobs_mcp.config import Settings
from scheduler.clock import SystemClock
from store.engine import make_engine
from store.errors import JobsError

MAX_SKEW = timedelta(seconds=2)  # leases and fire times are compared across nodes: seconds matter
LLM_TIMEOUT_S = 5.0
ANTHROPIC_DEFAULT = "https://api.anthropic.com"


@dataclass(frozen=True)
class Check:
    name: str
    verdict: str  # ok | FAIL | skip
    detail: str


def _config(settings: Settings) -> Check:
    problems = [f"{name} {path} cannot be read" for name, path in (("tokens file", settings.tokens_file),
                                                                    ("prices file", settings.prices_file))
                if path and not os.access(path, os.R_OK)]
    if problems:
        return Check("configuration", "FAIL", "; ".join(problems))
    return Check("configuration", "ok", f"database {_safe_url(settings.database_url)}, timezone {settings.timezone}, "
                 f"tokens {'file' if settings.tokens_file else 'none (owner from X-Jobs-Owner)'}")


def _safe_url(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return url


def _database(settings: Settings) -> Check:
    from store.database_check import check_database

    try:
        check_database(settings.database_url)
    except JobsError as exc:
        return Check("database", "FAIL", exc.message)
    return Check("database", "ok", "reachable")


def _schema(settings: Settings) -> Check:
    from store.schema import current, head

    try:
        revision, newest = current(settings.database_url), head()
    except Exception as exc:  # noqa: BLE001  (the database check above says why)
        return Check("schema", "FAIL", f"cannot read the revision: {type(exc).__name__}")
    if revision == newest:
        return Check("schema", "ok", f"at revision {revision}")
    return Check("schema", "FAIL", f"at revision {revision or 'none'}, this release at {newest}; "
                 "run `jobs-mcp db upgrade` (serve also migrates at start)")


def _model(_settings: Settings) -> Check:
    from jobs_mcp.search_setup import model_cache_dir
    from scheduler.search.encoder import packaged_model_dir

    try:
        directory = packaged_model_dir()
    except (ImportError, FileNotFoundError) as exc:
        return Check("embedding model", "FAIL", f"{exc}; reinstall jobs-mcp (semantic search would fall back to "
                     "keywords)")
    exported = sorted(model_cache_dir().glob("*.onnx")) if model_cache_dir().is_dir() else []
    state = f"ONNX export cached ({exported[-1].name})" if exported else "ONNX export made at first start"
    return Check("embedding model", "ok", f"files at {directory}; {state}")


def _llm(settings: Settings) -> Check:
    if not settings.anthropic_api_key:
        return Check("LLM endpoint", "skip", "ANTHROPIC_API_KEY not set: agent jobs fail with a clear error")
    base = (settings.anthropic_base_url or ANTHROPIC_DEFAULT).rstrip("/")
    try:
        answer = httpx.get(f"{base}/v1/models", timeout=LLM_TIMEOUT_S,
                           headers={"x-api-key": settings.anthropic_api_key, "anthropic-version": "2023-06-01"})
    except httpx.HTTPError as exc:
        return Check("LLM endpoint", "FAIL", f"{base} unreachable: {type(exc).__name__}: {exc}")
    if answer.status_code in (401, 403):
        return Check("LLM endpoint", "FAIL", f"{base} refused the API key (HTTP {answer.status_code})")
    return Check("LLM endpoint", "ok", f"{base} answers (HTTP {answer.status_code})")


def _clock(settings: Settings) -> Check:
    from store import operator
    from store.repository import JobRepository

    db = make_engine(settings.database_url)
    try:
        repo = JobRepository(db)
        db_now = operator.database_now(repo)
        if db_now is None:
            return Check("clock skew", "skip", "SQLite: every node is this machine")
        local = SystemClock().now()
        skew = local - db_now
        notes = [f"this node {skew.total_seconds():+.3f}s from the database"]
        fresh = timedelta(seconds=settings.lease_seconds)  # a lease renewed just now ends this far ahead
        ahead = [f"{worker} (leases {(until - db_now - fresh).total_seconds():+.1f}s beyond a fresh one)"
                 for worker, until in operator.lease_holders(repo).items() if until - db_now > fresh + MAX_SKEW]
        if ahead:
            notes.append("nodes with clocks ahead: " + ", ".join(ahead))
        verdict = "ok" if abs(skew) <= MAX_SKEW and not ahead else "FAIL"
        return Check("clock skew", verdict, "; ".join(notes) + (f" (limit {MAX_SKEW.total_seconds():g}s)"
                                                                 if verdict == "FAIL" else ""))
    except Exception as exc:  # noqa: BLE001
        return Check("clock skew", "FAIL", f"cannot compare: {type(exc).__name__}")
    finally:
        db.dispose()


CHECKS: list[Callable[[Settings], Check]] = [_config, _database, _schema, _model, _llm, _clock]
NEEDS_DATABASE = {_schema, _clock}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON")
@database_option
def doctor(as_json: bool, database_url: str | None) -> None:
    """Check configuration, database, schema, model files, LLM endpoint and clocks; exit 1 if one fails."""
    try:
        settings = settings_for(database_url)
    except click.ClickException as exc:
        _report([Check("configuration", "FAIL", exc.message)], as_json)
        raise SystemExit(1) from exc
    results: list[Check] = []
    database_ok = True
    for check in CHECKS:
        if check in NEEDS_DATABASE and not database_ok:
            results.append(Check(check.__name__.strip("_"), "skip", "the database is not usable"))
            continue
        results.append(check(settings))
        if check is _database:
            database_ok = results[-1].verdict == "ok"
    _report(results, as_json)
    if any(r.verdict == "FAIL" for r in results):
        raise SystemExit(1)


def _report(results: list[Check], as_json: bool) -> None:
    if as_json:
        print_json({"ok": all(r.verdict != "FAIL" for r in results),
                    "checks": [{"name": r.name, "verdict": r.verdict, "detail": r.detail} for r in results]})
        return
    for r in results:
        click.echo(f"{r.verdict:<4}  {r.name}: {r.detail}")
