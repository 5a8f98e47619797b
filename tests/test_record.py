"""Reading case files and records safely (casefile.py) and the record's digest."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from transport_policy.casefile import MAX_BYTES, load_case, parse_record, parse_text, split_expected
from transport_policy.engine import input_digest
from transport_policy.errors import RecordError

MINIMAL_YAML = "case_id: C-1\nassessment_date: 2021-03-15\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rejected(path: Path) -> RecordError:
    with pytest.raises(RecordError) as caught:
        load_case(path)
    assert caught.value.source == str(path)
    return caught.value


# --- YAML ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "NO", "y", "n"])
def test_yaml_1_1_boolean_words_are_not_booleans(tmp_path: Path, word: str) -> None:
    path = write(tmp_path, "c.yaml", MINIMAL_YAML + f"travel:\n  needs_supervision: {word}\n")
    error = rejected(path)
    assert [e.field for e in error.errors] == ["travel.needs_supervision"]
    assert "true or false" in error.errors[0].message


@pytest.mark.parametrize(
    ("word", "value"), [("true", True), ("false", False), ("True", True), ("FALSE", False)]
)
def test_yaml_1_2_booleans_are_read(tmp_path: Path, word: str, value: bool) -> None:
    path = write(tmp_path, "c.yaml", MINIMAL_YAML + f"travel:\n  needs_supervision: {word}\n")
    record, _ = load_case(path)
    assert record.travel.needs_supervision is value


def test_an_enum_value_spelt_like_a_yaml_1_1_boolean_stays_text(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", MINIMAL_YAML + "circumstances:\n  temporary_illness: no\n")
    error = rejected(path)
    assert [e.field for e in error.errors] == ["circumstances.temporary_illness"]
    assert "none, person, carer" in error.errors[0].message


@pytest.mark.parametrize(
    "text",
    [
        MINIMAL_YAML + "case_id: C-2\n",
        MINIMAL_YAML + "person:\n  age: 40\n  age: 41\n",
    ],
)
def test_yaml_duplicate_keys_are_rejected(tmp_path: Path, text: str) -> None:
    error = rejected(write(tmp_path, "c.yaml", text))
    assert error.path == "(file)"
    assert "duplicate key" in error.errors[0].message


def test_yaml_anchors_and_aliases_are_rejected(tmp_path: Path) -> None:
    text = MINIMAL_YAML + "travel: &t\n  needs_supervision: true\nvehicles: *t\n"
    error = rejected(write(tmp_path, "c.yaml", text))
    assert error.path == "(file)"
    assert "anchors and aliases" in error.errors[0].message


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (MINIMAL_YAML + "---\n" + MINIMAL_YAML, 2),
        ("", 0),
    ],
)
def test_a_yaml_file_holds_exactly_one_document(tmp_path: Path, text: str, found: int) -> None:
    error = rejected(write(tmp_path, "c.yaml", text))
    assert error.path == "(file)"
    assert f"found {found}" in error.errors[0].message


def test_yaml_syntax_errors_give_the_line_not_the_text(tmp_path: Path) -> None:
    text = MINIMAL_YAML + "person:\n  age: [40\n  secret-value: x\n"
    error = rejected(write(tmp_path, "c.yaml", text))
    assert error.path == "(file)"
    assert "line" in error.errors[0].message
    assert "secret-value" not in str(error)


# --- size ----------------------------------------------------------------------------------------


def test_files_over_the_size_limit_are_rejected_unread(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", MINIMAL_YAML + "#" * (MAX_BYTES + 1) + "\n")
    error = rejected(path)
    assert error.path == "(file)"
    assert str(MAX_BYTES) in error.errors[0].message


def test_a_file_exactly_at_the_size_limit_is_read(tmp_path: Path) -> None:
    body = '{"case_id": "C-1", "assessment_date": "2021-03-15"}'
    path = write(tmp_path, "c.json", body + " " * (MAX_BYTES - len(body)))
    assert path.stat().st_size == MAX_BYTES
    record, _ = load_case(path)
    assert record.case_id == "C-1"


def test_text_over_the_size_limit_is_rejected() -> None:
    with pytest.raises(RecordError) as caught:
        parse_text("é" * (MAX_BYTES // 2 + 1), source="<stdin>")
    assert caught.value.path == "(file)"
    assert caught.value.source == "<stdin>"


# --- JSON ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_non_finite_numbers_are_rejected(tmp_path: Path, constant: str) -> None:
    text = (
        '{"case_id": "C-1", "assessment_date": "2021-03-15", '
        f'"destination": {{"distance_miles": {constant}}}}}'
    )
    error = rejected(write(tmp_path, "c.json", text))
    assert error.path == "(file)"
    assert "not allowed" in error.errors[0].message


def test_json_duplicate_keys_are_rejected(tmp_path: Path) -> None:
    text = '{"case_id": "C-1", "assessment_date": "2021-03-15", "person": {"age": 40, "age": 41}}'
    error = rejected(write(tmp_path, "c.json", text))
    assert error.path == "(file)"
    assert "duplicate key" in error.errors[0].message


def test_json_is_recognised_without_a_json_extension(tmp_path: Path) -> None:
    text = '{"case_id": "C-1", "assessment_date": "2021-03-15", "person": {"age": 40}}'
    record, expected = load_case(write(tmp_path, "c.txt", text))
    assert record.person.age == 40 and expected is None


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("c.json", '{"case_id": "C-1", "assessment_date": "2021-03-15", "person": {"age": 40}}'),
        ("c.txt", '{"case_id": "C-1", "assessment_date": "2021-03-15", "person": {"age": 40}}'),
        ("c.yaml", MINIMAL_YAML + "person:\n  age: 40\n"),
    ],
)
def test_a_byte_order_mark_at_the_start_is_not_part_of_the_case(
    tmp_path: Path, name: str, text: str
) -> None:
    """Windows Notepad may save UTF-8 with a byte order mark: JSON reads as YAML does."""
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    record, _ = load_case(path)
    assert record.person.age == 40
    plain, _ = load_case(write(tmp_path, "plain-" + name, text))
    assert input_digest(record) == input_digest(plain)


# --- dates ---------------------------------------------------------------------------------------


def test_a_json_date_is_a_yyyy_mm_dd_string(tmp_path: Path) -> None:
    text = '{"case_id": "C-1", "assessment_date": "2021-03-15"}'
    record, _ = load_case(write(tmp_path, "c.json", text))
    assert record.assessment_date == dt.date(2021, 3, 15)


@pytest.mark.parametrize(
    "value", ["2021-3-15", "15/03/2021", "2021-03-15T09:30:00", "20210315", "2021-02-30"]
)
def test_other_date_strings_are_rejected(value: str) -> None:
    with pytest.raises(RecordError) as caught:
        parse_record({"case_id": "C-1", "assessment_date": value})
    assert [e.field for e in caught.value.errors] == ["assessment_date"]
    assert value not in str(caught.value)


def test_a_yaml_date_is_read_as_a_date(tmp_path: Path) -> None:
    record, _ = load_case(write(tmp_path, "c.yaml", MINIMAL_YAML))
    assert record.assessment_date == dt.date(2021, 3, 15)


def test_a_yaml_date_and_time_is_rejected(tmp_path: Path) -> None:
    text = "case_id: C-1\nassessment_date: 2021-03-15T09:30:00\n"
    error = rejected(write(tmp_path, "c.yaml", text))
    assert [e.field for e in error.errors] == ["assessment_date"]
    assert "must be a date written YYYY-MM-DD" in error.errors[0].message


# --- the expected block of a golden case ---------------------------------------------------------


def test_the_expected_block_is_split_from_the_record(tmp_path: Path) -> None:
    text = MINIMAL_YAML + "expected:\n  outcome: needs_information\n  questions: [person.age]\n"
    record, expected = load_case(write(tmp_path, "c.yaml", text))
    assert expected == {"outcome": "needs_information", "questions": ["person.age"]}
    assert "expected" not in record.model_dump()


def test_a_case_without_an_expected_block_has_none() -> None:
    data = {"case_id": "C-1", "assessment_date": "2021-03-15"}
    assert split_expected(data) == (data, None)


def test_expected_is_not_a_field_of_a_record() -> None:
    with pytest.raises(RecordError) as caught:
        parse_record({"case_id": "C-1", "assessment_date": "2021-03-15", "expected": {}})
    assert caught.value.path == "expected"


# --- the input digest ----------------------------------------------------------------------------

BASE = {
    "case_id": "C-1",
    "assessment_date": "2021-03-15",
    "person": {"age": 43, "service_area": "learning_disability"},
    "travel": {"can_use_public_transport": "with_support"},
}


def test_the_digest_ignores_unknown_facts_written_as_null() -> None:
    with_nulls = {
        **BASE,
        "assessor": None,
        "person": {**BASE["person"], "eligible_care_needs": None},  # type: ignore[dict-item]
        "travel": {**BASE["travel"], "needs_supervision": None},  # type: ignore[dict-item]
        "vehicles": {"private_car": None},
        "override": None,
    }
    assert input_digest(parse_record(with_nulls)) == input_digest(parse_record(BASE))


def test_the_digest_ignores_how_the_record_was_written(tmp_path: Path) -> None:
    yaml_text = (
        "travel: {can_use_public_transport: with_support}\n"
        "person: {service_area: learning_disability, age: 43}\n" + MINIMAL_YAML
    )
    from_yaml, _ = load_case(write(tmp_path, "c.yaml", yaml_text))
    from_json, _ = load_case(write(tmp_path, "c.json", json.dumps(BASE)))
    assert input_digest(from_yaml) == input_digest(from_json) == input_digest(parse_record(BASE))


@pytest.mark.parametrize(
    "change",
    [
        {"person": {"age": 44, "service_area": "learning_disability"}},
        {"travel": {"can_use_public_transport": "independently"}},
        {"travel": {"can_use_public_transport": "with_support", "needs_supervision": False}},
        {"case_id": "C-2"},
        {"assessment_date": "2021-03-16"},
    ],
)
def test_the_digest_changes_when_a_fact_changes(change: dict[str, object]) -> None:
    digest = input_digest(parse_record(BASE))
    assert digest.startswith("sha256:") and len(digest) == len("sha256:") + 64
    assert input_digest(parse_record({**BASE, **change})) != digest


def test_a_section_written_as_null_is_all_unknown() -> None:
    text = "case_id: C-1\nassessment_date: 2021-03-15\nperson:\n  # age: 40\ntravel: null\n"
    record = parse_record(parse_text(text, source="c.yaml", fmt="yaml"), source="c.yaml")
    assert record.person.age is None
    assert record.travel.can_use_public_transport is None
