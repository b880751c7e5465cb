"""The limits as documented are the limits in code: docs/limits.md and the README's table follow store/limits.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jobs_mcp.config import Settings
from store import limits as L

ROOT = Path(__file__).resolve().parents[2]
QUOTAS = Settings()

# The first column of a row in docs/limits.md -> the numbers that row must show, in order.
DOC_ROWS: dict[str, tuple[int, ...]] = {
    "`title`": (L.TITLE_MAX,), "`instructions`": (L.INSTRUCTIONS_MAX,), "`end_condition`": (L.END_CONDITION_MAX,),
    "`schedule`": (L.SCHEDULE_MAX, 200), "`cron`": (L.CRON_MAX,),
    "`run_at`, `start_at`, `end_at`, preview `now`": (L.TIME_TEXT_MAX,), "`timezone`": (L.TIMEZONE_MAX,),
    "`chat_id` (every tool)": (L.CHAT_ID_MAX,), "`webhook_url`": (L.WEBHOOK_URL_MAX,),
    "`webhook_secret`": (L.WEBHOOK_SECRET_MAX, L.WEBHOOK_SECRET_MIN), "`idempotency_key`": (L.IDEMPOTENCY_KEY_MAX,),
    "`reason`": (L.REASON_MAX,), "`guidance` (one note)": (L.GUIDANCE_NOTE_MAX,),
    "`job_id` (every tool)": (L.JOB_ID_MAX,),
    "`cursor`": (L.CURSOR_MAX,), "`query`": (L.QUERY_MAX,), "`keywords`": (L.KEYWORDS_MAX,),
    "`message` (`job_observe_chat`)": (L.MESSAGE_MAX,),
    "`depends_on`": (L.DEPENDS_MAX, L.JOB_ID_MAX),
    "`channels` (jobs and `owner_settings`)": (L.CHANNELS_MAX, L.CHANNEL_URL_MAX),
    "`keywords` as a list": (L.KEYWORD_ITEMS_MAX,),
    "`status`, `job_type` filters": (L.FILTER_ITEMS_MAX,),
    "`interval_seconds`": (L.INTERVAL_SECONDS.low, L.INTERVAL_SECONDS.high),
    "`interval_days`": (L.INTERVAL_DAYS.low, L.INTERVAL_DAYS.high), "`max_runs`": (L.MAX_RUNS.low, L.MAX_RUNS.high),
    "`misfire_grace_seconds`": (L.MISFIRE_GRACE_SECONDS.low, L.MISFIRE_GRACE_SECONDS.high),
    "`max_attempts`": (L.MAX_ATTEMPTS.low, L.MAX_ATTEMPTS.high),
    "`timeout_seconds`": (L.TIMEOUT_SECONDS.low, L.TIMEOUT_SECONDS.high),
    "preview `count`": (L.PREVIEW_COUNT.low, L.PREVIEW_COUNT.high),
    "`limit` (`job_list`, `job_runs`, `job_inbox`)": (L.LIST_LIMIT.low, L.LIST_LIMIT.high),
    "`limit` (retrieval tools)": (L.SEARCH_LIMIT.low, L.SEARCH_LIMIT.high),
    "`runs` (`job_retrieval_by_id`)": (L.RUNS_SHOWN.low, L.RUNS_SHOWN.high),
    # agent jobs
    "`model`": (L.MODEL_MAX,), "`system_prompt`": (L.SYSTEM_PROMPT_MAX,),
    "`agent_tools`": (L.AGENT_TOOLS_MAX, L.AGENT_TOOL_MAX), "`max_turns`": (L.MAX_TURNS.low, L.MAX_TURNS.high),
    # quotas: the defaults of the settings
    "`JOBS_MCP_MAX_ACTIVE_JOBS`": (QUOTAS.max_active_jobs,),
    "`JOBS_MCP_MAX_CREATES_PER_MINUTE`": (QUOTAS.max_creates_per_minute,),
    "`JOBS_MCP_MAX_DAILY_SPEND_USD`": (int(QUOTAS.max_daily_spend_usd),),
}


def table_rows(path: Path) -> dict[str, tuple[int, ...]]:
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 2 and not set(cells[0]) <= {"-"}:
            rows[cells[0]] = tuple(int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", " ".join(cells[1:])))
    return rows


@pytest.mark.parametrize("row", sorted(DOC_ROWS))
def test_docs_limits_shows_the_bound_in_code(row: str) -> None:
    assert table_rows(ROOT / "docs" / "limits.md").get(row) == DOC_ROWS[row]


def test_every_documented_row_is_checked() -> None:
    documented = {k for k in table_rows(ROOT / "docs" / "limits.md") if "`" in k}  # field rows name a field
    assert documented == set(DOC_ROWS)


def test_the_readme_table_agrees() -> None:
    readme = table_rows(ROOT / "README.md")
    checked = [row for row in DOC_ROWS if row in readme]
    assert len(checked) >= 5
    for row in checked:
        assert readme[row] == DOC_ROWS[row], row


def test_window_and_headroom() -> None:
    assert (L.EARLIEST.isoformat(), L.LATEST.isoformat()) == ("1970-01-01T00:00:00+00:00", "2200-01-01T00:00:00+00:00")
    assert L.INTERVAL_SECONDS.high == L.DAYS_MAX * 86_400 < 2**31
    assert L.LATEST.year + L.PREVIEW_COUNT.high * L.DAYS_MAX // 365 < 9999
