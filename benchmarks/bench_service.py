"""The HTTP service under load, on 127.0.0.1 only, bounded in requests and time.

Starts ``transport-policy serve`` (``--workers``, default 2) on a free loopback port, then sends
``POST /v1/decisions`` from 1, 8 and 64 concurrent clients (each level: a fixed number of requests,
stopped early at ``--max-seconds``) and reports throughput and p50/p99 latency; in the same run it
measures in-process ``decide()`` on the same records, and reports the service's throughput as a
ratio of ``workers`` times in-process. With ``--log`` the service appends to a decision log,
which is verified at the end (entries = 200 responses). Results go to ``results/`` as JSON.

    python benchmarks/bench_service.py                       # 4,000 requests per level
    python benchmarks/bench_service.py --requests 20000 --log
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from corpus import generate, machine, print_machine, validate, write_results

from transport_policy import decide
from transport_policy.audit.verify import verify

TOKEN = "benchmark-token"
LEVELS = (1, 8, 64)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def in_process(records: list[dict[str, Any]], seconds: float) -> float:
    """Decisions per second of ``decide()`` in this process, over the same records."""
    validated = validate(records)
    for record in validated[:200]:
        decide(record)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        decide(validated[done % len(validated)])
        done += 1
    return done / (time.perf_counter() - start)


async def _connection(
    host: str, port: int, bodies: list[bytes], state: dict[str, Any], latencies: list[float]
) -> None:
    """One keep-alive HTTP/1.1 client on a raw socket (a full HTTP client library costs more
    CPU per request than the service does, and would be measured instead of it)."""
    reader, writer = await asyncio.open_connection(host, port)
    head = (
        f"POST /v1/decisions HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}"
        "\r\nContent-Type: application/json\r\nContent-Length: "
    ).encode()
    try:
        while state["next"] < state["requests"] and time.perf_counter() < state["deadline"]:
            body = bodies[state["next"] % len(bodies)]
            state["next"] += 1
            sent = time.perf_counter()
            writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - sent)
            state["errors"] += b" 200 " not in status_line
    finally:
        writer.close()


async def load(
    url: str, bodies: list[bytes], clients: int, requests: int, max_seconds: float
) -> dict[str, Any]:
    host, port = url.removeprefix("http://").split(":")
    latencies: list[float] = []
    state: dict[str, Any] = {
        "next": 0,
        "requests": requests,
        "errors": 0,
        "deadline": time.perf_counter() + max_seconds,
    }
    start = time.perf_counter()
    await asyncio.gather(
        *(_connection(host, int(port), bodies, state, latencies) for _ in range(clients))
    )
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": state["errors"],
        "seconds": round(elapsed, 3),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 2),
    }


def start_server(workers: int, log: Path | None) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "TRANSPORT_POLICY_TOKENS": hashlib.sha256(TOKEN.encode()).hexdigest() + " decide",
    }
    args = [
        sys.executable,
        "-c",
        "from transport_policy.cli import run; run()",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    if log is not None:
        args += ["--log", str(log)]
    proc = subprocess.Popen(args, env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the service did not start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=4000, help="requests per level")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="per level, at most")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--log", action="store_true", help="serve with --log and verify it")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    info = machine()
    print_machine(info)
    records = generate(args.records)
    bodies = [json.dumps(r).encode() for r in records]
    baseline = in_process(records, 5.0)
    print(
        f"in-process decide(): {baseline:,.0f}/s; x{args.workers} = "
        f"{baseline * args.workers:,.0f}/s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "decisions.log" if args.log else None
        proc, url = start_server(args.workers, log)
        try:
            asyncio.run(load(url, bodies, 8, 500, 10))  # warm up every worker
            levels = [
                asyncio.run(load(url, bodies, c, args.requests, args.max_seconds)) for c in LEVELS
            ]
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        for level in levels:
            level["ratio_to_in_process"] = round(level["per_second"] / (baseline * args.workers), 3)
            print(
                f"{level['clients']:>3} clients: {level['per_second']:>8,.1f}/s  "
                f"p50 {level['p50_ms']:.2f} ms  p99 {level['p99_ms']:.2f} ms  "
                f"ratio {level['ratio_to_in_process']:.2f}  errors {level['errors']}"
            )
        logged = None
        if log is not None:
            report = verify(log)
            logged = {"ok": report.ok, "entries": report.entries}
            print(f"decision log: {'intact' if report.ok else 'BROKEN'}, {report.entries} entries")
    if not args.no_write:
        print(
            write_results(
                "service",
                {
                    "machine": info,
                    "in_process_per_second": baseline,
                    "workers": args.workers,
                    "levels": levels,
                    "log": logged,
                },
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
