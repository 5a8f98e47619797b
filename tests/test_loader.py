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


@pytest.mark.parametrize(
    ("name", "old", "new", "where", "message"),
    [
        # a misspelt key gets the closest key of the place it is written in
        ("appeal.yaml", "rules:", "rule:", "rule", "is not a known key (did you mean 'rules'?)"),
        ("exclusions.yaml", "      fails: ", "      fail: ", "considered.fail", "'fails'"),
        ("provide.yaml", "        text: ", "        txt: ", "summary[0].txt", "'text'"),
        (
            "policy.yaml",
            "  - field: support_network.carer_wellbeing_considered",
            "  - fild: support_network.carer_wellbeing_considered",
            "readings[0].fild",
            "is not a known key (did you mean 'field'?)",
        ),
        # a number where text is wanted, and a yes/no word where true or false is
        ("provide.yaml", "    review: true", "    review: yes", "review", "must be true or false"),
        ("policy.yaml", 'version: "2021-01"', "version: 2021", "version", "put it in quotes"),
    ],
)
def test_an_error_in_a_file_s_keys_says_where_as_written(
    copy: Path, name: str, old: str, new: str, where: str, message: str
) -> None:
    edit(copy, name, old, new)
    error = broken(copy)
    assert (error.path, error.field) == (name, where)
    assert message in error.message
    assert str(copy / name) in str(error)  # the folder too: every version has these files


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty: it must hold the key rules"),
        ("- id: x\n", "holds a list: it must hold the key rules"),
    ],
)
def test_an_empty_rule_file_says_what_it_must_hold(copy: Path, text: str, message: str) -> None:
    (copy / "appeal.yaml").write_text(text, encoding="utf-8")
    error = broken(copy)
    assert (error.path, error.field, error.message) == ("appeal.yaml", None, message)


def test_a_rule_without_its_description_names_it(copy: Path) -> None:
    edit(
        copy,
        "exclusions.yaml",
        "    description: The person contributes to a shared community vehicle they can use for "
        "this trip.\n",
        "",
    )
    error = broken(copy)
    assert (error.rule_id, error.field, error.message) == (
        "shared-vehicle",
        "description",
        "is required",
    )


@pytest.mark.parametrize(
    ("test", "message"),
    [
        (
            "is: 1",
            "1 is not a value of vehicles.shared_community_vehicle (its values: true, false)",
        ),
        ("in: [true, 3]", "3 is not a value of vehicles.shared_community_vehicle (its values"),
    ],
)
def test_a_value_of_the_wrong_type_lists_the_field_s_values(
    copy: Path, test: str, message: str
) -> None:
    edit(
        copy,
        "exclusions.yaml",
        "{field: vehicles.shared_community_vehicle, is: true}",
        "{field: vehicles.shared_community_vehicle, " + test + "}",
    )
    error = broken(copy)
    assert (error.rule_id, error.field) == ("shared-vehicle", "condition")
    assert message in error.message


def test_an_enum_value_far_from_any_lists_the_field_s_values(copy: Path) -> None:
    edit(copy, "exclusions.yaml", "is: independently}", "is: alone}")
    assert "(its values: independently, with_support, unable)" in broken(copy).message


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "  - field: support_network.carer_wellbeing_considered\n",
            "  - field: travel.can_mobilise_safely\n",
            "travel.can_mobilise_safely is not a true/false fact",
        ),
        (
            "readings:\n",
            "readings:\n  - field: support_network.carer_wellbeing_considered\n"
            "    false_reads_as: unknown\n    clause: guidance.carer_wellbeing\n    note: Twice.\n",
            "already has a false_reads_as reading",
        ),
    ],
)
def test_a_reading_of_false_is_of_a_true_false_fact_and_given_once(
    copy: Path, old: str, new: str, message: str
) -> None:
    edit(copy, "policy.yaml", old, new)
    error = broken(copy)
    assert (error.path, error.field) == (
        "policy.yaml",
        "readings[1]" if "Twice" in new else "readings[0]",
    )
    assert message in error.message


def test_a_broken_manifest_found_by_the_store_names_its_folder(copy: Path) -> None:
    from transport_policy.rules.versions import PolicyStore

    edit(copy, "policy.yaml", 'version: "2021-01"', "version: 2021")
    with pytest.raises(RuleError) as caught:
        PolicyStore(copy.parent)
    assert str(caught.value).startswith(f"{copy / 'policy.yaml'}: version: ")


def test_a_yaml_error_names_the_file_once_with_its_line(copy: Path) -> None:
    edit(copy, "exclusions.yaml", "  - id: private-car", "\t- id: private-car")
    error = broken(copy)
    assert error.path == "exclusions.yaml" and "<unicode string>" not in str(error)
    assert "found a tab character" in error.message and "line 148, column 1" in error.message


def test_a_second_prompt_for_one_field_is_an_error(copy: Path) -> None:
    with (copy / "questions.yaml").open("a", encoding="utf-8") as out:
        out.write("  - field: vehicles.private_car\n    prompt: Is there a car?\n")
    error = broken(copy)
    assert (error.path, error.field) == ("questions.yaml", "vehicles.private_car")
    assert "a second prompt" in error.message
