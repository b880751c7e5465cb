"""Settings from the environment: the quota variables (0 switches a quota off; anything else odd is refused)."""

from __future__ import annotations

import pytest

from jobs_mcp.config import Settings, load_settings
from store.errors import InvalidArgument


def test_quota_defaults() -> None:
    settings = load_settings({})
    assert (settings.max_active_jobs, settings.max_creates_per_minute, settings.max_daily_spend_usd) == (1000, 60, 10.0)


def test_quota_variables_are_read_and_zero_is_accepted() -> None:
    settings = load_settings({"JOBS_MCP_MAX_ACTIVE_JOBS": "0", "JOBS_MCP_MAX_CREATES_PER_MINUTE": "500",
                              "JOBS_MCP_MAX_DAILY_SPEND_USD": "2.50"})
    assert settings == Settings(max_active_jobs=0, max_creates_per_minute=500, max_daily_spend_usd=2.5,
                                database_url=settings.database_url)


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("JOBS_MCP_MAX_ACTIVE_JOBS", "-1", "an integer from 0 to 1000000000"),
    ("JOBS_MCP_MAX_CREATES_PER_MINUTE", "ten", "an integer from 0 to 1000000000"),
    ("JOBS_MCP_MAX_DAILY_SPEND_USD", "nan", "an amount in USD from 0 (no limit) to 1000000"),
    ("JOBS_MCP_MAX_DAILY_SPEND_USD", "-5", "an amount in USD from 0 (no limit) to 1000000"),
    ("JOBS_MCP_MAX_DAILY_SPEND_USD", "1e9", "an amount in USD from 0 (no limit) to 1000000"),
])
def test_bad_quota_values_name_the_variable(variable: str, value: str, expected: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        load_settings({variable: value})
    assert caught.value.field == variable and caught.value.expected == expected
