"""The guided interview: from a blank referral to the full record's decision in one sitting,
asking no field twice and none whose answer could not change the outcome; piped answers, saving,
resuming, stopping, and clear errors."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings

from interviewing import Assessor
from strategies import records
from transport_policy import decide, load_case
from transport_policy.api import select_policy
from transport_policy.casefile import parse_record
from transport_policy.cli import main
from transport_policy.cli.exits import Exit
from transport_policy.decision.precedence import RuleStatus
from transport_policy.engine.runtime import policy_fields, record_facts
from transport_policy.model.decision import Decision
from transport_policy.verify.space import status_of

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.yaml"))
CLI = [sys.executable, "-c", "from transport_policy.cli import run; run()"]
"""The command as its console script runs it."""


def _full(path: Path) -> dict[str, Any]:
    record, _ = load_case(path)
    return record.model_dump(mode="json", exclude_none=True)


def assert_same_decision(full: dict[str, Any], got: Decision) -> None:
    """The interview's decision and the full record's: the same outcome and recommendation;
    each reason the interview gives is one the full record bears out (its rule holds there)."""
    want = decide(full)
    assert (got.outcome, got.recommended_outcome) == (want.outcome, want.recommended_outcome)
    policy = select_policy(parse_record(full))
    facts = record_facts(parse_record(full), policy_fields(policy), policy)
    procedure = {r.clause for r in want.reasons if r.rule is None}
    # A procedure reason's words may differ where the interview's provision is temporary and the
    # full record's is not (fewer grounds established yet): either wording of the same reason.
    wordings = {
        (p.clause, text)
        for p in policy.procedure
        for text in (p.summary, p.temporary_summary)
        if text is not None
    }
    for reason in got.reasons:
        if reason.rule is None:
            assert reason.clause in procedure
            assert (reason.clause, " ".join(reason.summary.split())) in {
                (c, " ".join(t.split())) for c, t in wordings
            }
        else:
            rule = next(r for r in policy.rules if r.id == reason.rule)
            assert status_of(rule, facts) is RuleStatus.HOLDS, reason.rule
    assert bool(got.reasons) == bool(want.reasons)


def _interview(full: dict[str, Any]) -> Assessor:
    assessor = Assessor(full)
    decision = assessor.run()
    asked = [p for p in assessor.asked if "." in p]
    assert len(asked) == len(set(asked)), f"asked twice: {asked}"
    assert_same_decision(full, decision)
    return assessor


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_a_blank_referral_reaches_the_golden_cases_decision(path: Path) -> None:
    _interview(_full(path))


@settings(max_examples=60)
@given(records())
def test_a_blank_referral_reaches_a_generated_records_decision(data: dict[str, Any]) -> None:
    _interview(parse_record(data).model_dump(mode="json", exclude_none=True))


def _transcript(name: str) -> tuple[dict[str, Any], list[str], list[str]]:
    full = _full(next(p for p in CASES if p.name.startswith(name)))
    assessor = Assessor(full, prove=False)
    assessor.run({})
    return full, assessor.lines, assessor.asked


def _run(args: list[str], stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_answers_piped_in_reach_the_same_decision_saved_and_logged(tmp_path: Path) -> None:
    full, lines, asked = _transcript("a-sparse-assessment")
    done = _run(
        ["interview", "--save", "c.yaml", "--log", "d.log"], "\n".join(lines) + "\n", tmp_path
    )
    assert done.returncode == Exit.OK, done.stderr
    shown = [
        line.split("(")[1].rstrip(")")
        for line in done.stdout.splitlines()
        if line.startswith(("Question ", "To start "))
    ]
    assert shown == asked
    logged = json.loads((tmp_path / "d.log").read_text().splitlines()[0])
    assert_same_decision(full, Decision.model_validate(logged["decision"]))
    saved, _ = load_case(tmp_path / "c.yaml")
    assert decide(saved).model_dump(exclude={"policy"}) == Decision.model_validate(
        logged["decision"]
    ).model_dump(exclude={"policy"})
    assert "Recommendation now:" in done.stdout and "Check your answers" in done.stdout


def test_the_end_of_input_saves_the_answers_and_the_interview_resumes(tmp_path: Path) -> None:
    full, lines, _ = _transcript("a-woman-who-drives-her-own-car")
    half = len(lines) // 2
    stopped = _run(["interview"], "\n".join(lines[:half]) + "\n", tmp_path)
    assert stopped.returncode == Exit.FINDINGS
    saved = tmp_path / f"{full['case_id']}.yaml"
    assert (
        f"saved in {saved.name}" in stopped.stderr
        and "transport-policy interview" in stopped.stderr
    )
    record, _ = load_case(saved)
    assert record.case_id == full["case_id"]
    rest = "\n".join(lines[half:]) + "\n"
    resumed = _run(["interview", saved.name], rest, tmp_path)
    assert resumed.returncode == Exit.OK, resumed.stderr + resumed.stdout
    assert_same_decision(full, decide(load_case(saved)[0]))


def test_ctrl_c_saves_the_answers_and_exits_130(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [*CLI, "interview", "--save", "k.yaml"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("K-1\n2021-03-15\n43\n")
    process.stdin.flush()
    seen = ""
    while "Question 2" not in seen:
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, seen
        seen += os.read(process.stdout.fileno(), 4096).decode()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == Exit.INTERRUPTED
    assert "Interrupted" in err and "k.yaml" in err
    record, _ = load_case(tmp_path / "k.yaml")
    assert record.person.age == 43  # type: ignore[attr-defined]


def test_wrong_answers_are_asked_again_and_why_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    answers = ["W-1", "2021-13-01", "2021-03-15", "forty", "131", "?", "12", ""]
    result = CliRunner().invoke(
        main, ["interview", "--save", "w.yaml"], input="\n".join(answers) + "\n"
    )
    assert result.exit_code == Exit.OK, result.output
    out = result.output
    assert "Not an answer: assessment_date must be a date written YYYY-MM-DD." in out
    assert "Not an answer: type a whole number." in out
    assert "Not an answer: person.age must be at most 130." in out
    assert "Rule under-18 (scope)" in out and "Clause scope.adults (Scope):" in out
    assert "this policy does not apply" in out
    assert "Question 2" not in out  # nothing else could change the outcome


def test_any_answer_can_be_changed_at_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    answers = ["X-1", "2021-03-15", "12", "3", "40", "1", "1", "1", "1", "1", "1", ""]
    result = CliRunner().invoke(
        main, ["interview", "--save", "x.yaml"], input="\n".join(answers) + "\n"
    )
    out = result.output
    assert result.exit_code == Exit.OK, out
    assert out.count("Check your answers") == 2
    assert "Change an answer (person.age)" in out
    assert "Question 2 (person.eligible_care_needs)" in out  # asked once age no longer settles it
    record, _ = load_case(tmp_path / "x.yaml")
    assert record.person.age == 40  # type: ignore[attr-defined]


def test_a_partial_case_that_is_not_valid_is_refused_naming_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("person:\n  age: secret-value-7Qz\n", encoding="utf-8")
    result = _run(["interview", str(bad)], "", tmp_path)
    assert result.returncode == Exit.CANNOT_RUN
    assert "person.age: must be a whole number" in result.stderr and "secret" not in result.stderr
    missing = _run(["interview", "no-such.yaml"], "", tmp_path)
    assert missing.returncode == Exit.USAGE
    unknown = _run(["interview", "--policy", "1999"], "", tmp_path)
    assert unknown.returncode == Exit.CANNOT_RUN


def test_a_partial_case_without_the_basics_asks_them_first(tmp_path: Path) -> None:
    partial = tmp_path / "p.yaml"
    partial.write_text("person:\n  age: 12\n", encoding="utf-8")
    result = _run(["interview", str(partial)], "P-1\n2021-03-15\n\n", tmp_path)
    assert result.returncode == Exit.OK, result.stderr
    assert "To start (case_id)" in result.stdout and "Question 1" not in result.stdout
    assert partial.read_text() == "person:\n  age: 12\n"  # written by hand: never overwritten
    saved = tmp_path / "P-1.yaml"
    record, _ = load_case(saved)
    assert (record.case_id, record.person.age) == ("P-1", 12)  # type: ignore[attr-defined]
    assert "Saved by `transport-policy interview`" in saved.read_text()
    again = _run(["interview", saved.name], "\n", tmp_path)
    assert again.returncode == Exit.OK and f"saved in {saved.name}" in again.stdout


def test_a_save_file_in_a_missing_folder_is_refused_before_any_question(tmp_path: Path) -> None:
    result = _run(["interview", "--save", "no/such/folder/x.yaml"], "A-1\n", tmp_path)
    assert result.returncode == Exit.CANNOT_RUN
    assert "cannot write no/such/folder/x.yaml" in result.stderr
    assert "To start" not in result.stdout


def test_a_partial_case_with_a_field_the_record_lacks_is_refused_naming_it(
    tmp_path: Path,
) -> None:
    """The interview reads a partial case as ``decide`` does: a misspelt field or a section that
    is not a mapping is reported, never dropped from the record it saves."""
    partial = tmp_path / "typo.yaml"
    text = "case_id: T-1\nassessment_date: 2021-03-15\nperson:\n  agee: 43\ntravel: 5\nbogus: 1\n"
    partial.write_text(text, encoding="utf-8")
    result = _run(["interview", str(partial)], "\n", tmp_path)
    assert result.returncode == Exit.CANNOT_RUN, result.stdout
    assert "person.agee: is not a field of the assessment record" in result.stderr
    assert "travel: must be a mapping of fields" in result.stderr
    assert "bogus: is not a field" in result.stderr
    assert "Question 1" not in result.stdout and not (tmp_path / "T-1.yaml").exists()


def test_basics_written_null_or_empty_are_asked(tmp_path: Path) -> None:
    partial = tmp_path / "p.yaml"
    partial.write_text('case_id: null\nassessment_date: ""\nperson:\n  age: 12\n', encoding="utf-8")
    result = _run(["interview", str(partial)], "P-2\n2021-03-15\n\n", tmp_path)
    assert result.returncode == Exit.OK, result.stdout + result.stderr
    assert "Not an answer" not in result.stdout
    record, _ = load_case(tmp_path / "P-2.yaml")
    assert (record.case_id, record.person.age) == ("P-2", 12)  # type: ignore[attr-defined]


@pytest.mark.parametrize("save", [["--save", "x.yaml"], []])
def test_a_folder_that_cannot_be_written_is_refused_before_any_question(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, save: list[str]
) -> None:
    """The folder is tried before the first question (not after the first answer), the current
    folder too when the file is to be named after the case reference."""
    monkeypatch.chdir(tmp_path)

    def refused(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("transport_policy.cli.interview.tempfile.mkstemp", refused)
    result = CliRunner().invoke(main, ["interview", *save], input="A-1\n2021-03-15\n")
    assert result.exit_code == Exit.CANNOT_RUN, result.output
    where = "x.yaml" if save else f"in the current folder ({tmp_path})"
    assert f"cannot write {where}: Permission denied" in result.output
    assert "To start" not in result.output


def test_a_date_no_version_was_in_force_on_is_said_of_the_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    answers = ["D-1", "2001-01-01", "2021-03-15", "12", ""]
    result = CliRunner().invoke(main, ["interview"], input="\n".join(answers) + "\n")
    assert result.exit_code == Exit.OK, result.output
    assert "Not an answer: assessment_date: no policy version was in force on this date" in (
        result.output
    )


def test_a_question_with_several_answers_says_how_to_give_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list field (what an ill carer usually gives) takes several numbers or none, and says
    so; "none" is read in any case."""
    monkeypatch.chdir(tmp_path)
    Path("ill.yaml").write_text(
        "case_id: L-1\nassessment_date: 2021-03-15\n"
        "person: {age: 43, service_area: learning_disability, eligible_care_needs: true, "
        "needs_transport_to_access_service: true}\n"
        "travel: {can_mobilise_safely: with_support, mobilise_support_from_unpaid_carer: true}\n"
        "support_network: {carer_wellbeing_considered: true}\n"
        "judgement: {mobilising_reasonable: true}\n"
        "circumstances: {temporary_illness: carer}\n",
        encoding="utf-8",
    )
    answers = ["4", "1 and 3", "NONE", ""]
    result = CliRunner().invoke(
        main, ["interview", "ill.yaml", "--save", "l.yaml"], input="\n".join(answers) + "\n"
    )
    out = result.output
    assert result.exit_code == Exit.OK, out
    assert "Question 1 (circumstances.ill_carer_relied_on_for)" in out
    assert "Type the number of each that applies, separated by commas (1,3), or none." in out
    assert "Answer (numbers, or none; ? why this is asked): " in out
    assert out.count("Not an answer: type the number of each that applies") == 2
    record, _ = load_case(tmp_path / "l.yaml")
    assert record.circumstances.ill_carer_relied_on_for == []  # type: ignore[attr-defined]


