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
    assert "a version kept elsewhere: --to-rules DIR" in result.output


def _version_2027(tmp_path: Path) -> Path:
    """A copy of the bundled rules with a version 2027: 2021-01 with its first two scope rules
    swapped, a reading's condition and a procedure reason's words changed."""
    import re
    import shutil

    root = Path(shutil.copytree(DRAFT.parents[2] / "rules", tmp_path / "rules"))
    folder = Path(shutil.copytree(root / "2021-01", root / "2027"))
    manifest = folder / "policy.yaml"
    text = manifest.read_text(encoding="utf-8")
    for old, new in (
        ('version: "2021-01"', 'version: "2027"'),
        ("effective_from: 2021-01-14", "effective_from: 2027-01-01"),
        ("next_review: 2021-12-31", "next_review: 2027-12-31"),
        (
            "when: {field: vehicles.motability, is: true}",
            "when: {field: vehicles.motability, is: false}",
        ),
        ("None of the alternatives explored", "No alternative explored"),
    ):
        assert old in text
        text = text.replace(old, new, 1)
    manifest.write_text(text, encoding="utf-8")
    scope = folder / "scope.yaml"
    head, first, second, *rest = re.split(r"(?m)^(?=  - id: )", scope.read_text(encoding="utf-8"))
    scope.write_text(head + second + first + "".join(rest), encoding="utf-8")
    return root


def test_an_order_a_reading_and_a_procedure_reason_changed_are_each_shown(tmp_path: Path) -> None:
    """The digest covers the order of the rules, the readings and the procedure's reasons: the
    diff shows what changed in each (the scope rule cited is the first that holds)."""
    from transport_policy.rules.versions import PolicyStore

    root = _version_2027(tmp_path)
    store = PolicyStore(root)
    assert store.get("2021-01").digest != store.get("2027").digest
    result = CliRunner().invoke(diff_command, ["2021-01", "2027", "--rules", str(root)])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "nothing" not in text
    assert f"  2027: policy digest {store.get('2027').digest}\n" in text
    assert (
        "  ~ scope rules:\n"
        "      before: under-18, no-eligible-needs, no-transport-need, other-service-area\n"
        "      after:  no-eligible-needs, under-18, no-transport-need, other-service-area\n"
    ) in text
    assert (
        "  ~ reading of vehicles.private_car (when unknown): when changed\n"
        "      when:\n"
        "        before: field: vehicles.motability\n"
        "                is: true\n"
    ) in text
    assert "  ~ reason for provide, guidance.none_feasible: summary" in text
    data = json.loads(
        CliRunner()
        .invoke(diff_command, ["2021-01", "2027", "--rules", str(root), "--format", "json"])
        .output
    )
    assert [c["part"] for c in data["order"]] == ["scope rules"]
    assert list(data["readings"]["changed"]) == ["vehicles.private_car (when unknown)"]
    assert list(data["procedure"]["changed"]) == ["provide, guidance.none_feasible"]
    assert data["readings_changed"] and data["procedure_changed"]
    assert data["digests"]["from"] == store.get("2021-01").digest


def test_texts_are_shown_as_written_and_unset_parts_left_out(tmp_path: Path) -> None:
    """A text is not shown quoted as YAML would (the draft's description holds a colon); a
    considered text that is not set is not shown as null."""
    from transport_policy.rules.diff import Change, ItemDiff, _section

    result = CliRunner().invoke(diff_command, TO_DRAFT)
    assert "after:  ILLUSTRATIVE DRAFT: the person" in result.output
    texts = {"fails": "Fails.", "unknown": "Unknown.", "defeated": None}
    kind_changed = ItemDiff(changed={"not-nearest": [Change("considered", texts, None)]})
    lines = _section("Rules", "rule", kind_changed)
    assert "        before: fails: Fails.\n                unknown: Unknown." in "\n".join(lines)
    assert not any("defeated" in line for line in lines)
