"""The JSON Schemas of the record and the decision: committed, current and usable by others."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from transport_policy import RecordError, __version__, decide, load_case
from transport_policy.casefile import parse_record, parse_text, split_expected
from transport_policy.cli.schema import schema_command
from transport_policy.model.record import FIELD_PATHS, field_values
from transport_policy.model.schema import SCHEMAS, schema, schema_json

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.yaml"))


def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        json.loads(schema_json(name)), format_checker=jsonschema.FormatChecker()
    )


def as_json(value: Any) -> Any:
    """A parsed YAML case as a JSON client would send it (dates as ISO strings)."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


@pytest.mark.parametrize("name", SCHEMAS)
def test_the_committed_schema_is_current_and_valid_2020_12(name: str) -> None:
    path = ROOT / "docs" / "schema" / f"{name}.schema.json"
    assert path.read_text(encoding="utf-8") == schema_json(name), (
        f"{path.name} is out of date: run transport-policy schema {name} > docs/schema/{path.name}"
    )
    document = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == f"https://transport-policy.invalid/schema/{name}/{__version__}.json"


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_command_prints_the_schema(name: str) -> None:
    result = CliRunner().invoke(schema_command, [name])
    assert result.exit_code == 0
    assert result.output == schema_json(name)
    assert CliRunner().invoke(schema_command, ["records"]).exit_code == 2


def test_schema_help_gives_examples_and_exit_statuses() -> None:
    result = CliRunner().invoke(schema_command, ["--help"])
    assert result.exit_code == 0
    assert "transport-policy schema record >" in result.output
    assert "Exit status:\n    0  the schema was printed\n    2  " in result.output


def test_every_golden_case_and_its_decision_match_the_schemas() -> None:
    records, decisions = validator("record"), validator("decision")
    for path in CASES:
        data, _ = split_expected(parse_text(path.read_text(encoding="utf-8"), source=path.name))
        records.validate(as_json(data))
        record, _ = load_case(path)
        decisions.validate(decide(record).model_dump(mode="json"))


def test_the_record_schema_rejects_what_the_engine_rejects() -> None:
    records = validator("record")
    good = {"case_id": "C-1", "assessment_date": "2021-03-15", "person": {"age": 43}}
    assert records.is_valid(good)
    for bad in (
        {**good, "person": {"age": "43"}},  # no coercion
        {**good, "person": {"age": 131}},
        {**good, "travel": {"can_use_public_transport": "sometimes"}},
        {**good, "travel": {"walks": True}},  # unknown key
        {**good, "override": {"outcome": "provide"}},  # an override needs its reason
        {**good, "override": {"outcome": "provide", "reason": " \t "}},
        {**good, "case_id": "C\x001"},
        {**good, "assessor": {"name": "A\x1b[2JB"}},
        {"case_id": "C-1"},
        {**good, "assessment_date": "15/03/2021"},
    ):
        assert not records.is_valid(bad), bad


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"person": {"age": 43.0}}, "person.age"),
        ({"case_id": "   "}, "case_id"),
        ({"assessment_date": "2021-02-30"}, "assessment_date"),
        ({"assessment_date": "2021-03-15T00:00:00"}, "assessment_date"),
        ({"assessor": {"name": "A\n"}}, "assessor.name"),
        ({"destination": {"name": "Day centre\n"}}, "destination.name"),
    ],
)
def test_the_engine_has_the_last_word_where_it_is_stricter_than_the_schema(
    change: dict[str, Any], field: str
) -> None:
    """The differences docs/integrating.md lists: the schema (format checks off, as validators
    default) passes these records, and the engine rejects each naming the field path."""
    record = {"case_id": "C-1", "assessment_date": "2021-03-15", **change}
    assert jsonschema.Draft202012Validator(schema("record")).is_valid(record)
    with pytest.raises(RecordError) as caught:
        parse_record(record)
    assert [e.field for e in caught.value.errors] == [field]


def test_unknown_is_absent_or_null_for_every_fact() -> None:
    records = validator("record")
    base = {"case_id": "C-1", "assessment_date": "2021-03-15"}
    for path in FIELD_PATHS:
        section, _, leaf = path.partition(".")
        if not leaf or section == "override":
            continue
        assert records.is_valid({**base, section: {leaf: None}}), path


def test_enum_values_in_the_schema_are_the_records() -> None:
    document = schema("record")
    for path in FIELD_PATHS:
        allowed = field_values(path) if "." in path else None
        if allowed is None or allowed == (True, False):
            continue
        section, _, leaf = path.partition(".")
        ref = document["properties"][section]
        ref = ref.get("$ref") or next(b["$ref"] for b in ref["anyOf"] if "$ref" in b)
        name = ref.split("/")[-1]
        prop = document["$defs"][name]["properties"][leaf]
        enums = [b["enum"] for b in prop.get("anyOf", [prop]) if "enum" in b]
        assert enums == [list(allowed)], path
