"""The real server on 127.0.0.1: started as the README says, answering, and stopping on SIGTERM
with in-flight requests finished and the decision log intact."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from transport_policy import decide, load_case
from transport_policy.audit.verify import verify
from transport_policy.service.local import LocalServer, local_server

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.yaml"))[:6]
TOKEN = "end-to-end-token"


def _record(path: Path) -> dict[str, object]:
    return load_case(path)[0].model_dump(mode="json", exclude_none=True)


def _tokens(tmp_path: Path) -> Path:
    tokens = tmp_path / "tokens"
    tokens.write_text(f"{hashlib.sha256(TOKEN.encode()).hexdigest()} decide,audit\n")
    return tokens


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[LocalServer, Path]]:
    log = tmp_path / "decisions.log"
    args = ("--workers", "2", "--tokens", str(_tokens(tmp_path)), "--log", str(log))
    with local_server(*args) as running:
        yield running, log


def test_the_real_server_decides_and_logs(server: tuple[LocalServer, Path]) -> None:
    running, log = server
    url = running.url
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=url, headers=auth) as http:
        for path in CASES:
            response = http.post("/v1/decisions", json=_record(path))
            assert response.status_code == 200
            assert response.text == decide(load_case(path)[0]).to_json()
        mark = http.get("/v1/log/checkpoint").json()
    assert mark["entries"] == len(CASES)
    assert httpx.post(url + "/v1/decisions", json=_record(CASES[0])).status_code == 401
    assert running.stop() == 0
    assert verify(log).ok


def test_sigterm_lets_in_flight_requests_finish_and_the_log_verifies(
    server: tuple[LocalServer, Path],
) -> None:
    running, log = server
    url = running.url
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
    os.kill(running.process.pid, signal.SIGTERM)  # while the batches are being decided
    for client in clients:
        client.join(timeout=120)
    assert running.process.wait(timeout=60) == 0
    assert results == [(200, len(records))] * len(clients)
    report = verify(log)
    assert report.ok and report.entries == len(records) * len(clients)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_one_worker_stopped_by_a_signal_exits_0(tmp_path: Path, stop: signal.Signals) -> None:
    """``serve --help`` promises 0 once a stop has let in-flight requests finish, with one
    worker as with several (uvicorn passes the signal on once it has shut down)."""
    with local_server("--tokens", str(_tokens(tmp_path))) as running:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        response = httpx.post(running.url + "/v1/decisions", json=_record(CASES[0]), headers=auth)
        assert response.status_code == 200
        running.process.send_signal(stop)
        assert running.process.wait(timeout=60) == 0
