"""The request time limit on the real server (127.0.0.1, one worker): a request over it gets a
problem (503, or 408 for a body not sent in time), a batch that runs out of time gives its
remaining records an error in place, and the worker carries on serving. Nothing a request sent
appears in a response or in the server's own log."""

from __future__ import annotations

import hashlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from transport_policy import load_case
from transport_policy.audit.verify import verify
from transport_policy.service.local import LocalServer, local_server

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.yaml"))[:6]
TOKEN = "limits-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LIMIT = 0.1
"""Seconds: reading a few MiB on loopback takes a few ms; reading two million NDJSON lines takes
many times this."""
BATCH_LIMIT, BATCH = 1.0, 20_000
"""Parsing 20,000 records takes about a fifth of this limit on a quiet machine; deciding them
takes four times it or more."""
SECRET = "secret-value-4711"


def _records(n: int) -> list[dict[str, object]]:
    base = [load_case(p)[0].model_dump(mode="json", exclude_none=True) for p in CASES]
    return [{**base[i % len(base)], "case_id": f"LIMIT-{i}"} for i in range(n)]


def _serve(tmp: Path, limit: float) -> Iterator[tuple[LocalServer, Path, Path]]:
    (tmp / "tokens").write_text(f"{hashlib.sha256(TOKEN.encode()).hexdigest()} decide\n")
    log, stderr = tmp / "decisions.log", tmp / "server.err"
    args = ("--workers", "1", "--tokens", str(tmp / "tokens"), "--log", str(log))
    limits = ("--request-timeout", str(limit), "--max-body", str(64 * 1024 * 1024))
    with open(stderr, "wb") as err, local_server(*args, *limits, stderr=err) as running:
        yield running, log, stderr


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalServer, Path, Path]]:
    yield from _serve(tmp_path_factory.mktemp("limits"), LIMIT)


@pytest.fixture(scope="module")
def batch_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LocalServer, Path, Path]]:
    yield from _serve(tmp_path_factory.mktemp("batch-limit"), BATCH_LIMIT)


def _healthy(url: str) -> None:
    """The worker still decides: a normal request right after."""
    assert httpx.get(url + "/healthz").status_code == 200
    response = httpx.post(url + "/v1/decisions", json=_records(1)[0], headers=AUTH)
    assert response.status_code == 200 and response.json()["case_id"] == "LIMIT-0"


def test_a_request_over_the_time_limit_is_a_503_problem_and_the_worker_carries_on(
    server: tuple[LocalServer, Path, Path],
) -> None:
    running, _, _ = server
    body = b"{}\n" * 2_000_000  # 6 MB: received in a few ms, but two million records
    headers = {**AUTH, "Content-Type": "application/x-ndjson"}
    started = time.monotonic()
    response = httpx.post(
        running.url + "/v1/decisions:batch", content=body, headers=headers, timeout=60
    )
    took = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 503 and "time limit" in problem["detail"]
    assert took < 10, "the request was refused only after all of it was read"
    _healthy(running.url)


def test_a_batch_that_runs_out_of_time_gives_the_rest_an_error_in_place(
    batch_server: tuple[LocalServer, Path, Path],
) -> None:
    running, log, _ = batch_server
    before = verify(log).entries
    records = _records(BATCH)
    body = "\n".join(json.dumps(r) for r in records)
    headers = {**AUTH, "Content-Type": "application/x-ndjson"}
    response = httpx.post(
        running.url + "/v1/decisions:batch", content=body, headers=headers, timeout=60
    )
    assert response.status_code == 200
    lines = [json.loads(x) for x in response.text.splitlines()]
    assert len(lines) == len(records)
    decided = [x for x in lines if "outcome" in x]
    late = [x for x in lines if "outcome" not in x]
    assert decided and late, f"{BATCH:,} decisions should not fit in {BATCH_LIMIT} s, nor none"
    assert [x["case_id"] for x in decided] == [r["case_id"] for r in records[: len(decided)]]
    assert all(x["errors"][0]["field"] == "(request)" for x in late)
    assert [x["index"] for x in late] == list(range(len(decided) + 1, len(records) + 1))
    report = verify(log)
    assert report.ok and report.entries == before + len(decided)
    _healthy(running.url)


def test_a_body_not_sent_in_time_is_a_408_problem(
    server: tuple[LocalServer, Path, Path],
) -> None:
    running, _, _ = server
    with socket.create_connection(("127.0.0.1", running.port), timeout=30) as sock:
        sock.sendall(
            b"POST /v1/decisions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + TOKEN.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408")
    assert b"content-type: application/problem+json" in head.lower()
    assert json.loads(body)["status"] == 408
    _healthy(running.url)


def test_no_input_value_reaches_a_response_or_the_server_log(
    server: tuple[LocalServer, Path, Path],
) -> None:
    running, _, stderr = server
    record = _records(1)[0]
    person = record["person"]
    assert isinstance(person, dict)
    bad = {**record, "person": {**person, "age": SECRET}, "not_a_field": SECRET}
    for path in ("/v1/decisions", "/v1/questions"):
        response = httpx.post(running.url + path, json=bad, headers=AUTH)
        assert response.status_code == 422 and SECRET not in response.text
    batch = httpx.post(running.url + "/v1/decisions:batch", json=[bad], headers=AUTH)
    assert batch.status_code == 200 and SECRET not in batch.text
    wrong = httpx.post(running.url + f"/v1/decisions?policy={SECRET}", json=record, headers=AUTH)
    assert wrong.status_code == 404 and SECRET not in wrong.text
    garbage = httpx.post(running.url + "/v1/decisions", content=SECRET.encode(), headers=AUTH)
    assert garbage.status_code == 400 and SECRET not in garbage.text
    _healthy(running.url)
    assert SECRET not in stderr.read_text(errors="replace")
