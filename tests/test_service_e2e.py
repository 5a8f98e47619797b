"""The real server on 127.0.0.1: started as the README says, answering, and stopping on SIGTERM
with in-flight requests finished and the decision log intact."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from transport_policy import decide, load_case
from transport_policy.audit.verify import verify

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.yaml"))[:6]
TOKEN = "end-to-end-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _record(path: Path) -> dict[str, object]:
    return load_case(path)[0].model_dump(mode="json", exclude_none=True)


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    tokens = tmp_path / "tokens"
    tokens.write_text(f"{hashlib.sha256(TOKEN.encode()).hexdigest()} decide,audit\n")
    log = tmp_path / "decisions.log"
    port = _free_port()
    args = [
        sys.executable,
        "-c",
        "from transport_policy.cli import run; run()",
        "serve",
        "--port",
        str(port),
        "--workers",
        "2",
        "--tokens",
        str(tokens),
        "--log",
        str(log),
    ]
    proc = subprocess.Popen(args, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("the server did not start")
    yield proc, url, log
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_the_real_server_decides_and_logs(
    server: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    proc, url, log = server
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=url, headers=auth) as http:
        for path in CASES:
            response = http.post("/v1/decisions", json=_record(path))
            assert response.status_code == 200
            assert response.text == decide(load_case(path)[0]).to_json()
        mark = http.get("/v1/log/checkpoint").json()
    assert mark["entries"] == len(CASES)
    assert httpx.post(url + "/v1/decisions", json=_record(CASES[0])).status_code == 401
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert verify(log).ok


def test_sigterm_lets_in_flight_requests_finish_and_the_log_verifies(
    server: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    proc, url, log = server
    records = [_record(p) for p in CASES] * 100
    body = json.dumps(records)
    results: list[tuple[int, int]] = []

    def post_batch() -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            response = http.post(
                "/v1/decisions:batch",
                content=body,
                headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
            )
            results.append((response.status_code, len(response.text.splitlines())))

    clients = [threading.Thread(target=post_batch) for _ in range(4)]
    for client in clients:
        client.start()
    deadline = time.monotonic() + 60
    while (not log.exists() or log.stat().st_size == 0) and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGTERM)  # while the batches are being decided
    for client in clients:
        client.join(timeout=120)
    assert proc.wait(timeout=60) == 0
    assert results == [(200, len(records))] * len(clients)
    report = verify(log)
    assert report.ok and report.entries == len(records) * len(clients)
