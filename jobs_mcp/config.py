"""Configuration, read once from JOBS_MCP_* (and the Anthropic variables) into a frozen object.

Nothing below this module reads the environment: `store` and `scheduler` get
what they need from `Settings` as arguments.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from store.errors import InvalidArgument

DEFAULT_MODEL = "claude-sonnet-4-6"
DEFAULT_JUDGE_MODEL = "claude-haiku-4-5"


def default_database_url() -> str:
    path = Path(user_data_dir("jobs-mcp", appauthor=False)) / "jobs.db"
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 7803
    database_url: str = field(default_factory=default_database_url)
    timezone: str = "UTC"
    anthropic_api_key: str | None = None
    anthropic_base_url: str | None = None
    model: str = DEFAULT_MODEL
    judge_model: str = DEFAULT_JUDGE_MODEL
    tokens_file: str | None = None
    fetch_allow: tuple[str, ...] = ()
    prices_file: str | None = None  # JSON price table over the defaults (scheduler/llm/pricing.py)
    servers_file: str | None = None  # {"mcpServers": ...}: the MCP servers agent jobs may use (docs/agent-tools.md)
    tool_timeout_seconds: float = 60  # one MCP tool call of an agent run
    max_concurrent_runs: int = 8
    min_interval_seconds: int = 60
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one object per line with job_id/run_id fields (docs/observability.md)
    node_id: str | None = None
    # Engine leases (docs/design.md §8): a node that dies loses its runs after lease_seconds; a stopping
    # node waits shutdown_grace_seconds for its runs before handing them to the others.
    lease_seconds: int = 30
    shutdown_grace_seconds: int = 10
    # Per-owner quotas (docs/limits.md#quotas); 0 switches one off.
    max_active_jobs: int = 1000
    max_creates_per_minute: int = 60
    max_daily_spend_usd: float = 10.0
    # HTTP (docs/identity.md): the names answered besides loopback; how long a client may take to
    # send a whole request and may idle between requests; MCP sessions' idle expiry and their number.
    public_hosts: tuple[str, ...] = ()
    read_timeout_seconds: float = 10
    # Longer than clients keep idle pooled connections (httpx 5 s, Node 4 s): a server that closes
    # first races the client's next request on that connection, which then fails with a reset.
    keep_alive_seconds: float = 30
    session_idle_seconds: float = 1800
    max_sessions: int = 1000
    max_sessions_per_owner: int = 250  # 0: only the cap on all sessions
    # Retention (docs/operations.md#retention); 0 switches a step off.
    archive_after_days: int = 30
    purge_after_days: int = 180

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


# variable -> (Settings field, parser)
_ENV: dict[str, tuple[str, str]] = {
    "JOBS_MCP_HOST": ("host", "str"),
    "JOBS_MCP_PORT": ("port", "port"),
    "JOBS_MCP_DATABASE_URL": ("database_url", "str"),
    "JOBS_MCP_TIMEZONE": ("timezone", "str"),
    "ANTHROPIC_API_KEY": ("anthropic_api_key", "str"),
    "ANTHROPIC_BASE_URL": ("anthropic_base_url", "str"),
    "JOBS_MCP_MODEL": ("model", "str"),
    "JOBS_MCP_JUDGE_MODEL": ("judge_model", "str"),
    "JOBS_MCP_TOKENS_FILE": ("tokens_file", "str"),
    "JOBS_MCP_FETCH_ALLOW": ("fetch_allow", "list"),
    "JOBS_MCP_PRICES_FILE": ("prices_file", "str"),
    "JOBS_MCP_SERVERS_FILE": ("servers_file", "str"),
    "JOBS_MCP_TOOL_TIMEOUT_SECONDS": ("tool_timeout_seconds", "positive"),
    "JOBS_MCP_MAX_CONCURRENT_RUNS": ("max_concurrent_runs", "positive"),
    "JOBS_MCP_MIN_INTERVAL_SECONDS": ("min_interval_seconds", "positive"),
    "JOBS_MCP_LOG_LEVEL": ("log_level", "str"),
    "JOBS_MCP_LOG_FORMAT": ("log_format", "str"),
    "JOBS_MCP_NODE_ID": ("node_id", "str"),
    "JOBS_MCP_LEASE_SECONDS": ("lease_seconds", "positive"),
    "JOBS_MCP_SHUTDOWN_GRACE_SECONDS": ("shutdown_grace_seconds", "positive"),
    "JOBS_MCP_MAX_ACTIVE_JOBS": ("max_active_jobs", "quota"),
    "JOBS_MCP_MAX_CREATES_PER_MINUTE": ("max_creates_per_minute", "quota"),
    "JOBS_MCP_MAX_DAILY_SPEND_USD": ("max_daily_spend_usd", "usd"),
    "JOBS_MCP_PUBLIC_HOSTS": ("public_hosts", "list"),
    "JOBS_MCP_READ_TIMEOUT_SECONDS": ("read_timeout_seconds", "positive"),
    "JOBS_MCP_KEEP_ALIVE_SECONDS": ("keep_alive_seconds", "positive"),
    "JOBS_MCP_SESSION_IDLE_SECONDS": ("session_idle_seconds", "positive"),
    "JOBS_MCP_MAX_SESSIONS": ("max_sessions", "positive"),
    "JOBS_MCP_MAX_SESSIONS_PER_OWNER": ("max_sessions_per_owner", "quota"),
    "JOBS_MCP_ARCHIVE_AFTER_DAYS": ("archive_after_days", "quota"),
    "JOBS_MCP_PURGE_AFTER_DAYS": ("purge_after_days", "quota"),
}
MAX_DAILY_SPEND_USD = 1_000_000


def _parse(variable: str, kind: str, raw: str) -> Any:
    if kind == "str":
        return raw
    if kind == "list":
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if kind == "usd":
        return _usd(variable, raw)
    try:
        number = int(raw)
    except ValueError:
        number = -1
    low, high = {"port": (1, 65535), "quota": (0, 10**9)}.get(kind, (1, 10**9))
    if not low <= number <= high:
        raise InvalidArgument(variable, f"an integer from {low} to {high}", raw)
    return number


def _usd(variable: str, raw: str) -> float:
    try:
        amount = float(raw)
    except ValueError:
        amount = -1.0
    if not 0 <= amount <= MAX_DAILY_SPEND_USD:  # NaN fails this too
        raise InvalidArgument(variable, f"an amount in USD from 0 (no limit) to {MAX_DAILY_SPEND_USD}", raw)
    return amount


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment; an unusable value raises InvalidArgument naming the variable."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for variable, (name, kind) in _ENV.items():
        raw = env.get(variable)
        if raw is not None and raw.strip() != "":
            values[name] = _parse(variable, kind, raw.strip())
    settings = Settings(**values)
    from jobs_mcp.http_guard import parse_public_host
    from scheduler.net_guard import AllowList
    from scheduler.schedules.timezones import zone

    try:
        AllowList.parse(settings.fetch_allow)
    except ValueError as exc:
        raise InvalidArgument("JOBS_MCP_FETCH_ALLOW", "comma-separated host names, addresses or CIDR networks",
                              ",".join(settings.fetch_allow), reason=str(exc)) from exc
    try:
        settings = replace(settings, public_hosts=tuple(parse_public_host(h) for h in settings.public_hosts))
    except ValueError as exc:
        raise InvalidArgument("JOBS_MCP_PUBLIC_HOSTS", "comma-separated host names or addresses, each with an "
                              "optional :port", ",".join(settings.public_hosts), reason=str(exc)) from exc
    if settings.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise InvalidArgument("JOBS_MCP_LOG_LEVEL", "DEBUG, INFO, WARNING, ERROR or CRITICAL", settings.log_level)
    if settings.log_format.lower() not in ("text", "json"):
        raise InvalidArgument("JOBS_MCP_LOG_FORMAT", "text or json", settings.log_format)
    settings = replace(settings, log_format=settings.log_format.lower())

    try:
        zone(settings.timezone)
    except InvalidArgument as exc:
        raise InvalidArgument("JOBS_MCP_TIMEZONE", exc.expected, settings.timezone) from exc
    return settings


ENV_FOR_FIELD = {name: variable for variable, (name, _) in _ENV.items()}
