"""A broken rule file is reported with its file, rule and the closest valid name; the policy digest
follows the rule files' content."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from transport_policy.errors import RuleError
from transport_policy.rules.loader import load_policy

POLICY_2021 = Path(__file__).resolve().parents[1] / "rules" / "2021-01"
RULE_FILES = sorted(p.name for p in POLICY_2021.iterdir() if p.is_file())


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A private copy of the 2021-01 policy version to break."""
    target = tmp_path / "2021-01"
    shutil.copytree(POLICY_2021, target)
    return target


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{old!r} is not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def broken(folder: Path) -> RuleError:
    with pytest.raises(RuleError) as caught:
        load_policy(folder)
    return caught.value


def test_the_copy_loads_before_it_is_broken(copy: Path) -> None:
    assert load_policy(copy).version == "2021-01"


def test_an_unknown_field_path(copy: Path) -> None:
    edit(
        copy,
        "exclusions.yaml",
        "field: travel.can_use_public_transport,",
        "field: travel.can_use_public_transprt,",
    )
    error = broken(copy)
    assert (error.path, error.rule_id) == ("exclusions.yaml", "public-transport")
    assert "did you mean 'travel.can_use_public_transport'" in str(error)


def test_an_unknown_clause(copy: Path) -> None:
    edit(copy, "exclusions.yaml", "clause: exclude.can_mobilise", "clause: exclude.can_mobilse")
    error = broken(copy)
    assert (error.path, error.rule_id, error.field) == ("exclusions.yaml", "can-mobilise", "clause")
    assert "did you mean 'exclude.can_mobilise'" in str(error)


def test_an_unknown_operator(copy: Path) -> None:
    edit(
        copy,
        "exclusions.yaml",
        "{field: vehicles.shared_community_vehicle, is: true}",
        "{field: vehicles.shared_community_vehicle, iss: true}",
    )
    error = broken(copy)
    assert (error.path, error.rule_id) == ("exclusions.yaml", "shared-vehicle")
    assert "'iss'" in str(error) and "did you mean 'is'" in str(error)


@pytest.mark.parametrize(
    ("name", "old", "new", "rule_id", "suggestion"),
    [
        (
            "exclusions.yaml",
            "in: [independently, with_support]}",
            "in: [independently, with-support]}",
            "can-mobilise",
            "with_support",
        ),
        (
            "scope.yaml",
            "{field: person.service_area, is: other}",
            "{field: person.service_area, is: others}",
            "other-service-area",
            "other",
        ),
        (
            "exclusions.yaml",
            "{field: vehicles.shared_community_vehicle, is: true}",
            "{field: vehicles.shared_community_vehicle, is: sometimes}",
            "shared-vehicle",
            None,
        ),
    ],
)
def test_a_value_the_field_does_not_take(
    copy: Path, name: str, old: str, new: str, rule_id: str, suggestion: str | None
) -> None:
    edit(copy, name, old, new)
    error = broken(copy)
    assert (error.path, error.rule_id) == (name, rule_id)
    assert "is not a value of" in str(error)
    if suggestion:
        assert f"did you mean {suggestion!r}" in str(error)


def test_a_value_the_override_outcome_does_not_take(copy: Path) -> None:
    edit(
        copy,
        "override.yaml",
        "{field: override.outcome, known: true}",
        "{field: override.outcome, is: refuse}",
    )
    error = broken(copy)
    assert (error.path, error.rule_id) == ("override.yaml", "override-applied")


@pytest.mark.parametrize(
    "test",
    [
        "{field: case_id, is: C-1}",
        "{field: assessment_date, known: true}",
        "{field: assessor.name, is: J. Smith}",
    ],
)
def test_a_condition_on_a_field_that_is_not_a_fact(copy: Path, test: str) -> None:
    edit(copy, "exclusions.yaml", "{field: vehicles.shared_community_vehicle, is: true}", test)
    error = broken(copy)
    assert (error.path, error.rule_id) == ("exclusions.yaml", "shared-vehicle")


def test_a_duplicate_rule_id(copy: Path) -> None:
    edit(copy, "exclusions.yaml", "id: shared-vehicle", "id: private-car")
    error = broken(copy)
    assert (error.path, error.rule_id, error.field) == ("exclusions.yaml", "private-car", "id")
    assert "duplicate rule id" in str(error)


