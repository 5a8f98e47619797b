"""Soak of the HTTP service: 100,000 decisions through the real server, with its decision log.

Starts ``transport-policy serve --workers 2 --log FILE`` on a free 127.0.0.1 port and sends
``POST /v1/decisions`` over ``--clients`` keep-alive connections until ``--n`` responses have come
back (or ``--max-seconds`` have passed: it stops by itself), cycling through ``--corpus``
generated records. The resident set size of each server process (supervisor and workers) is
sampled every ``--every`` responses. At the end, after the server has stopped:

- every response was 200;
- the log verifies (``audit verify``) and holds exactly the decisions returned: as many entries
  as responses, and the same decisions (as multisets of the decisions' canonical JSON);
- RSS after the warm-up (``--warmup`` responses) grows by no more than ``--bound-mb`` in any
  process.

The client is a small asyncio one on raw sockets (not wrk) because it must know exactly which
requests were answered: every request it sends, it reads the answer to before stopping.

    python benchmarks/soak_service.py                   # 100,000 requests; a few minutes
    python benchmarks/soak_service.py --n 20000 --warmup 5000 --every 2000
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import corpus
from soak import slope

from transport_policy.audit.log import read_lines
from transport_policy.audit.verify import verify
from transport_policy.digest import canonical_json
from transport_policy.service.local import local_server

TOKEN = "soak-token"


class Load:
    """The shared state of the client connections: what to send next, what came back."""

    def __init__(self, bodies: list[bytes], n: int, seconds: float) -> None:
        self.bodies, self.n = bodies, n
        self.deadline = time.monotonic() + seconds
        self.sent = 0
        self.answered: Counter[bytes] = Counter()
        """The SHA-256 of the canonical JSON of each decision returned (status 200)."""
        self.failed = 0

    def more(self) -> bool:
        """Whether more requests are to be sent (the count and the time allow)."""
        return self.sent < self.n and time.monotonic() < self.deadline

    def next_body(self) -> bytes | None:
        if not self.more():
            return None
        self.sent += 1
        return self.bodies[(self.sent - 1) % len(self.bodies)]

    @property
    def done(self) -> int:
        return sum(self.answered.values()) + self.failed


async def _connection(port: int, load: Load) -> None:
    """One keep-alive client: sends a request, reads its whole answer, and again."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        "POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: "
    ).encode()
    try:
        while (body := load.next_body()) is not None:
            writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            answer = await reader.readexactly(length)
            if status.split()[1:2] == [b"200"]:
                load.answered[_digest(json.loads(answer))] += 1
            else:
                load.failed += 1
    finally:
        writer.close()


async def _sampler(load: Load, root: int, every: int, samples: list[dict[str, Any]]) -> None:
    """RSS of every server process each ``every`` responses (and once at the end)."""
    start, mark = time.monotonic(), 0
    while load.done < load.sent or load.more():
        if load.done >= mark + every:
            mark = load.done - load.done % every
            samples.append(_sample(load.done, time.monotonic() - start, root))
        await asyncio.sleep(0.05)
    samples.append(_sample(load.done, time.monotonic() - start, root))


def _sample(done: int, seconds: float, root: int) -> dict[str, Any]:
    family = corpus.process_family(root)
    rss = {_role(pid, root): corpus.status_kb(pid, "VmRSS") for pid in family}
    return {"responses": done, "seconds": round(seconds, 1), "rss_kb": rss}


