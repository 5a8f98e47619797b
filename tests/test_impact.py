"""`impact`: the same cases under two versions, and the transitions between their outcomes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from transport_policy import PolicyStore, load_case, load_policy
from transport_policy.audit.impact import Versions, analyse, render
from transport_policy.cli.impact import impact_command
from transport_policy.rules.loader import resolve_version

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "cases"
DRAFT = ROOT / "docs" / "examples" / "draft-2027"
UNREASONABLE_CAR = CASES / (
    "a-woman-whose-own-car-it-is-unreasonable-to-expect-her-to-drive-is-provided-transport.yaml"
)


def test_identical_criteria_report_no_change() -> None:
    report = analyse([str(CASES)], Versions("2016", "2021-01"), jobs=1)
    assert report.cases == len(list(CASES.glob("*.yaml")))
    assert report.outcome_changes == 0 and not report.changed and not report.by_clause
    assert all(before == after for before, after in report.transitions)
    data = json.loads(render(report, "json"))
    assert data["outcome_changes"] == 0 and data["changed_cases"] == []
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert rows and all(r["from"] == r["to"] for r in rows)
    assert sum(int(r["cases"]) for r in rows if r["breakdown"] == "transition") == report.cases


def test_the_worked_example_draft_refuses_the_unreasonable_car_case() -> None:
    """The illustrative draft in docs/examples drops the reasonableness judgement."""
    versions = Versions("2021-01", "draft-2027", to_rules=str(DRAFT))
    report = analyse([str(CASES)], versions, jobs=2)
    assert report.after.version == "draft-2027"
    changed = {c.case_id: c for c in report.changed}
    case = changed[load_case(UNREASONABLE_CAR)[0].case_id]
    assert (case.before, case.after) == ("provide", "do_not_provide")
    assert "exclude.private_car" in case.added and "provide.no_means" in case.removed
    assert report.transitions["provide", "do_not_provide"] >= 1
    assert report.by_clause["exclude.private_car", "added", "provide", "do_not_provide"] >= 1
    assert report.by_area[case.service_area, "provide", "do_not_provide"] >= 1
    # Only cases with a car they drive can change.
    for changed_case in report.changed:
        assert "exclude.private_car" in changed_case.added + changed_case.removed


def test_cli_formats_output_file_and_exit_statuses(tmp_path: Path) -> None:
    runner = CliRunner()
    table = runner.invoke(impact_command, [str(CASES), "--from", "2016", "--to", "2021-01"])
    assert table.exit_code == 0, table.output
    assert "0 change outcome" in table.output and "Outcome transitions" in table.output

    out = tmp_path / "impact.csv"
    args = [
        str(UNREASONABLE_CAR),
        "--from",
        "2021-01",
        "--to",
        "draft-2027",
        "--to-rules",
        str(DRAFT),
        "--format",
        "csv",
        "--output",
        str(out),
    ]
    written = runner.invoke(impact_command, args)
    assert written.exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {
        "breakdown": "transition",
        "service_area": "",
        "clause": "",
        "change": "",
        "from": "provide",
        "to": "do_not_provide",
        "cases": "1",
    } in rows

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"case_id": "X", "assessment_date": "2021-02-30"}\n', encoding="utf-8")
    rejected = runner.invoke(
        impact_command, [str(bad), "--from", "2016", "--to", "2021-01", "--format", "json"]
    )
    assert rejected.exit_code == 1
    assert json.loads(rejected.output)["rejected"][0]["errors"][0]["field"] == "assessment_date"

    unknown = runner.invoke(impact_command, [str(CASES), "--from", "2016", "--to", "2099"])
    assert unknown.exit_code == 3 and "2099" in unknown.output


def test_the_draft_differs_from_2021_01_only_where_it_says() -> None:
    """The worked example is an overlay of 2021-01 that replaces one rule."""
    assert sorted(p.name for p in DRAFT.iterdir()) == ["exclusions.yaml", "policy.yaml"]
    draft = resolve_version(DRAFT)
    current = resolve_version(ROOT / "rules" / "2021-01")
    assert [s.id for _, s in draft.rules] == [s.id for _, s in current.rules]
    changed = {s.id for (_, s), (_, c) in zip(draft.rules, current.rules, strict=True) if s != c}
    assert changed == {"private-car"}
    content, base = draft.content(), current.content()
    assert (content["clauses"], content["questions"]) == (base["clauses"], base["questions"])
    assert load_policy(DRAFT).digest != PolicyStore().get("2021-01").digest


def test_a_report_that_cannot_be_written_is_a_clean_error(tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "impact.csv"
    result = CliRunner().invoke(
        impact_command,
        [str(UNREASONABLE_CAR), "--from", "2016", "--to", "2021-01", "--output", str(target)],
    )
    assert result.exit_code == 3
    assert f"cannot write {target}: " in result.output
    assert not isinstance(result.exception, OSError)


def test_skipped_folder_entries_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    (folder / "drafts").mkdir(parents=True)
    (folder / "case.yaml").write_bytes(UNREASONABLE_CAR.read_bytes())
    result = CliRunner().invoke(impact_command, [str(folder), "--from", "2016", "--to", "2021-01"])
    assert result.exit_code == 0
    assert "impact: skipped 1 folder entry (" in result.stderr
    assert f"{folder / 'drafts'}/" in result.stderr
