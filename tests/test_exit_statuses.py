"""One exit-status table for every command: a policy that cannot be loaded is the same status
whichever command meets it, and each command's --help shows the rows it returns."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from transport_policy.cli import COMMANDS, main
from transport_policy.cli.exits import COMMON, Exit

ROOT = Path(__file__).resolve().parents[1]
CASE = sorted((ROOT / "cases").glob("*.yaml"))[0]


@pytest.fixture(scope="module")
def broken_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled rules, with a rule file of version 2021-01 that does not parse."""
    root = tmp_path_factory.mktemp("broken") / "rules"
    shutil.copytree(ROOT / "rules", root)
    (root / "2021-01" / "scope.yaml").write_text("rules: [unclosed\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def decision_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    log = tmp_path_factory.mktemp("log") / "decisions.log"
    result = CliRunner().invoke(main, ["decide", str(CASE), "--format", "json", "--log", str(log)])
    assert result.exit_code == Exit.OK, result.output
    return log


def _commands(log: Path) -> dict[str, list[str]]:
    """Every command that loads a policy, as it is run (the rules folder is appended)."""
    return {
        "decide": ["decide", str(CASE), "--format", "json"],
        "render": ["render", str(CASE)],
        "batch": ["batch", str(CASE), "--jobs", "1"],
        "replay": ["replay", str(log), "--jobs", "1"],
        "impact": ["impact", str(CASE), "--from", "2016", "--to", "2021-01", "--jobs", "1"],
        "policies": ["policies"],
        "rules check": ["rules", "check"],
        "rules list": ["rules", "list"],
        "rules show": ["rules", "show", "private-car"],
        "rules doc": ["rules", "doc"],
    }


NAMES = list(_commands(Path("x")))


@pytest.mark.parametrize("name", NAMES)
def test_rules_that_do_not_load_are_the_same_status_in_every_command(
    name: str, broken_rules: Path, decision_log: Path
) -> None:
    args = [*_commands(decision_log)[name], "--rules", str(broken_rules)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == Exit.CANNOT_RUN, result.output
    assert "scope.yaml" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("name", [n for n in NAMES if n not in ("policies", "impact")])
def test_an_unknown_policy_version_is_the_same_status_in_every_command(
    name: str, decision_log: Path
) -> None:
    result = CliRunner().invoke(main, [*_commands(decision_log)[name], "--policy", "1999"])
    assert result.exit_code == Exit.CANNOT_RUN, result.output
    assert "1999" in result.output


def test_an_unknown_version_to_compare_is_the_same_status_too() -> None:
    args = ["impact", str(CASE), "--from", "1999", "--to", "2021-01", "--jobs", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == Exit.CANNOT_RUN and "1999" in result.output


def _help(command: list[str]) -> str:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == Exit.OK, result.output
    return result.output


def _statuses(text: str) -> list[int]:
    table = text.split("Exit status:", 1)[1]
    return [int(code) for code in re.findall(r"^ {2,4}(\d{1,3})  \S", table, re.M)]


@pytest.mark.parametrize(
    "command",
    [
        *[[name] for name in sorted(COMMANDS) if name not in ("audit", "rules")],
        ["audit", "verify"],
        ["rules", "check"],
        ["rules", "list"],
        ["rules", "show"],
        ["rules", "doc"],
    ],
)
def test_each_help_shows_its_rows_of_the_one_table(command: list[str]) -> None:
    codes = _statuses(_help(command))
    assert codes == sorted(codes) and set(COMMON) <= set(codes)
    assert all(code in set(Exit) for code in codes)
    if command not in (["schema"],):
        assert Exit.CANNOT_RUN in codes


def test_decide_loads_no_other_command() -> None:
    code = (
        "import sys; from transport_policy.cli import main\n"
        "try:\n    main(['decide', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('transport_policy.cli.'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    loaded = set(done.stdout.strip().splitlines()[-1].split())
    assert loaded == {
        "transport_policy.cli.common",
        "transport_policy.cli.decide",
        "transport_policy.cli.exits",
    }


RUN = "from transport_policy.cli import run; run()"


@pytest.mark.skipif(sys.platform == "win32", reason="a closed pipe is EPIPE on POSIX")
@pytest.mark.parametrize(
    "name", [*NAMES, "schema", "new-case", "--help", "decide --help", "--version"]
)
def test_a_closed_output_pipe_stops_every_command_quietly(name: str, decision_log: Path) -> None:
    """``transport-policy ... | head`` whose reader has gone: 141 and nothing on stderr, not the
    1 of a rejected case (click's own answer to a closed pipe) nor an error message."""
    args = {**_commands(decision_log), "schema": ["schema", "record"]}.get(name, name.split())
    read, write = os.pipe()
    os.close(read)  # no reader: the first write fails with EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-c", RUN, *args],
            stdout=write,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (Exit.BROKEN_PIPE, b"")
