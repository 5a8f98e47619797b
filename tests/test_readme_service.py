"""The README's HTTP service commands, run as written (a free port instead of 8000, and this
environment's ``.venv/bin``): the server starts and the ``curl`` example returns a decision."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from transport_policy.service.local import free_port

ROOT = Path(__file__).resolve().parents[1]


def _service_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## As an HTTP service", 1)[1]
    found = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert found, "the README's service section has no sh block"
    return found.group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_readme_starts_the_service_and_curl_gets_a_decision(tmp_path: Path) -> None:
    block = _service_block()
    assert "transport-policy serve" in block and "127.0.0.1:8000" in block
    port = free_port()
    bindir = str(Path(sys.executable).parent) + "/"
    script = (
        block.replace(".venv/bin/", bindir)
        .replace("transport-policy serve", f"transport-policy serve --port {port}")
        .replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    )
    script = f"set -e\n{script}\nkill %1\nwait %1 || true\n"
    done = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    decision = json.loads(done.stdout)
    assert decision["case_id"] == "C-0042" and decision["outcome"]
    assert (tmp_path / "decisions.log").read_text().count("\n") == 1
