"""`impact`: the same cases under two versions, and the transitions between their outcomes."""

from __future__ import annotations

import csv
import errno
import io
import json
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from transport_policy import PolicyStore, load_case, load_policy
from transport_policy.audit.impact import (
    DEFAULT_BY,
    ImpactError,
    Versions,
    age_band,
    analyse,
    group_fields,
)
from transport_policy.audit.impact_report import render
from transport_policy.audit.impact_tables import Report
from transport_policy.audit.verify_partitions import verify_partitions
from transport_policy.cli.impact import impact_command
from transport_policy.rules.loader import resolve_version

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "cases"
DRAFT = ROOT / "docs" / "examples" / "draft-2027"
UNREASONABLE_CAR = CASES / (
    "a-woman-whose-own-car-it-is-unreasonable-to-expect-her-to-drive-is-provided-transport.yaml"
)


def _counts(report: Report, breakdown: str) -> dict[tuple[str, ...], int]:
    return {
        (c.field, c.value, c.change, c.clause, c.rule, c.fact, c.before, c.after): c.cases
        for c in report.of_kind(breakdown)
    }


def test_identical_criteria_report_no_change() -> None:
    with analyse([str(CASES)], Versions("2016", "2021-01"), jobs=1) as report:
        assert report.cases == len(list(CASES.glob("*.yaml")))
        assert report.outcome_changes == 0 and report.changed == 0
        assert not list(report.changed_cases()) and not report.of_kind("cause")
        assert all(not c.outcome_changed for c in report.of_kind("transition"))
        data = json.loads(render(report, "json"))
        assert data["outcome_changes"] == 0 and data["changed_cases"] == []
        rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert rows and all(r["from"] == r["to"] for r in rows if r["breakdown"] != "group_changed")
    transitions = [r for r in rows if r["breakdown"] == "transition"]
    assert sum(int(r["cases"]) for r in transitions) == report.cases
    assert round(sum(float(r["percent"]) for r in transitions)) == 100


def test_the_worked_example_draft_refuses_the_unreasonable_car_case() -> None:
    """The illustrative draft in docs/examples drops the reasonableness judgement."""
    versions = Versions("2021-01", "draft-2027", to_rules=str(DRAFT))
    with analyse([str(CASES)], versions, jobs=2) as report:
        assert report.after.version == "draft-2027"
        changed = {c["case_id"]: c for c in report.changed_cases()}
        case = changed[load_case(UNREASONABLE_CAR)[0].case_id]
        assert (case["from"], case["to"]) == ("provide", "do_not_provide")
        causes = {(c["change"], c["clause"], c["rule"], c["fact"]) for c in case["causes"]}
        assert ("added", "exclude.private_car", "private-car", "vehicles.private_car") in causes
        assert ("removed", "provide.no_means", "no-means", "travel.can_mobilise_safely") in causes
        transitions = {(c.before, c.after): c.cases for c in report.of_kind("transition")}
        assert transitions["provide", "do_not_provide"] >= 1
        causes_counted = _counts(report, "cause")
        key = ("", "", "added", "exclude.private_car", "private-car", "vehicles.private_car")
        assert causes_counted[(*key, "provide", "do_not_provide")] >= 1
        area = case["person.service_area"]
        groups = _counts(report, "group")
        assert groups[("person.service_area", area, "", "", "", "", "provide", "do_not_provide")]
        # Only cases with a car they drive can change.
        for changed_case in report.changed_cases():
            assert any(c["clause"] == "exclude.private_car" for c in changed_case["causes"])


def test_breakdowns_count_every_case_with_percentages_per_value() -> None:
    versions = Versions("2021-01", "draft-2027", to_rules=str(DRAFT))
    by = ["destination.purpose", "vehicles.private_car"]
    with analyse([str(CASES)], versions, by=by, jobs=1) as report:
        assert report.by == ("person.service_area", "person.age_band", *by)
        for path in report.by:
            groups = report.of_kind("group", path)
            assert sum(c.cases for c in groups) == report.cases  # unchanged rows included
            for value in {c.value for c in groups}:
                share = sum(c.percent for c in groups if c.value == value)
                assert abs(share - 100) < 0.5
            changes = {c.value: c.cases for c in report.of_kind("group_changed", path)}
            assert sum(changes.values()) == report.outcome_changes
        cars = {c.value: c.cases for c in report.of_kind("group_changed", "vehicles.private_car")}
        assert cars.get("false", 0) == 0 and cars["true"] == report.outcome_changes


def test_age_bands_and_breakdown_fields() -> None:
    assert [age_band(a) for a in (None, 17, 18, 24, 25, 64, 65, 84, 85, 101)] == [
        "unknown",
        "under 18",
        "18-24",
        "18-24",
        "25-34",
        "55-64",
        "65-74",
        "75-84",
        "85 and over",
        "85 and over",
    ]
    assert group_fields(["person.service_area", "person.age"]) == (*DEFAULT_BY, "person.age")
    with pytest.raises(ImpactError, match=r"did you mean 'destination\.purpose'"):
        group_fields(["destination.purpse"])
    with pytest.raises(ImpactError, match=r"assessor\.name is text"):
        group_fields(["assessor.name"])


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
    blank = dict.fromkeys(("field", "value", "change", "clause", "rule", "fact"), "")
    assert {
        "breakdown": "transition",
        **blank,
        "from": "provide",
        "to": "do_not_provide",
        "cases": "1",
        "percent": "100.0",
    } in rows

    parquet = tmp_path / "impact.parquet"
    args[-3:] = ["parquet", "--output", str(parquet)]
    assert runner.invoke(impact_command, args).exit_code == 0
    table_rows = pq.read_table(parquet).to_pylist()
    assert [r["cases"] for r in table_rows] == [int(r["cases"]) for r in rows]
    assert [f"{r['percent']:.1f}" for r in table_rows] == [r["percent"] for r in rows]
    no_file = runner.invoke(impact_command, args[:-2])
    assert no_file.exit_code == 2 and "--output" in no_file.output

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"case_id": "X", "assessment_date": "2021-02-30"}\n', encoding="utf-8")
    rejected = runner.invoke(
        impact_command, [str(bad), "--from", "2016", "--to", "2021-01", "--format", "json"]
    )
    assert rejected.exit_code == 1
    assert json.loads(rejected.output)["rejected"][0]["errors"][0]["field"] == "assessment_date"

    unknown = runner.invoke(impact_command, [str(CASES), "--from", "2016", "--to", "2099"])
    assert unknown.exit_code == 3 and "2099" in unknown.output

    typo = runner.invoke(
        impact_command, [str(CASES), "--from", "2016", "--to", "2021-01", "--by", "person.agee"]
    )
    assert typo.exit_code == 2
    assert "no field 'person.agee'" in typo.output and "did you mean 'person.age'" in typo.output