def test_ctrl_d_at_a_terminal_ends_the_prompt_line(tmp_path: Path) -> None:
    """At a terminal the input's end (Ctrl-D) leaves the cursor after the prompt: the message
    saying where the answers are starts on a line of its own."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [*CLI, "interview", "--save", "t.yaml"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=tmp_path,
        close_fds=True,
    )
    os.close(follower)
    seen = b""

    def read_until(text: bytes, start: int = 0) -> int:
        """Read until ``text`` appears after ``start``; where it ends."""
        nonlocal seen
        while text not in seen[start:]:
            ready, _, _ = select.select([leader], [], [], 60)
            assert ready, seen
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed: the process has ended
                break
            seen += chunk
        return seen.index(text, start) + len(text)

    try:
        at = read_until(b"Answer (")
        os.write(leader, b"T-1\n")
        at = read_until(b"YYYY-MM-DD.", at)
        at = read_until(b"Answer (", at)
        os.write(leader, b"2021-03-15\n")
        at = read_until(b"Question 1", at)
        read_until(b"Answer (", at)
        os.write(leader, b"\x04")
        read_until(b"interview t.yaml", at)
        assert process.wait(timeout=60) == Exit.FINDINGS
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
    line = next(x for x in seen.decode().splitlines() if "Stopped" in x)
    assert line.startswith("Stopped (the input ended)"), seen


def test_a_changed_answer_clears_the_answers_it_contradicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The latest answer stands: changing "with support" to "unable" clears who gives the
    support (it cannot hold any more, and the record would be refused), says so, and asks it
    again only if it could change the outcome."""
    monkeypatch.chdir(tmp_path)
    answers = ["C-1", "2021-03-15", "43", "1", "1", "4", "2", "1", "1", "1", "1"]
    first = CliRunner().invoke(
        main, ["interview", "--save", "c.yaml"], input="\n".join(answers) + "\n\n"
    )
    assert first.exit_code == Exit.OK, first.output
    record, _ = load_case(tmp_path / "c.yaml")
    assert record.travel.mobilise_support_from_unpaid_carer is True  # type: ignore[attr-defined]
    check = first.output.split("Check your answers")[-1]
    number = next(
        line.split()[0] for line in check.splitlines() if "can walk or wheel there safely" in line
    )
    changed = CliRunner().invoke(main, ["interview", "c.yaml"], input=f"{number}\n3\n")
    out = changed.output
    assert "Not an answer" not in out
    assert (
        "(The earlier answer to travel.mobilise_support_from_unpaid_carer is cleared: the "
        "support is given only to someone who walks or wheels there with support."
    ) in " ".join(out.split("\n"))
    record, _ = load_case(tmp_path / "c.yaml")
    assert record.travel.can_mobilise_safely == "unable"  # type: ignore[attr-defined]
    assert record.travel.mobilise_support_from_unpaid_carer is None  # type: ignore[attr-defined]
