"""`transport-policy decide`: the output contract, standard input, bad cases and exit status."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from transport_policy import decide, load_case
from transport_policy.cli import COMMANDS, main
from transport_policy.documents import render as render_document
from transport_policy.documents.sources import load_source

CASES = sorted((Path(__file__).resolve().parents[1] / "cases").glob("*.yaml"))
SECRET = "sk-live-7Q9Zx3SECRETv4lue"
"""A value that must never be echoed back, whatever is wrong with the case holding it."""

GOOD = f"""\
case_id: C-BAD-1
assessment_date: 2021-03-15
person:
  age: 43
  service_area: learning_disability
  eligible_care_needs: true
  needs_transport_to_access_service: true
travel:
  can_use_public_transport: with_support
circumstances:
  temporary_illness: none
judgement:
  notes: {SECRET}
"""


def render(path: Path, fmt: str) -> str:
    """The support-plan section of the case at ``path``, as ``decide`` prints it off a terminal."""
    found = load_source(str(path))
    shown = render_document(found.decision, fmt, context=found.context)
    assert isinstance(shown, str)
    return shown


def _run(*args: str, stdin: bytes | str | None = None) -> Result:
    return CliRunner().invoke(main, ["decide", *args], input=stdin)


def _expected(path: Path) -> dict[str, Any]:
    return decide(load_case(path)[0]).model_dump(mode="json")


def _lines(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_json_is_one_decision_per_case_per_line_in_order() -> None:
    paths = [CASES[3], CASES[0], CASES[-1]]
    result = _run(*map(str, paths), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert _lines(result) == [_expected(p) for p in paths]
    assert result.stderr == ""


def test_json_is_the_default_when_output_is_not_a_terminal() -> None:
    result = _run(str(CASES[0]))
    assert result.exit_code == 0
    assert _lines(result) == [_expected(CASES[0])]


def test_text_is_the_default_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("transport_policy.cli.decide.stdout_is_terminal", lambda: True)
    result = _run(str(CASES[0]))
    assert result.exit_code == 0
    assert result.stdout == render(CASES[0], "text") + "\n"


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_text_and_markdown_render_each_case_in_order(fmt: str) -> None:
    paths = CASES[:3]
    result = _run(*map(str, paths), "--format", fmt)
    assert result.exit_code == 0
    shown = [render(p, fmt) for p in paths]
    separator = "\n\n" + "=" * 88 + "\n\n" if fmt == "text" else "\n\n---\n\n"
    assert result.stdout == separator.join(shown) + "\n"
    at = [result.stdout.index(one) for one in shown]
    assert at == sorted(at)


def test_standard_input_is_read_as_yaml_or_json() -> None:
    record, _ = load_case(CASES[0])
    want = decide(record).model_dump(mode="json")
    as_yaml = _run("-", "--format", "json", stdin=CASES[0].read_bytes())
    as_json = _run("-", "--format", "json", stdin=json.dumps(record.model_dump(mode="json")))
    assert as_yaml.exit_code == 0 and as_json.exit_code == 0
    assert _lines(as_yaml) == [want] and _lines(as_json) == [want]


def _write(tmp_path: Path, kind: str) -> tuple[str, str | None, str]:
    """A bad case of ``kind``: its path, its readable case id and the field path to report."""
    path = tmp_path / f"{kind}.yaml"
    if kind == "unknown_key":
        path.write_text(GOOD.replace("travel:\n", f"travel:\n  favourite_bus: {SECRET}\n"))
        return str(path), "C-BAD-1", "travel.favourite_bus"
    if kind == "wrong_enum":
        path.write_text(
            GOOD.replace("public_transport: with_support", f"public_transport: {SECRET}")
        )
        return str(path), "C-BAD-1", "travel.can_use_public_transport"
    if kind == "yaml_yes":
        path.write_text(GOOD.replace("eligible_care_needs: true", "eligible_care_needs: yes"))
        return str(path), "C-BAD-1", "person.eligible_care_needs"
    if kind == "duplicate_key":
        path.write_text(GOOD.replace("  age: 43\n", f"  age: 43\n  age: {SECRET}\n"))
        return str(path), None, "(file)"
    if kind == "invalid_utf8":
        path.write_bytes(GOOD.encode().replace(b"notes: ", b"notes: \xff\xfe "))
        return str(path), None, "(file)"
    if kind == "empty":
        path.write_bytes(b"")
        return str(path), None, "(file)"
    if kind == "directory":
        path.mkdir()
        return str(path), None, "(file)"
    assert kind == "missing"
    return str(path), None, "(file)"


BAD_KINDS = [
    "unknown_key",
    "wrong_enum",
    "yaml_yes",
    "duplicate_key",
    "invalid_utf8",
    "empty",
    "directory",
    "missing",
]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_a_bad_case_is_reported_in_place_and_the_others_are_decided(
    tmp_path: Path, kind: str
) -> None:
    bad, case_id, field = _write(tmp_path, kind)
    result = _run(str(CASES[0]), bad, str(CASES[1]), "--format", "json")
    assert result.exit_code == 1
    first, error, last = _lines(result)
    assert first == _expected(CASES[0]) and last == _expected(CASES[1])
    assert set(error) == {"source", "case_id", "errors"}
    assert error["source"] == bad and error["case_id"] == case_id
    assert error["errors"] and all(set(e) == {"field", "message"} for e in error["errors"])
    assert field in [e["field"] for e in error["errors"]]
    assert bad in result.stderr and field in result.stderr
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stdout and SECRET not in result.stderr


def test_a_duplicate_key_names_the_key(tmp_path: Path) -> None:
    bad, _, _ = _write(tmp_path, "duplicate_key")
    result = _run(bad, "--format", "json")
    assert "duplicate key 'age'" in result.stderr


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_a_bad_case_in_text_formats_goes_to_stderr_only(tmp_path: Path, fmt: str) -> None:
    bad, _, field = _write(tmp_path, "wrong_enum")
    result = _run(bad, str(CASES[0]), "--format", fmt)
    assert result.exit_code == 1
    assert result.stdout.strip() == render(CASES[0], fmt)
    assert field in result.stderr and SECRET not in result.stdout + result.stderr


def test_a_bad_case_on_standard_input_is_named_stdin() -> None:
    result = _run("-", "--format", "json", stdin=GOOD.replace("age: 43", "age: 300"))
    assert result.exit_code == 1
    (error,) = _lines(result)
    assert error["source"] == "<stdin>" and error["case_id"] == "C-BAD-1"
    assert [e["field"] for e in error["errors"]] == ["person.age"]
    assert "<stdin>" in result.stderr and SECRET not in result.stdout + result.stderr


def test_help_documents_the_exit_codes() -> None:
    result = CliRunner().invoke(main, ["decide", "--help"])
    assert result.exit_code == 0
    assert re.search(r"^\s*0\s+every case was decided", result.stdout, re.M)
    assert re.search(r"^\s*1\s+at least one case was rejected", result.stdout, re.M)
    assert re.search(r"^\s*3\s+the policy could not be loaded", result.stdout, re.M)


def _installed_script() -> Path:
    script = Path(sysconfig.get_path("scripts")) / "transport-policy"
    if not script.exists():
        script = Path(sys.executable).parent / "transport-policy"
    if not script.exists():
        pytest.skip("the transport-policy console script is not installed")
    return script


def test_the_installed_command_decides_a_case() -> None:
    script = _installed_script()
    done = subprocess.run(
        [str(script), "decide", str(CASES[0]), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line) for line in done.stdout.splitlines()] == [_expected(CASES[0])]


def test_the_sample_in_the_assessors_guide_is_what_the_command_prints() -> None:
    guide = (Path(__file__).resolve().parents[1] / "docs" / "reading-a-decision.md").read_text()
    found = re.search(
        r"```text\n\$ transport-policy decide (\S+) --format text\n(.*?)\n```", guide, re.S
    )
    assert found, "the guide has no sample output"
    path = Path(__file__).resolve().parents[1] / found.group(1)
    result = _run(str(path), "--format", "text")
    assert result.exit_code == 0

    def steady(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("Policy digest:")]

    assert steady(found.group(2)) == steady(result.stdout)


def test_an_unwritable_output_is_an_error_message_not_a_traceback() -> None:
    script = _installed_script()
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [str(script), "decide", str(CASES[0])],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    assert "cannot write standard output" in done.stderr


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_loads_and_documents_its_exit_status(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output and "Exit status" in result.output