def test_the_per_case_rows_are_kept_as_verifiable_partitions(tmp_path: Path) -> None:
    folder = tmp_path / "rows"
    result = CliRunner().invoke(
        impact_command,
        [
            *(str(CASES), "--from", "2021-01", "--to", "draft-2027", "--to-rules", str(DRAFT)),
            *("--partitions", str(folder), "--partition-rows", "16", "--format", "json"),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    report = verify_partitions(folder, data["partitions_root"])
    partitions = -(-data["cases"] // 16)  # 16 rows each, the last partly filled
    assert report.ok and report.rows == data["cases"] and report.partitions == partitions > 1
    assert f"root {data['partitions_root']}" in result.stderr


def test_progress_is_shown_on_stderr_only_when_asked_or_a_terminal() -> None:
    args = [str(CASES), "--from", "2016", "--to", "2021-01", "--format", "csv"]
    quiet = CliRunner().invoke(impact_command, args)
    shown = CliRunner().invoke(impact_command, [*args, "--progress"])
    assert quiet.exit_code == shown.exit_code == 0
    assert "deciding" not in quiet.stderr and "deciding" in shown.stderr
    assert "deciding" not in shown.stdout and shown.stdout == quiet.stdout


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


def test_a_report_that_cannot_be_written_is_refused_before_any_case_is_decided(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def not_now(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the cases were decided before the report was refused")

    monkeypatch.setattr("transport_policy.cli.impact.analyse", not_now)
    args = [str(UNREASONABLE_CAR), "--from", "2016", "--to", "2021-01"]
    target = tmp_path / "no-such-folder" / "impact.csv"
    missing = CliRunner().invoke(impact_command, [*args, "--format", "csv", "-o", str(target)])
    assert missing.exit_code == 3
    assert f"cannot write {target}: No such file or directory" in missing.stderr
    monkeypatch.setitem(sys.modules, "vl_convert", None)  # the report extra not installed
    html = CliRunner().invoke(impact_command, [*args, "--format", "html"])
    assert html.exit_code == 3
    assert "--format html needs vl-convert-python: pip install" in html.stderr


def test_a_report_that_fails_part_way_is_not_left_half_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def full_disk(_report: object, _fmt: str, *, path: Path) -> None:
        path.write_text('{"from": {"version": "2016"')
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("transport_policy.cli.impact.write", full_disk)
    target = tmp_path / "impact.json"
    target.write_text("last month's report\n")  # replaced: no report rather than part of one
    args = [str(UNREASONABLE_CAR), "--from", "2016", "--to", "2021-01", "--format", "json"]
    result = CliRunner().invoke(impact_command, [*args, "-o", str(target)])
    assert result.exit_code == 3
    assert f"cannot write {target}: No space left on device" in result.stderr
    assert not target.exists()


def test_a_report_written_over_an_input_is_refused(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_bytes(UNREASONABLE_CAR.read_bytes())
    args = [str(tmp_path), "--from", "2016", "--to", "2021-01", "--format", "csv"]
    result = CliRunner().invoke(impact_command, [*args, "--output", str(case)])
    assert result.exit_code == 2
    assert f"--output {case} is also an input" in result.stderr
    assert case.read_bytes() == UNREASONABLE_CAR.read_bytes()


def test_a_fault_on_one_case_rejects_it_and_the_others_are_compared(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(_data: object, *, source: str) -> None:
        raise LookupError(source)

    records = tmp_path / "records.jsonl"
    record = load_case(UNREASONABLE_CAR)[0].model_dump(mode="json", exclude_none=True)
    records.write_text(json.dumps(record) + "\n")
    monkeypatch.setattr("transport_policy.batch.inputs.parse_record", broken)
    with analyse([str(UNREASONABLE_CAR), str(records)], Versions("2016", "2021-01"), jobs=1) as r:
        assert (r.cases, r.rejected) == (1, 1)
        (rejected,) = r.rejected_cases()
        assert rejected["source"] == f"{records}:1"
        message = "could not be compared (unexpected LookupError; please report it)"
        assert rejected["errors"] == [{"field": "(record)", "message": message}]


def test_skipped_folder_entries_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    (folder / "drafts").mkdir(parents=True)
    (folder / "case.yaml").write_bytes(UNREASONABLE_CAR.read_bytes())
    result = CliRunner().invoke(impact_command, [str(folder), "--from", "2016", "--to", "2021-01"])
    assert result.exit_code == 0
    assert "impact: skipped 1 folder entry (" in result.stderr
    assert f"{folder / 'drafts'}/" in result.stderr
