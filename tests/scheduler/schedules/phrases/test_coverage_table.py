"""The phrasing table of bench/phrase_coverage.py: every rule of the conventions has phrasings, all read right."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[4] / "bench" / "phrase_coverage.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("phrase_coverage", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_rule_has_at_least_three_phrasings() -> None:
    bench = _bench()
    rules = Counter(row["rule"] for row in bench.rows(bench.TABLE))
    assert len(rules) >= 30
    assert min(rules.values()) >= 3, [rule for rule, count in rules.items() if count < 3]


def test_every_phrasing_reads_as_the_table_says() -> None:
    misses = [result for result in _bench().evaluate() if not result.ok]
    assert misses == []
