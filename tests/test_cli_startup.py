"""The console script pauses the garbage collector while it starts, and only then.

Start-up objects (modules, classes, models) are kept out of later collections; once the command
is imported, garbage is collected as usual, so a long run (a batch of many cases, the service)
does not grow, whichever way the command line ends.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.yaml"))

# Runs the console script's entry point as the installed script does, with its arguments, and
# reports on stderr (as the last line) the collector's state afterwards and the collections seen.
_RUN = """
import gc, json, sys
seen = []
gc.callbacks.append(lambda phase, info: phase == "start" and seen.append(info["generation"]))
from transport_policy.cli import run
sys.argv = ["transport-policy", *sys.argv[1:]]
try:
    run()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "enabled": gc.isenabled(), "frozen": gc.get_freeze_count(),
                  "collections": len(seen)}), file=sys.stderr)
"""


def _run(*args: str) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", _RUN, *args], capture_output=True, text=True, check=False
    )
    report: dict[str, int] = json.loads(done.stderr.strip().splitlines()[-1])
    return report


def test_deciding_many_cases_collects_garbage_after_start_up() -> None:
    """The start-up objects are frozen, and collection goes on while the cases are decided."""
    report = _run("decide", *map(str, CASES), "--format", "json")
    assert report["code"] == 0
    assert report["enabled"]
    assert report["frozen"] > 10_000
    assert report["collections"] > 0


@pytest.mark.parametrize(
    "args", [["--version"], ["no-such-command"], ["decide", "missing.yaml"], ["--help"]]
)
def test_the_collector_is_on_again_however_the_command_line_ends(args: list[str]) -> None:
    report = _run(*args)
    assert report["enabled"]
    assert report["frozen"] > 0


def test_the_library_leaves_the_collector_alone() -> None:
    """Importing the package, or deciding through the Python API, pauses nothing."""
    code = (
        "import gc, json, transport_policy as t; import transport_policy.cli;"
        f"t.load_case({str(CASES[0])!r});"
        "print(json.dumps([gc.isenabled(), gc.get_freeze_count()]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [True, 0]
