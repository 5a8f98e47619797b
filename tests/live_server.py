"""The real ``transport-policy serve`` on 127.0.0.1 for page tests: started as the README says
(a token file, a free port), waited for until ready, stopped with SIGTERM."""

from __future__ import annotations

import hashlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    log: Path | None
    decide_only: str = ""
    """A second token, with the ``decide`` scope only (another assessor)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(folder: Path, token: str, *, workers: int = 2, log: bool = False) -> Iterator[Server]:
    """The service running on 127.0.0.1 with ``token`` (scopes ``decide`` and ``audit``), a second
    token with ``decide`` only, and a decision log in ``folder`` when ``log``."""
    tokens = folder / "tokens"
    other = token + "-decide-only"
    tokens.write_text(
        f"{hashlib.sha256(token.encode()).hexdigest()} decide,audit\n"
        f"{hashlib.sha256(other.encode()).hexdigest()} decide\n"
    )
    port = free_port()
    log_path = folder / "decisions.log" if log else None
    args = [sys.executable, "-c", "from transport_policy.cli import run; run()", "serve"]
    args += ["--port", str(port), "--workers", str(workers), "--tokens", str(tokens)]
    if log_path is not None:
        args += ["--log", str(log_path)]
    proc = subprocess.Popen(args)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, url)
        yield Server(url, token, log_path, other)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(proc: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with status {proc.returncode}")
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("the server did not start")
