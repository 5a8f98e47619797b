"""`new-case` and the commented YAML record: every registry field, nested, commented with its
values and prompt; it loads as a valid record; any record written this way reads back the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given

from strategies import records
from transport_policy import decide, load_case
from transport_policy.casefile import load_yaml, parse_record, parse_text
from transport_policy.cli import main
from transport_policy.cli.exits import Exit
from transport_policy.model.fields import REGISTRY, FieldSpec
from transport_policy.model.record_yaml import as_written, record_yaml
from transport_policy.rules.model import Policy


def _new_case(tmp_path: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["new-case", *args], catch_exceptions=False)


def _lines_of(text: str, spec: FieldSpec) -> tuple[list[str], str]:
    """The comment lines just above a field's line, and the field's line (a field of a section
    written commented out has its lines behind one more ``# ``)."""
    lines = text.splitlines()
    section, _, name = spec.path.rpartition(".")
    for commented in ("", "# "):
        indent = commented + ("  " if section else "")
        header = f"{commented}{section}:"
        starts = [i for i, line in enumerate(lines) if line == header] if section else [0]
        for at in range(starts[0] if starts else len(lines), len(lines)):
            if lines[at].startswith(f"{indent}{name}: "):
                above = []
                for line in reversed(lines[:at]):
                    if not line.startswith(indent + "# "):
                        break
                    above.append(line.removeprefix(indent + "# "))
                return list(reversed(above)), lines[at]
            if section and at > starts[0] and lines[at] and not lines[at].startswith(indent):
                break
    raise AssertionError(f"{spec.path} is not written")


def test_new_case_writes_every_field_nested_with_its_values_and_prompt(
    tmp_path: Path, policy: Policy
) -> None:
    target = tmp_path / "referral.yaml"
    result = _new_case(tmp_path, str(target), "--date", "2021-03-15")
    assert result.exit_code == Exit.OK, result.output
    text = target.read_text(encoding="utf-8")
    record, _ = load_case(target)
    assert (record.case_id, record.assessment_date.isoformat()) == ("referral", "2021-03-15")
    data = load_yaml(text)[0]
    for spec in REGISTRY:
        comments, line = _lines_of(text, spec)
        words = " ".join(comments)
        assert spec.kind != "enum" or all(v in words for v in spec.values), spec.path
        assert spec.path not in policy.prompts or policy.prompts[spec.path] in words, spec.path
        if "." in spec.path and not line.startswith("#"):
            section, _, name = spec.path.partition(".")
            assert data[section][name] is None, spec.path  # nested, and unknown
    assert "override:" not in data  # written commented out: its fields are required together
    decision = decide(record)
    assert decision.outcome == "needs_information"
    assert decision.questions[0].field == "person.age"


def test_a_field_added_to_the_registry_is_written_without_an_edit(tmp_path: Path) -> None:
    extra = FieldSpec("travel.new_thing", "enum", "A field added later.", values=("a", "b"))
    registry = (*REGISTRY, extra)
    text = record_yaml({"case_id": "N-1"}, header=["test"], fields=registry)
    comments, line = _lines_of(text, extra)
    assert line == "  new_thing: null"
    assert comments == ["A field added later.", "One of: a, b."]


@given(records())
def test_any_record_written_as_commented_yaml_reads_back_the_same(data: dict[str, Any]) -> None:
    text = record_yaml(data, header=["a: colon # and a hash in the header"])
    again = parse_record(parse_text(text, source="written.yaml"))
    assert again == parse_record(as_written(parse_record(data).model_dump(mode="json")))


def test_new_case_does_not_overwrite_and_checks_its_options(tmp_path: Path) -> None:
    target = tmp_path / "case.yaml"
    target.write_text("kept\n", encoding="utf-8")
    refused = _new_case(tmp_path, str(target))
    assert refused.exit_code == Exit.USAGE and "--force" in refused.output
    assert target.read_text(encoding="utf-8") == "kept\n"
    forced = _new_case(tmp_path, str(target), "--force", "--case-id", "C-9")
    assert forced.exit_code == Exit.OK and load_case(target)[0].case_id == "C-9"
    shown = _new_case(tmp_path, "--date", "2021-03-15")
    assert shown.exit_code == Exit.OK and 'case_id: "NEW-CASE"' in shown.output
    early = _new_case(tmp_path, "-", "--date", "2001-01-01")
    assert early.exit_code == Exit.USAGE and "--date" in early.output
    assert "assessment_date: no policy version was in force on this date" in early.output
    blank = _new_case(tmp_path, "-", "--case-id", " ")
    assert blank.exit_code == Exit.USAGE and "case_id" in blank.output


@pytest.mark.parametrize("policy_version", ["2016", "2021-01"])
def test_new_case_takes_the_prompts_of_the_version_asked_for(
    tmp_path: Path, policy_version: str
) -> None:
    result = _new_case(tmp_path, "--policy", policy_version)
    assert result.exit_code == Exit.OK
    assert "How old is the person?" in result.output
