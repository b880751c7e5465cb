"""How many of docs/schedule-conventions.md's rules the grammar reads right, without a language model.

Reads bench/data/schedule_phrasings.tsv: for every rule of the conventions (both sections)
several phrasings, most of them not in the document, each with the job type and first
fires (or the refusal) worked out by hand. Prints the share read correctly per rule and
overall, and every miss with what the grammar gave instead.
Usage: .venv/bin/python bench/phrase_coverage.py [--table PATH]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduler.schedules.phrases import parse_schedule  # noqa: E402
from scheduler.schedules.preview import preview_schedule  # noqa: E402
from store.errors import InvalidArgument  # noqa: E402

TABLE = Path(__file__).resolve().parent / "data" / "schedule_phrasings.tsv"
CONVENTIONS = Path(__file__).resolve().parent.parent / "docs" / "schedule-conventions.md"
DEFAULT_ZONE = "Europe/Berlin"
DEFAULT_NOW = "2027-06-09T14:20:05+02:00"


def reading(phrase: str, zone: str, now: str, fires: int) -> str:
    """What the grammar gives, in the table's 'expected' form."""
    instant = datetime.fromisoformat(now)
    try:
        spec = parse_schedule(phrase, zone, instant)
    except InvalidArgument as refused:
        return f"error {refused.reason}"
    preview = preview_schedule(spec, instant, fires)
    return " ".join([spec.job_type.value, *preview.fires_local])


def matches(expected: str, got: str) -> bool:
    # A refusal matches when its reason starts with the expected words; a reading must match exactly.
    return got.startswith(expected) if expected.startswith("error ") else got == expected


def rows(table: Path) -> list[dict[str, str]]:
    lines = [line for line in table.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


class Result(NamedTuple):
    rule: str
    phrase: str
    expected: str
    got: str

    @property
    def ok(self) -> bool:
        return matches(self.expected, self.got)


def evaluate(table: Path = TABLE) -> list[Result]:
    results = []
    for row in rows(table):
        expected = row["expected"]
        fires = max(1, len(expected.split()) - 1)
        got = reading(row["phrase"], row.get("zone") or DEFAULT_ZONE, row.get("now") or DEFAULT_NOW, fires)
        results.append(Result(row["rule"], row["phrase"], expected, got))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=TABLE)
    results = evaluate(parser.parse_args().table)
    by_rule: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        by_rule[result.rule].append(result.ok)
    width = max(len(rule) for rule in by_rule)
    for rule, oks in by_rule.items():
        print(f"{rule:<{width}}  {sum(oks):>3}/{len(oks):<3} {100 * sum(oks) / len(oks):5.1f}%")
    right = sum(result.ok for result in results)
    print(f"\n{len(by_rule)} rules, {len(results)} phrasings: {right} read correctly without an LLM "
          f"({100 * right / len(results):.1f}%); rules fully covered: "
          f"{sum(all(oks) for oks in by_rule.values())}/{len(by_rule)}")
    conventions = CONVENTIONS.read_text(encoding="utf-8").lower() if CONVENTIONS.exists() else ""
    unseen = [result for result in results if f'"{result.phrase.lower()}"' not in conventions]
    print(f"{len(unseen)} of the phrasings are not examples in {CONVENTIONS.name}; "
          f"of those, {sum(result.ok for result in unseen)} read correctly")
    for miss in (result for result in results if not result.ok):
        print(f"\nMISS [{miss.rule}] {miss.phrase!r}\n  expected {miss.expected}\n  got      {miss.got}")


if __name__ == "__main__":
    main()
