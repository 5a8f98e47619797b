"""The plain-Python floor of ``benchmarks/floor.py`` decides as ``decide()`` does.

The floor is the baseline ``benchmarks/bench_floor.py`` measures ``decide()`` against, so it must
be like-for-like: on every golden case decided under 2021-01, on corpus records and on generated
records, its outcome, recommended outcome and reasons are the product's, and so is everything
else it gives (the decision without its wording: :func:`floor.project`), the input digest
included. The benchmark checks every record it times in the same way.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from strategies import records, to_json_ready
from transport_policy import decide
from transport_policy.api import select_policy
from transport_policy.casefile import parse_record, parse_text, read_source, split_expected
from transport_policy.model.fields import sections
from transport_policy.model.record import FIELD_ORDER

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import corpus  # noqa: E402 (benchmarks/, put on the path above)
import floor  # noqa: E402

CASES = sorted((ROOT / "cases").glob("*.yaml"))


def _case_mapping(path: Path) -> dict[str, Any]:
    """A golden case's record as parsed (a plain mapping, as the floor takes it)."""
    text, source = read_source(str(path))
    data, _ = split_expected(parse_text(text, source=source, fmt="yaml"))
    assert isinstance(data, dict)
    return data


def _decided_under_2021(path: Path) -> bool:
    return select_policy(parse_record(_case_mapping(path))).version == floor.POLICY_VERSION


CASES_2021 = [path for path in CASES if _decided_under_2021(path)]


def _assert_like_for_like(mapping: dict[str, Any]) -> None:
    product = floor.project(decide(mapping))
    made = floor.decide(mapping)
    assert (made["outcome"], made["recommended_outcome"]) == (
        product["outcome"],
        product["recommended_outcome"],
    )
    assert {r["rule"] for r in made["reasons"]} == {r["rule"] for r in product["reasons"]}
    differ = {
        key: (product[key], made.get(key)) for key in product if product[key] != made.get(key)
    }
    assert not differ, f"decide() and the floor differ: {differ}"


def test_the_floor_was_written_from_these_rule_files() -> None:
    """When rules/2021-01 changes, the floor must be changed with it."""
    policy = select_policy(parse_record(_case_mapping(CASES_2021[0])))
    assert policy.digest == floor.POLICY_DIGEST
    assert policy.effective_from.isoformat() == floor.EFFECTIVE_FROM
    assert policy.next_review is not None
    assert policy.next_review.isoformat() == floor.NEXT_REVIEW


def test_the_floors_field_lists_follow_the_record() -> None:
    """Questions in record field order; each section's fields in canonical (sorted) order."""
    assert list(floor.FIELD_ORDER) == sorted(floor.FIELD_ORDER, key=FIELD_ORDER.__getitem__)
    by_section = {name: sorted(s.name for s in specs) for name, specs in sections().items()}
    for name in (
        "benefits",
        "choices",
        "circumstances",
        "destination",
        "judgement",
        "person",
        "support_network",
        "travel",
        "vehicles",
    ):
        assert list(getattr(floor, name.upper())) == by_section[name]


def test_most_golden_cases_are_decided_under_2021() -> None:
    assert len(CASES_2021) >= 30


@pytest.mark.parametrize("path", CASES_2021, ids=[p.stem for p in CASES_2021])
def test_golden_case(path: Path) -> None:
    _assert_like_for_like(_case_mapping(path))


def test_corpus_records() -> None:
    mappings = corpus.generate(600, seed=7)
    outcomes = set()
    for mapping in mappings:
        _assert_like_for_like(mapping)
        outcomes.add(floor.decide(mapping)["outcome"])
    assert outcomes == {"provide", "do_not_provide", "needs_information", "out_of_scope"}


@settings(max_examples=100)
@given(records())
def test_generated_records(data: dict[str, Any]) -> None:
    """Records drawn to the edges: blank sections, text to strip, numbers of every size."""
    _assert_like_for_like(to_json_ready(data))


@settings(max_examples=150)
@given(records(profile="in_scope"))
def test_generated_records_in_scope(data: dict[str, Any]) -> None:
    """Records past the scope rules: the alternatives, their defeaters and the questions."""
    _assert_like_for_like(to_json_ready(data))


@settings(max_examples=150)
@given(records(profile="no_alternative"))
def test_generated_records_without_an_alternative(data: dict[str, Any]) -> None:
    """Records that reach the last stages: pending defeaters, provision and its grounds."""
    _assert_like_for_like(to_json_ready(data))


def test_the_floor_writes_its_decision_as_compact_json() -> None:
    mapping = corpus.generate(1)[0]
    assert floor.floor(mapping) == json.dumps(floor.decide(mapping), separators=(",", ":"))
