"""The job input models: every field's type and bound, said once, refused with the field's name."""

from __future__ import annotations

import pytest

from scheduler.jobs.job_input import JobInput, JobPatch
from store import limits as L
from store.errors import InvalidArgument

BASE = {"title": "t", "instructions": "i"}
COUNTS = {
    "interval_seconds": L.INTERVAL_SECONDS, "interval_days": L.INTERVAL_DAYS, "max_runs": L.MAX_RUNS,
    "misfire_grace_seconds": L.MISFIRE_GRACE_SECONDS, "max_attempts": L.MAX_ATTEMPTS,
    "timeout_seconds": L.TIMEOUT_SECONDS, "max_turns": L.MAX_TURNS,
}
TEXTS = [name for name, info in JobInput.model_fields.items() if "str" in repr(info.annotation)
         and name not in ("job_type", "action", "depends_on", "channels")]


def refused(**fields: object) -> InvalidArgument:
    with pytest.raises(InvalidArgument) as info:
        JobInput(**{**BASE, **fields})
    return info.value


@pytest.mark.parametrize("field", sorted(COUNTS))
@pytest.mark.parametrize("value", ["low", "high", 2**31, 2**63, 10**30, -(10**30), True, 1.5, "many"])
def test_every_count_has_a_range_and_refuses_what_lies_outside(field: str, value: object) -> None:
    bound = COUNTS[field]
    if value == "low":
        value = bound.low - 1
    elif value == "high":
        value = bound.high + 1
    error = refused(**{field: value})
    assert error.field == field and str(error).startswith(f"{field}: expected ")


@pytest.mark.parametrize("field", sorted(COUNTS))
def test_every_count_accepts_both_ends_of_its_range(field: str) -> None:
    bound = COUNTS[field]
    for value in (bound.low, bound.high):
        assert getattr(JobInput(**BASE, **{field: value}), field) == value


def test_every_count_fits_a_32_bit_integer_column() -> None:
    assert all(bound.high < 2**31 for bound in COUNTS.values())

SINGLE_TEXTS = [name for name in TEXTS if name != "agent_tools"]  # a list of texts, tested with the lists


@pytest.mark.parametrize("field", SINGLE_TEXTS)
def test_every_text_refuses_nul_and_lone_surrogates(field: str) -> None:
    for bad in ("a\x00b", "a\ud800b"):
        error = refused(**{field: bad})
        assert error.field == field and ("NUL" in str(error) or "surrogate" in str(error))


@pytest.mark.parametrize("field", SINGLE_TEXTS)
def test_every_text_has_a_length_limit(field: str) -> None:
    error = refused(**{field: "x" * 30_000})
    assert error.field == field and "at most" in error.expected


def test_cost_must_be_a_finite_positive_amount() -> None:
    for value in (0, -1, float("nan"), float("inf"), L.MAX_COST_USD + 1, True):
        assert refused(max_cost_usd=value).field == "max_cost_usd"
    assert JobInput(**BASE, max_cost_usd=0.01).max_cost_usd == 0.01


def test_empty_optional_texts_count_as_not_given() -> None:
    data = JobInput(**BASE, idempotency_key="", chat_id="  ", schedule="")
    assert (data.idempotency_key, data.chat_id, data.schedule) == (None, None, None)
    assert refused(title="  ").field == "title"


def test_lists_are_bounded_and_drop_blank_items() -> None:
    assert JobInput(**BASE, depends_on=[" job_a ", "", "job_b"]).depends_on == ["job_a", "job_b"]
    assert refused(depends_on=["j"] * (L.DEPENDS_MAX + 1)).field == "depends_on"
    assert refused(depends_on=["x" * (L.JOB_ID_MAX + 1)]).field == "depends_on"


def test_the_time_zone_rule_is_iana_names_only() -> None:
    for name in ("EST", "CST", "Mars/Olympus", "utc+2"):
        assert refused(timezone=name).field == "timezone"
    assert JobInput(**BASE, timezone="America/New_York").timezone == "America/New_York"


def test_unknown_fields_and_wrong_types_name_the_field() -> None:
    assert refused(trigger_config={"cron": "0 9 * * 1"}).field == "trigger_config"
    assert refused(job_type="weekly").field == "job_type"
    assert refused(title=["a"]).field == "title"


def test_a_patch_applies_only_the_fields_that_were_set() -> None:
    patch = JobPatch(title="new", chat_id="", cron=None)
    assert patch.sent == {"title": "new"}
    assert not patch.touches_schedule and JobPatch(timezone="Europe/Berlin").touches_schedule
    with pytest.raises(InvalidArgument) as info:
        JobPatch(idempotency_key="k")
    assert info.value.field == "idempotency_key"
    # The patch's fields are JobInput's, with the same bounds.
    with pytest.raises(InvalidArgument):
        JobPatch(max_attempts=L.MAX_ATTEMPTS.high + 1)
    assert set(JobPatch.model_fields) == set(JobInput.model_fields) - {"idempotency_key"} | {"guidance"}
