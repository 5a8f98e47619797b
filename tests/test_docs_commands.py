"""Every shell command shown in README.md and docs/*.md runs as written (as sqlite-utils tests
the commands of its documentation).

A fenced code block whose language is ``sh``, ``bash`` or ``shell`` holds commands, one a line
(a line ending in a backslash goes on to the next; comment lines are skipped); in a ``console``
block the commands are the lines starting ``$ `` and the rest is their output. The commands of
each document run in the order shown, in one shell (a log one command writes is read by the
next, a variable one exports is seen later), in a fresh copy of the checkout, with standard input
empty and this environment's ``transport-policy`` and ``python`` first on ``PATH`` (as an
activated virtual environment has them; ``.venv`` in the copy is this environment too). Each must
exit 0, or the status its own comment states (``# exits 1 ...``).

A block that cannot run here (a server left running, an install from the network, the test suite
itself) is preceded by ``<!-- docs-test: skip REASON -->``. :data:`SKIPPED` lists every such
block, so adding one is a visible change to this file. Blocks in any other language (``text``,
``yaml``, ``python``, ...) are not commands; a block with no language that holds a
``transport-policy`` command is an error, so no command escapes the test by its markup.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL = ("sh", "bash", "shell")
SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s+(?P<reason>\S.*?)\s*-->")
EXITS = re.compile(r"\s#[^'\"]*?\bexits (?P<status>\d+)\b")
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache"
)

SKIPPED = {
    ("README.md", "python3 -m venv .venv"),  # creates the environment the other commands use
    ("README.md", ".venv/bin/python -m pytest"),  # this test suite itself
    ("README.md", "export TRANSPORT_POLICY_TOKENS="),  # starts a server and leaves it running
    ("docs/service.md", "pip install 'transport-policy[service]'"),  # a registry; a server
    ("docs/auditing.md", "python benchmarks/bench_batch.py"),  # a benchmark: minutes of work
    ("docs/performance.md", "python benchmarks/bench_decide.py"),  # benchmarks: minutes of work
}
"""Each skipped block: its document and the start of its first command (the document says why)."""


@dataclass(frozen=True)
class Block:
    doc: str
    line: int
    language: str
    commands: tuple[str, ...]
    skip: str | None

    def first(self) -> str:
        return self.commands[0] if self.commands else ""


def _commands(language: str, body: list[str]) -> list[str]:
    if language == "console":
        body = [line[2:] for line in body if line.startswith("$ ")] if body else []
    out: list[str] = []
    pending = ""
    for line in body:
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line + "\n"
        if not line.endswith("\\"):
            out.append(pending.rstrip("\n"))
            pending = ""
    if pending:
        out.append(pending.rstrip("\n"))
    return out


def blocks(path: Path, root: Path = ROOT) -> list[Block]:
    """The fenced code blocks of a document, with their commands."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    n = 0
    while n < len(lines):
        if not lines[n].startswith("```"):
            n += 1
            continue
        language = lines[n][3:].strip()
        end = next(k for k in range(n + 1, len(lines)) if lines[k].startswith("```"))
        before = next((lines[k] for k in range(n - 1, -1, -1) if lines[k].strip()), "")
        skip = SKIP.search(before)
        body = lines[n + 1 : end]
        commands = _commands(language, body) if language in (*SHELL, "console") else body
        found.append(
            Block(
                path.relative_to(root).as_posix(),
                n + 1,
                language,
                tuple(commands),
                skip.group("reason") if skip else None,
            )
        )
        n = end + 1
    return found


def _runnable(path: Path) -> list[Block]:
    return [b for b in blocks(path) if b.language in (*SHELL, "console") and b.skip is None]


def _script(commands: list[str], out: Path) -> str:
    parts = ["set -o pipefail"]
    for n, command in enumerate(commands):
        parts.append(f'{{ {command}\n}} >"{out}/{n}.out" 2>&1\necho $? >>"{out}/status"')
    return "\n".join(parts) + "\n"


def _expected(command: str) -> int:
    found = [int(m.group("status")) for line in command.splitlines() if (m := EXITS.search(line))]
    return found[-1] if found else 0


WITH_COMMANDS = [p for p in DOCS if _runnable(p)]


@pytest.mark.parametrize("path", WITH_COMMANDS, ids=[p.name for p in WITH_COMMANDS])
def test_every_command_of_the_document_runs_as_written(path: Path, tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT, checkout, ignore=COPY_IGNORE, symlinks=True)
    (checkout / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    out = tmp_path / "out"
    out.mkdir()
    commands = [c for b in _runnable(path) for c in b.commands]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRANSPORT_POLICY_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # what a command keeps: not the user's
    # Its own process group, stopped as a whole afterwards: a document may start a server in
    # the background (docs/web.md does), which must not outlive the test.
    shell = subprocess.Popen(
        ["bash", "-c", _script(commands, out)],
        cwd=checkout,
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        shell.wait(timeout=900)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGTERM)
        shell.wait()
    statuses = [int(s) for s in (out / "status").read_text().split()]
    assert len(statuses) == len(commands)
    failed = [
        f"$ {command}\n(exit {status}, expected {_expected(command)})\n"
        + (out / f"{n}.out").read_text(errors="replace")[-2000:]
        for n, (command, status) in enumerate(zip(commands, statuses, strict=True))
        if status != _expected(command)
    ]
    assert not failed, "\n\n".join(failed)


def test_only_the_listed_blocks_are_skipped_and_each_says_why() -> None:
    skipped = [b for p in DOCS for b in blocks(p) if b.skip is not None]
    keys = {
        next(((d, c) for d, c in SKIPPED if d == b.doc and b.first().startswith(c)), b.first())
        for b in skipped
    }
    assert keys == SKIPPED
    assert all(b.skip for b in skipped)


def test_no_command_hides_in_a_block_without_a_language() -> None:
    hidden = [
        f"{b.doc}:{b.line}"
        for p in DOCS
        for b in blocks(p)
        if not b.language
        and any(re.match(r"\$?\s*(\.venv/bin/)?transport-policy ", c) for c in b.commands)
    ]
    assert hidden == []


def test_the_block_reader_finds_commands_continuations_and_exit_statuses(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text(
        "```sh\n# a comment\nrun one   # exits 1 when it must\nrun \\\n  two\n```\n\n"
        "<!-- docs-test: skip a reason -->\n```console\n$ three\noutput\n```\n",
        encoding="utf-8",
    )
    found = [(b.language, b.commands, b.skip) for b in blocks(doc, tmp_path)]
    assert found == [
        ("sh", ("run one   # exits 1 when it must", "run \\\n  two"), None),
        ("console", ("three",), "a reason"),
    ]
    assert [_expected(c) for c in found[0][1]] == [1, 0]
