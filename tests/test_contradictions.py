"""Contradictory facts are an input error, never a decision: one error entry per field path
involved, each naming the other paths, wherever a record comes in (the Python API, `decide`,
`batch`, the HTTP service, the assessor pages' upload) and in the record's JSON Schema."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from transport_policy import RecordError, decide
from transport_policy.cli.decide import decide_command
from transport_policy.model.contradictions import (
    CONTRADICTION_PATHS,
    CONTRADICTIONS,
    contradictions,
    model_contradictions,
)
from transport_policy.model.fields import FIELDS
from transport_policy.model.schema import schema_json
from transport_policy.service.app import Settings, create_app
from transport_policy.service.auth import parse_tokens

BASE: dict[str, Any] = {
    "case_id": "C-contradiction",
    "assessment_date": "2021-03-15",
    "person": {"age": 70, "eligible_care_needs": True},
}

# Each contradiction: (the story, the facts that contradict, a consistent neighbour).
CASES: dict[str, tuple[dict[str, object], dict[str, object]]] = {
    "A Motability driver recorded with no private car is an input error naming both fields": (
        {"vehicles.motability": True, "vehicles.private_car": False},
        {"vehicles.motability": True},
    ),
    "someone who needs supervision recorded as using buses independently": (
        {"travel.needs_supervision": True, "travel.can_use_public_transport": "independently"},
        {"travel.needs_supervision": True, "travel.can_use_public_transport": "with_support"},
    ),
    "an unpaid carer's support to walk recorded for someone who walks independently": (
        {
            "travel.mobilise_support_from_unpaid_carer": True,
            "travel.can_mobilise_safely": "independently",
        },
        {
            "travel.mobilise_support_from_unpaid_carer": True,
            "travel.can_mobilise_safely": "with_support",
        },
    ),
    "an unpaid carer's support on the bus recorded for someone unable to use buses": (
        {
            "travel.public_transport_support_from_unpaid_carer": True,
            "travel.can_use_public_transport": "unable",
        },
        {"travel.public_transport_support_from_unpaid_carer": True},
    ),
    "whose car the carer drives recorded when no carer is able and willing": (
        {
            "support_network.carer_uses_own_car": True,
            "support_network.carer_able_and_willing": False,
        },
        {
            "support_network.carer_uses_own_car": True,
            "support_network.carer_able_and_willing": True,
        },
    ),
    "the carer drives the person's car, but the person has no car": (
        {"support_network.carer_uses_own_car": False, "vehicles.private_car": False},
        {"support_network.carer_uses_own_car": True, "vehicles.private_car": False},
    ),
    "both rates of the mobility component at once": (
        {"benefits.standard_rate_mobility": True, "benefits.higher_rate_mobility": True},
        {"benefits.standard_rate_mobility": True, "benefits.higher_rate_mobility": False},
    ),
    "what an ill carer gives recorded when no carer is ill": (
        {"circumstances.ill_carer_relied_on_for": [], "circumstances.temporary_illness": "person"},
        {"circumstances.ill_carer_relied_on_for": [], "circumstances.temporary_illness": "both"},
    ),
    "the ill carer helps them walk, but that support is not an unpaid carer's": (
        {
            "circumstances.ill_carer_relied_on_for": ["walking"],
            "travel.mobilise_support_from_unpaid_carer": False,
        },
        {
            "circumstances.ill_carer_relied_on_for": ["walking"],
            "travel.mobilise_support_from_unpaid_carer": True,
        },
    ),
    "the ill carer helps them walk, but they walk independently": (
        {
            "circumstances.ill_carer_relied_on_for": ["walking"],
            "travel.can_mobilise_safely": "independently",
        },
        {
            "circumstances.ill_carer_relied_on_for": ["walking"],
            "travel.can_mobilise_safely": "with_support",
        },
    ),
    "the ill carer helps them on the bus, but that support is not an unpaid carer's": (
        {
            "circumstances.ill_carer_relied_on_for": ["public_transport"],
            "travel.public_transport_support_from_unpaid_carer": False,
        },
        {"circumstances.ill_carer_relied_on_for": ["public_transport"]},
    ),
    "the ill carer helps them on the bus, but they cannot use buses": (
        {
            "circumstances.ill_carer_relied_on_for": ["public_transport", "driving"],
            "travel.can_use_public_transport": "unable",
        },
        {
            "circumstances.ill_carer_relied_on_for": ["driving"],
            "travel.can_use_public_transport": "unable",
        },
    ),
    "the ill carer usually drives them, but no carer is able and willing": (
        {
            "circumstances.ill_carer_relied_on_for": ["driving"],
            "support_network.carer_able_and_willing": False,
        },
        {
            "circumstances.ill_carer_relied_on_for": ["walking"],
            "support_network.carer_able_and_willing": False,
            "travel.mobilise_support_from_unpaid_carer": True,
        },
    ),
}


def record(facts: dict[str, object]) -> dict[str, Any]:
    out: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in BASE.items()}
    for path, value in facts.items():
        section, _, leaf = path.partition(".")
        out.setdefault(section, {})[leaf] = value
    return out


def test_every_contradiction_of_the_table_has_a_case() -> None:
    covered = set()
    for facts, _ in CASES.values():
        for i, c in enumerate(CONTRADICTIONS):
            if c.holds(facts):
                covered.add(i)
    assert covered == set(range(len(CONTRADICTIONS)))


@pytest.mark.parametrize("story", list(CASES))
def test_a_contradiction_is_an_input_error_naming_every_path_involved(story: str) -> None:
    facts, neighbour = CASES[story]
    with pytest.raises(RecordError) as caught:
        decide(record(facts))
    errors = caught.value.errors
    paths = list(facts)
    assert sorted({e.field for e in errors}) == sorted(paths)
    for error in errors:
        others = [p for p in paths if p != error.field]
        assert all(other in error.message for other in others), error
    assert caught.value.case_id == BASE["case_id"]
    assert decide(record(neighbour)).case_id == BASE["case_id"]


@pytest.mark.parametrize("story", list(CASES))
def test_the_record_schema_rejects_the_contradiction_and_accepts_its_neighbour(
    story: str,
) -> None:
    facts, neighbour = CASES[story]
    validator = jsonschema.Draft202012Validator(json.loads(schema_json("record")))
    assert not validator.is_valid(record(facts))
    assert validator.is_valid(record(neighbour)), list(validator.iter_errors(record(neighbour)))


def _fact(path: str) -> st.SearchStrategy[object]:
    spec = FIELDS[path]
    if spec.kind == "enum_list":
        return st.none() | st.lists(st.sampled_from(spec.values), unique=True)
    allowed = spec.allowed()
    assert allowed is not None, path
    return st.none() | st.sampled_from(allowed)


_FACTS = st.fixed_dictionaries({path: _fact(path) for path in CONTRADICTION_PATHS})


@given(_FACTS, st.data())
def test_the_compiled_check_reads_the_table(facts: dict[str, object], data: st.DataObject) -> None:
    """The check run on every record (the table compiled over a model's section attributes)
    finds exactly the entries of the table that hold, on any values of the fields they read,
    contradictory or not, with sections absent or holding only some of the fields."""
    sections: dict[str, dict[str, object]] = {}
    for path, value in facts.items():
        section, _, leaf = path.partition(".")
        if value is not None or data.draw(st.booleans()):
            sections.setdefault(section, {})[leaf] = value
    model = SimpleNamespace(**{n: SimpleNamespace(**leaves) for n, leaves in sections.items()})
    assert model_contradictions(model) == contradictions(facts)


def _model(values: dict[str, object]) -> SimpleNamespace:
    """A record model's shape (sections holding their fields as attributes) for these values."""
    sections: dict[str, dict[str, object]] = {}
    for path, value in values.items():
        section, _, leaf = path.partition(".")
        sections.setdefault(section, {})[leaf] = value
    return SimpleNamespace(**{n: SimpleNamespace(**leaves) for n, leaves in sections.items()})


@pytest.mark.parametrize("story", list(CASES))
def test_the_compiled_check_finds_each_case(story: str) -> None:
    facts, neighbour = CASES[story]
    found = model_contradictions(_model(facts))
    assert found
    assert found == contradictions(facts)
    assert model_contradictions(_model(neighbour)) == []


def test_unknown_values_contradict_nothing() -> None:
    """Only established values count: a Motability car with the private car unknown, or the
    ill carer's list with the illness unknown, is a valid record."""
    decide(record({"vehicles.motability": True}))
    decide(record({"circumstances.ill_carer_relied_on_for": ["driving"]}))
    decide(record({"support_network.carer_uses_own_car": False}))


def test_decide_prints_an_error_record_in_the_case_place(tmp_path: Path) -> None:
    facts, _ = CASES[next(iter(CASES))]
    path = tmp_path / "case.json"
    path.write_text(json.dumps(record(facts)), encoding="utf-8")
    result = CliRunner().invoke(decide_command, [str(path), "--format", "json"])
    assert result.exit_code == 1
    out = json.loads(result.stdout.splitlines()[0])
    assert [e["field"] for e in out["errors"]] == ["vehicles.motability", "vehicles.private_car"]
    assert out["case_id"] == BASE["case_id"]


TOKEN = "decide-token-for-contradictions"
TOKENS = parse_tokens(f"{hashlib.sha256(TOKEN.encode()).hexdigest()} decide\n", source="tests")
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_the_service_answers_a_problem_naming_the_paths() -> None:
    client = TestClient(create_app(Settings(tokens=TOKENS)))
    facts, neighbour = CASES["both rates of the mobility component at once"]
    response = client.post("/v1/decisions", json=record(facts), headers=AUTH)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["benefits.standard_rate_mobility", "benefits.higher_rate_mobility"]
    batch = client.post(
        "/v1/decisions:batch", json=[record(neighbour), record(facts)], headers=AUTH
    )
    lines = [json.loads(x) for x in batch.text.splitlines()]
    assert "outcome" in lines[0] and lines[1]["index"] == 2 and "errors" in lines[1]
