"""`transport-policy render`: from a case, a decision or a log entry; binary formats, missing
extras, wrapping; and `decide --format text` is the same renderer."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from transport_policy import Decision
from transport_policy.audit.log import read_lines
from transport_policy.cli import main
from transport_policy.cli.exits import Exit
from transport_policy.documents import Context, LogPosition, case_facts, render

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.yaml"))
CASE = next(p for p in CASES if "broken-ankle" in p.name)
"""A case whose decision has a journey, a review and an appeal route."""


def _run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin)


def _decide_json(path: Path, *extra: str) -> str:
    result = _run("decide", str(path), "--format", "json", *extra)
    assert result.exit_code == Exit.OK, result.output
    return result.stdout


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """A log of three decisions: the second under the 2016 policy, not the one in force."""
    path = tmp_path / "decisions.log"
    _decide_json(CASE, "--log", str(path))
    _decide_json(CASE, "--log", str(path), "--policy", "2016")
    _decide_json(CASES[0], "--log", str(path))
    return path


def _entry(log: Path, seq: int) -> dict[str, object]:
    raw = next(raw for n, raw, _ in read_lines(log) if n == seq)
    entry: dict[str, object] = json.loads(raw)
    return entry


@pytest.mark.parametrize("audience", ["letter", "support-plan"])
def test_a_log_entry_renders_exactly_the_logged_decision(log: Path, audience: str) -> None:
    entry = _entry(log, 2)
    logged = Decision.model_validate(entry["decision"])
    assert logged.policy.version == "2016"
    record = entry["record"]
    assert isinstance(record, dict)
    position = LogPosition(str(log), 2, str(entry["time"]), str(entry["hash"]))
    context = Context(case_facts(logged, record), position=position)
    expected = render(logged, "text", audience=audience, context=context, width=100)  # type: ignore[arg-type]
    result = _run("render", str(log), "--seq", "2", "--audience", audience, "--width", "100")
    assert result.exit_code == Exit.OK, result.output
    assert result.stdout == f"{expected}\n"
    assert "version 2016" in result.stdout and "entry 2 of" in result.stdout
    now = _run("render", str(CASE), "--audience", audience, "--width", "100")
    assert "version 2021-01" in now.stdout and "version 2016" not in now.stdout


def test_a_log_entry_that_does_not_match_its_hash_is_not_rendered(log: Path) -> None:
    lines = log.read_bytes().splitlines(keepends=True)
    case_id = b'"case_id":"G-023"'
    assert case_id in lines[1]
    lines[1] = lines[1].replace(case_id, b'"case_id":"G-999"')
    tampered = log.with_name("tampered.log")
    tampered.write_bytes(b"".join(lines))
    result = _run("render", str(tampered), "--seq", "2")
    assert result.exit_code == Exit.CANNOT_RUN
    assert "entry 2" in result.output and "audit verify" in result.output
    assert result.stdout == ""


def test_a_missing_entry_or_a_log_without_seq_is_a_clear_error(log: Path) -> None:
    missing = _run("render", str(log), "--seq", "9")
    assert missing.exit_code == Exit.CANNOT_RUN and "has no entry 9" in missing.output
    bare = _run("render", str(log))
    assert bare.exit_code == Exit.CANNOT_RUN and "--seq" in bare.output
    piped = _run("render", "-", stdin=log.read_text())
    assert piped.exit_code == Exit.CANNOT_RUN and "--seq" in piped.output


def test_a_decision_renders_as_the_case_it_was_made_from(tmp_path: Path) -> None:
    decision = tmp_path / "decision.json"
    decision.write_text(_decide_json(CASE))
    from_json = _run("render", str(decision), "--width", "100")
    from_case = _run("render", str(CASE), "--width", "100")
    assert from_json.exit_code == Exit.OK, from_json.output
    why = from_case.stdout[from_case.stdout.index("\nWhy\n") : from_case.stdout.index("File:")]
    assert why in from_json.stdout
    assert from_json.stdout.splitlines()[0] == from_case.stdout.splitlines()[0]


def test_a_bad_decision_names_the_key_and_echoes_nothing(tmp_path: Path) -> None:
    data = json.loads(_decide_json(CASE))
    data["outcome"] = "sk-live-SECRET"
    data["extra_key"] = 1
    path = tmp_path / "decision.json"
    path.write_text(json.dumps(data))
    result = _run("render", str(path))
    assert result.exit_code == Exit.CANNOT_RUN
    assert "outcome: is not one of" in result.stderr
    assert "extra_key: is not a key of a decision" in result.stderr
    assert "SECRET" not in result.output and "Traceback" not in result.output


def test_policy_is_refused_for_a_decision(tmp_path: Path) -> None:
    path = tmp_path / "decision.json"
    path.write_text(_decide_json(CASE))
    result = _run("render", str(path), "--policy", "2016")
    assert result.exit_code == Exit.CANNOT_RUN
    assert "--policy applies to a case file" in result.output


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_binary_formats_are_never_written_to_a_terminal(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("transport_policy.cli.render.stdout_is_terminal", lambda: True)
    refused = _run("render", str(CASE), "--format", fmt)
    assert refused.exit_code == Exit.USAGE and "-o FILE" in refused.output
    out = tmp_path / f"letter.{fmt}"
    written = _run("render", str(CASE), "--format", fmt, "--audience", "letter", "-o", str(out))
    assert written.exit_code == Exit.OK, written.output
    assert out.read_bytes()[:4] == (b"%PDF" if fmt == "pdf" else b"PK\x03\x04")


def test_an_unwritable_output_is_exit_3_naming_the_file(tmp_path: Path) -> None:
    out = tmp_path / "no-such-folder" / "letter.html"
    result = _run("render", str(CASE), "--format", "html", "-o", str(out))
    assert result.exit_code == Exit.CANNOT_RUN and str(out) in result.output


BLOCKED = (
    "import sys\n"
    "for name in ('jinja2', 'weasyprint', 'docx'):\n"
    "    sys.modules[name] = None  # as if the 'documents' extra were not installed\n"
    "from transport_policy.cli import run\n"
    "sys.argv = ['transport-policy', 'render', {case!r}, *{args!r}]\n"
    "run()\n"
)


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "pdf", "docx"])
def test_without_the_documents_extra_text_works_and_others_say_what_to_install(
    fmt: str, tmp_path: Path
) -> None:
    args = ["--format", fmt, "-o", str(tmp_path / "out")]
    code = BLOCKED.format(case=str(CASE), args=args)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    if fmt in ("text", "markdown"):
        assert done.returncode == Exit.OK, done.stderr
        assert "Recommendation:" in (tmp_path / "out").read_text()
    else:
        assert done.returncode == Exit.CANNOT_RUN
        assert "pip install 'transport-policy[documents]'" in done.stderr
        assert "Traceback" not in done.stderr


def _fits(line: str, width: int) -> bool:
    """Within ``width``, or a single word too long for it (after its label, if it has one)."""
    return len(line) <= width or " " not in re.sub(r"^[A-Za-z ]+:\s+", "", line).strip()


@pytest.mark.parametrize("width", [30, 50, 72])
def test_text_wraps_to_the_width_and_never_splits_a_long_word(width: int) -> None:
    result = _run("render", str(CASE), "--width", str(width))
    assert result.exit_code == Exit.OK
    lines = result.stdout.splitlines()
    assert all(_fits(line, width) for line in lines)
    digest = json.loads(_decide_json(CASE))["input_digest"]
    assert any(digest in line for line in lines)
    assert any(CASE.name in line for line in lines)


def test_the_terminal_width_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "44")
    lines = _run("render", str(CASE)).stdout.splitlines()
    assert all(_fits(line, 44) for line in lines)
    assert not all(_fits(line, 43) for line in lines)


def test_decide_text_is_the_support_plan_section_render_prints(tmp_path: Path) -> None:
    for fmt in ("text", "markdown"):
        decided = _run("decide", str(CASE), "--format", fmt, "--width", "70")
        rendered = _run("render", str(CASE), "--format", fmt, "--width", "70")
        assert decided.exit_code == rendered.exit_code == Exit.OK
        assert decided.stdout == rendered.stdout


def test_decide_with_a_log_gives_the_documents_log_entry(tmp_path: Path) -> None:
    path = tmp_path / "decisions.log"
    decided = _run("decide", str(CASE), "--format", "text", "--log", str(path), "--width", "90")
    entry = _entry(path, 1)
    assert f"Log entry hash: {entry['hash']}" in decided.stdout
    assert f"entry 1 of {path}, logged {entry['time']}" in " ".join(decided.stdout.split())
    rendered = _run("render", str(path), "--seq", "1", "--width", "90")
    without_file = [line for line in decided.stdout.splitlines() if not line.startswith("File:")]
    assert rendered.stdout.splitlines() == without_file


def test_text_has_no_markup_for_a_word_processor_to_show() -> None:
    for audience in ("letter", "support-plan"):
        text = _run("render", str(CASE), "--audience", audience).stdout
        assert "##" not in text and "**" not in text and "`" not in text


def test_the_letter_in_the_assessors_guide_is_what_render_prints() -> None:
    guide = (ROOT / "docs" / "reading-a-decision.md").read_text(encoding="utf-8")
    found = re.search(
        r"```text\n\$ transport-policy render (\S+) --audience letter\n(.*?)\n```", guide, re.S
    )
    assert found, "the guide has no sample letter"
    result = _run("render", str(ROOT / found.group(1)), "--audience", "letter")
    assert result.exit_code == Exit.OK
    assert result.stdout.rstrip("\n") == found.group(2)
