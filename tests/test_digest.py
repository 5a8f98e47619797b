"""The fast canonical-JSON paths are byte-identical to the rfc8785 reference."""

from __future__ import annotations

import json
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import records
from transport_policy import AssessmentRecord, decide, parse_record
from transport_policy.digest import canonical_json, canonical_json_text, sha256_digest
from transport_policy.model.canonical import input_digest, record_json

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400)
@given(json_values)
def test_canonical_json_matches_rfc8785(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except Exception:  # the reference refuses some values (e.g. lone surrogates)
        return
    assert canonical_json(value) == expected


def test_control_characters_and_non_ascii_are_escaped_as_rfc8785_says() -> None:
    value = {"b": 'tab\there \u0001 é \u2028 "q" \\', "a": [True, None, 7]}
    assert canonical_json(value) == rfc8785.dumps(value)


def _reference(record: AssessmentRecord) -> bytes:
    return canonical_json(record.model_dump(mode="json", exclude_none=True))


@settings(max_examples=300)
@given(records())
def test_a_records_canonical_json_is_the_general_writers(data: dict[str, Any]) -> None:
    record = parse_record(data)
    assert record_json(record) == _reference(record)
    again = parse_record(data)  # another object: made afresh, not the bytes kept
    assert record_json(again) == _reference(record)


@pytest.mark.parametrize(
    "facts",
    [
        {"destination": {"distance_miles": 1e20}},  # whole, beyond 2**53: rfc8785 prints it
        {"destination": {"distance_miles": 1e-7}},  # exponent notation
        {"destination": {"distance_miles": 2.5}},
        {"destination": {"distance_miles": 3.0}},  # a whole number written as an integer
    ],
)
def test_values_off_the_fast_path_fall_back_to_the_general_writer(
    facts: dict[str, Any],
) -> None:
    data = {"case_id": "C-1", "assessment_date": "2021-03-15", **facts}
    record = parse_record(data)
    assert record_json(record) == _reference(record)


def test_the_bytes_kept_are_those_of_the_same_record_object_only() -> None:
    first = parse_record({"case_id": "C-1", "assessment_date": "2021-03-15"})
    second = parse_record({"case_id": "C-2", "assessment_date": "2021-03-15"})
    assert record_json(first) != record_json(second)
    assert record_json(first) == _reference(first)
    assert input_digest(second) == sha256_digest(_reference(second))


@settings(max_examples=500)
@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False))
def test_a_records_numbers_are_written_as_rfc8785_writes_them(number: float) -> None:
    record = parse_record(
        {
            "case_id": "C-1",
            "assessment_date": "2021-03-15",
            "destination": {"distance_miles": number},
        }
    )
    assert record_json(record) == _reference(record)


def test_text_with_every_escape_is_written_as_rfc8785_writes_it() -> None:
    text = "".join(chr(c) for c in range(0x20)) + '"\\ \x7f é \u2028 \u2029 \ufeff \U0001f600'
    record = parse_record({"case_id": "C-1", "assessment_date": "2021-03-15"})
    record = record.model_copy(
        update={"judgement": record.judgement.model_copy(update={"notes": text})}
    )
    assert record_json(record) == _reference(record)
    assert _reference(record) == rfc8785.dumps(record.model_dump(mode="json", exclude_none=True))


@settings(max_examples=400)
@given(json_values, st.booleans())
def test_canonical_json_of_json_text_matches_rfc8785(value: object, ascii_only: bool) -> None:
    try:
        expected = rfc8785.dumps(value)
    except Exception:  # the reference refuses some values (e.g. lone surrogates)
        return
    assert canonical_json_text(json.dumps(value, ensure_ascii=ascii_only)) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"n": [3.0, -0.0, 1e-7, 1e16, 1e20, 2.5, 0.0001, 2**53 - 1, 2.0**60, -(2.0**60)]},
        {"\ue000": 1, "\U0001f600": 2, "a": "\u2028 é"},  # UTF-16 order differs
        {"b": 'tab\there \u0001 é \u2028 "q" \\', "a": [True, None, 7]},
    ],
)
def test_canonical_json_of_json_text_off_the_fast_path(value: object) -> None:
    for ascii_only in (True, False):
        text = json.dumps(value, ensure_ascii=ascii_only)
        assert canonical_json_text(text) == rfc8785.dumps(value)


@settings(max_examples=150, deadline=None)
@given(records())
def test_a_decisions_canonical_json_from_its_line_is_the_general_writers(
    data: dict[str, Any],
) -> None:
    decision = decide(data)
    expected = canonical_json(decision.model_dump(mode="json"))
    assert canonical_json_text(decision.to_json()) == expected