def test_an_unknown_key_in_a_rule(copy: Path) -> None:
    edit(
        copy,
        "exclusions.yaml",
        "    summary: >-\n      Contributes to a shared",
        "    descripton: Shared vehicle.\n    summary: >-\n      Contributes to a shared",
    )
    error = broken(copy)
    assert (error.path, error.rule_id) == ("exclusions.yaml", "shared-vehicle")
    assert "descripton" in str(error) and "did you mean 'description'" in str(error)


def test_a_misspelt_key_in_a_rule(copy: Path) -> None:
    edit(
        copy,
        "exclusions.yaml",
        "    description: The person contributes",
        "    descripton: The person contributes",
    )
    error = broken(copy)
    assert (error.path, error.rule_id) == ("exclusions.yaml", "shared-vehicle")
    assert "did you mean 'description'" in str(error)


def test_a_reference_to_a_missing_rule(copy: Path) -> None:
    edit(copy, "actions.yaml", "{rule: family-driver}", "{rule: family-drivr}")
    error = broken(copy)
    assert (error.path, error.rule_id) == ("actions.yaml", "consider-mileage-allowance")
    assert "did you mean 'family-driver'" in str(error)


def test_a_missing_question_prompt(copy: Path) -> None:
    edit(
        copy,
        "questions.yaml",
        "  - field: vehicles.shared_community_vehicle\n"
        "    prompt: Does the person contribute to a shared community vehicle they can use for "
        "this trip?\n",
        "",
    )
    error = broken(copy)
    assert (error.path, error.rule_id, error.field) == (
        "questions.yaml",
        "shared-vehicle",
        "vehicles.shared_community_vehicle",
    )


# --- the policy digest ---------------------------------------------------------------------------

WORDING = ("description", "note", "notes", "text", "prompt", "title")


def _reword(value: object) -> bool:
    """Append a word to the first wording field found in ``value`` (in place)."""
    if isinstance(value, dict):
        for key in WORDING:
            if isinstance(value.get(key), str):
                value[key] += " Reviewed."
                return True
        return any(_reword(v) for v in value.values())
    if isinstance(value, list):
        return any(_reword(v) for v in value)
    return False


@pytest.mark.parametrize("name", RULE_FILES)
def test_the_digest_changes_when_any_file_s_content_changes(copy: Path, name: str) -> None:
    """The digest covers the resolved policy: every file the version loads, field by field."""
    original = load_policy(copy).digest
    path = copy / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert _reword(data), name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert load_policy(copy).digest != original


def test_the_digest_ignores_crlf_line_endings_and_comments(copy: Path) -> None:
    original = load_policy(copy).digest
    for name in RULE_FILES:
        path = copy / name
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n") + b"# reviewed\r\n")
    assert b"\r\n" in (copy / "policy.yaml").read_bytes()
    assert load_policy(copy).digest == original


def test_rule_files_use_yaml_1_2_booleans(copy: Path) -> None:
    edit(
        copy,
        "exclusions.yaml",
        "{field: vehicles.shared_community_vehicle, is: true}",
        "{field: vehicles.shared_community_vehicle, is: yes}",
    )
    error = broken(copy)
    assert (error.path, error.rule_id) == ("exclusions.yaml", "shared-vehicle")
    assert "is not a value of vehicles.shared_community_vehicle" in str(error)


def test_a_clause_not_from_the_policy_text_needs_its_source(copy: Path) -> None:
    text = (copy / "clauses.yaml").read_text(encoding="utf-8")
    start = text.index("  - id: review.withdrawal")
    source = text.index("    source: >-", start)
    marker = text.index("    from_policy_text: false", start)
    (copy / "clauses.yaml").write_text(text[:source] + text[marker:], encoding="utf-8")
    err = broken(copy)
    assert err.path == "clauses.yaml" and err.field == "review.withdrawal"
    assert "needs its source" in str(err)


def test_an_unknown_field_shown_as_evidence(copy: Path) -> None:
    edit(
        copy,
        "exclusions.yaml",
        "evidence: [support_network.carer_uses_own_car,",
        "evidence: [support_network.carer_uses_own_cars,",
    )
    err = broken(copy)
    assert err.rule_id == "family-driver" and err.field == "evidence[0]"
    assert "did you mean 'support_network.carer_uses_own_car'" in str(err)


def test_a_role_on_a_rule_that_is_not_an_exclusion(copy: Path) -> None:
    edit(
        copy,
        "provide.yaml",
        "    clause: provide.supervision\n",
        "    clause: provide.supervision\n    role: expectation\n",
    )
    err = broken(copy)
    assert err.rule_id == "supervision" and err.field == "role"
