"""`rules diff`: what one policy version changes relative to another."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from transport_policy.cli.rules import diff_command

DRAFT = Path(__file__).resolve().parents[1] / "docs" / "examples" / "draft-2027"
TO_DRAFT = ["2021-01", "draft-2027", "--to-rules", str(DRAFT)]


def test_the_draft_changes_one_rule_and_its_parts_are_named() -> None:
    result = CliRunner().invoke(diff_command, TO_DRAFT)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "What draft-2027 changes relative to 2021-01:"
    rules = [line for line in lines if line.startswith(("  + rule", "  - rule", "  ~ rule"))]
    assert rules == [
        "  ~ rule private-car: description, condition (when it holds), summary "
        "(the reason's wording), considered texts changed"
    ]
    assert "judgement.own_vehicle_use_reasonable" in result.output
    assert "  ~ effective_from: 2021-01-14 -> 2027-04-01" in lines
    assert "unknown:" not in result.output  # unchanged considered texts are not shown


def test_json_output_lists_added_removed_and_changed() -> None:
    result = CliRunner().invoke(diff_command, [*TO_DRAFT, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["from"], data["to"]) == ("2021-01", "draft-2027")
    assert data["rules"]["added"] == [] and data["rules"]["removed"] == []
    assert list(data["rules"]["changed"]) == ["private-car"]
    parts = [c["part"] for c in data["rules"]["changed"]["private-car"]]
    assert parts == ["description", "condition", "summary", "considered"]
    assert data["clauses"]["changed"] == {} and data["questions"]["changed"] == {}


def test_2016_and_2021_01_differ_only_in_manifest_metadata() -> None:
    result = CliRunner().invoke(diff_command, ["2016", "2021-01", "--format", "json"])
    data = json.loads(result.output)
    for part in ("rules", "clauses", "questions"):
        assert data[part] == {"added": [], "removed": [], "changed": {}}
    assert {c["part"] for c in data["manifest"]} == {
        "title",
        "effective_from",
        "next_review",
        "supersedes",
        "approved",
        "notes",
    }


def test_an_unknown_version_is_exit_status_3() -> None:
    result = CliRunner().invoke(diff_command, ["2021-01", "2099"])
    assert result.exit_code == 3 and "2099" in result.output