def _role(pid: int, root: int) -> str:
    """``supervisor``, ``worker`` or ``helper`` (multiprocessing's resource tracker), and pid."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        command = b""
    role = "supervisor" if pid == root else "helper" if b"resource_tracker" in command else "worker"
    return f"{role} {pid}"


async def drive(port: int, root: int, load: Load, clients: int, every: int) -> list[dict[str, Any]]:
    samples: list[dict[str, Any]] = []
    sampler = asyncio.create_task(_sampler(load, root, every, samples))
    await asyncio.gather(*(_connection(port, load) for _ in range(clients)))
    await sampler
    return samples


def _digest(decision: object) -> bytes:
    """A decision's identity, whatever the order of its keys (the log's form is canonical)."""
    return hashlib.sha256(canonical_json(decision)).digest()


def logged_decisions(log: Path) -> Counter[bytes]:
    """The identity (:func:`_digest`) of each logged decision."""
    return Counter(_digest(json.loads(line)["decision"]) for _, line, _ in read_lines(log))


def growth(samples: list[dict[str, Any]], warmup: int) -> dict[str, dict[str, float]]:
    """Per process: RSS at the baseline (first sample after the warm-up) and at the end, the
    growth and the trend (MB per 100,000 responses), in MB."""
    after = [s for s in samples if s["responses"] >= warmup] or samples[-1:]
    out = {}
    for pid in after[0]["rss_kb"]:
        points = [(s["responses"], s["rss_kb"].get(pid, 0) / 1024) for s in after]
        out[pid] = {
            "baseline_mb": round(points[0][1], 1),
            "end_mb": round(points[-1][1], 1),
            "growth_mb": round(points[-1][1] - points[0][1], 1),
            "trend_mb_per_100k": round(slope(points) * 100_000, 2),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="requests (default 100,000)")
    parser.add_argument("--max-seconds", type=float, default=1200.0, help="stop after this")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--corpus", type=int, default=5000, help="distinct records")
    parser.add_argument("--every", type=int, default=5000, help="responses between samples")
    parser.add_argument("--warmup", type=int, default=20_000, help="responses before baseline")
    parser.add_argument("--bound-mb", type=float, default=10.0, help="per process, after warm-up")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    info = corpus.machine()
    corpus.print_machine(info)
    bodies = [json.dumps(r).encode() for r in corpus.generate(args.corpus)]
    token = hashlib.sha256(TOKEN.encode()).hexdigest() + " decide"
    env = {**os.environ, "TRANSPORT_POLICY_TOKENS": token}
    load = Load(bodies, args.n, args.max_seconds)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "decisions.log"
        serve = ("--workers", str(args.workers), "--log", str(log))
        with local_server(*serve, env=env) as server:
            started = time.monotonic()
            samples = asyncio.run(
                drive(server.port, server.process.pid, load, args.clients, args.every)
            )
            elapsed = time.monotonic() - started
            stopped = server.stop()
        report = verify(log)
        same = logged_decisions(log) == load.answered
    returned = sum(load.answered.values())
    memory = growth(samples, args.warmup)
    ok = (
        stopped == 0
        and load.failed == 0
        and returned == args.n
        and report.ok
        and report.entries == returned
        and same
        and all(p["growth_mb"] <= args.bound_mb for p in memory.values())
    )
    _report(args, samples, memory, returned, load.failed, elapsed, report.ok, report.entries, same)
    print("PASS" if ok else "FAIL")
    if not args.no_write:
        data = {
            "machine": info,
            "requests": args.n,
            "returned": returned,
            "failed": load.failed,
            "seconds": round(elapsed, 1),
            "log": {"ok": report.ok, "entries": report.entries, "same_decisions": same},
            "samples": samples,
            "memory": memory,
            "passed": ok,
        }
        print(corpus.write_results("soak-service", data), file=sys.stderr)
    return 0 if ok else 1


def _report(
    args: argparse.Namespace,
    samples: list[dict[str, Any]],
    memory: dict[str, dict[str, float]],
    returned: int,
    failed: int,
    elapsed: float,
    log_ok: bool,
    entries: int,
    same: bool,
) -> None:
    pids = list(samples[-1]["rss_kb"])
    print(f"{'responses':>10} {'seconds':>8} " + " ".join(f"{p:>17}" for p in pids))
    for s in samples:
        rss = " ".join(f"{s['rss_kb'].get(p, 0) / 1024:>14.1f} MB" for p in pids)
        print(f"{s['responses']:>10,} {s['seconds']:>8.1f} {rss}")
    print(
        f"{returned:,} decisions returned ({failed} other answers) in {elapsed:.0f} s "
        f"({returned / elapsed:,.0f}/s) by {args.workers} workers to {args.clients} clients"
    )
    for pid, figures in memory.items():
        print(
            f"{pid}: RSS {figures['baseline_mb']} MB after {args.warmup:,} responses, "
            f"{figures['end_mb']} MB at the end ({figures['growth_mb']:+.1f} MB; trend "
            f"{figures['trend_mb_per_100k']:+.2f} MB per 100,000; bound {args.bound_mb} MB)"
        )
    print(
        f"decision log: {'intact' if log_ok else 'BROKEN'}, {entries:,} entries; "
        f"{'the same decisions as returned' if same else 'NOT the decisions returned'}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
