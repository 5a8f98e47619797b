"""The HTTP service under load, on 127.0.0.1 only, bounded in requests and time.

Starts ``transport-policy serve`` (``--workers``, default 2) on a free loopback port and loads
``POST /v1/decisions`` with ``wrk`` (Debian's ``wrk``: C and epoll, so the load generator takes
little of the CPU it shares with the workers; ``wrk_post.lua`` cycles through the corpus's
records) from 1, 8 and 64 keep-alive connections. Each level runs for ``--seconds`` or
``--requests`` responses, whichever comes first. Every round also measures in-process
``decide()`` over the same records, alone and as ``workers`` copies running at once, so that
each round gives the service's throughput as a ratio of ``workers`` times in-process (and of
the copies at once) on a machine whose load may change from one minute to the next. With
``--log`` the service appends to a decision log, verified at the end. Results go to
``results/`` as JSON.

    python benchmarks/bench_service.py                 # 3 rounds of 5 s per level
    python benchmarks/bench_service.py --rounds 5 --log
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from corpus import (
    cpu_seconds,
    generate,
    machine,
    print_machine,
    process_family,
    validate,
    write_results,
)

from transport_policy import AssessmentRecord, decide
from transport_policy.audit.verify import verify
from transport_policy.service.local import LocalServer, local_server

TOKEN = "benchmark-token"
LEVELS = (1, 8, 64)
SCRIPT = Path(__file__).resolve().parent / "wrk_post.lua"


def in_process(records: list[AssessmentRecord], seconds: float) -> float:
    """Decisions per second of ``decide()`` in this process, over the same records."""
    return _decide_for(records, seconds)[0]


def _decide_for(records: list[AssessmentRecord], seconds: float) -> tuple[float, float]:
    """Decisions per second, and CPU microseconds per decision."""
    for record in records[:200]:  # compiled and warm (a forked child starts with no engine)
        decide(record)
    done, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        decide(records[done % len(records)])
        done += 1
    return done / (time.perf_counter() - start), (time.process_time() - cpu) * 1e6 / done


def family_cpu(root: int) -> float:
    """CPU seconds used so far by a server: its supervisor and its workers."""
    return sum(cpu_seconds(pid) for pid in process_family(root))


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def in_parallel(records: list[AssessmentRecord], seconds: float, processes: int) -> float:
    """Decisions per second of ``processes`` forked copies of :func:`in_process` running at
    once: what the machine's cores really give together (two virtual cores need not give twice
    one core)."""
    _FORKED[:] = records  # inherited by the forked children (the models do not pickle)
    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        rates = pool.map(_forked, [seconds] * processes)
    return sum(rates)


_FORKED: list[AssessmentRecord] = []


def _forked(seconds: float) -> float:
    return in_process(_FORKED, seconds)


def wrk_command(url: str, bodies: Path, clients: int, seconds: float, requests: int) -> list[str]:
    """The ``wrk`` command line for one level (one thread; the ``-d`` duration and the script's
    response limit bound it)."""
    return [
        "wrk",
        "-t1",
        f"-c{clients}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(SCRIPT),
        url,
        "--",
        str(bodies),
        TOKEN,
        str(requests),
    ]


def load(
    server: LocalServer, bodies: Path, clients: int, seconds: float, requests: int
) -> dict[str, Any]:
    """One level: wrk's RESULT line, with the rate and latencies in the report's units, and the
    CPU time per response of the server's processes and of wrk."""
    command = wrk_command(server.url, bodies, clients, seconds, requests)
    server_cpu, wrk_cpu = family_cpu(server.process.pid), children_cpu()
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    server_cpu, wrk_cpu = family_cpu(server.process.pid) - server_cpu, children_cpu() - wrk_cpu
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    found = json.loads(line.removeprefix("RESULT "))
    return {
        "clients": clients,
        "responses": found["responses"],
        "errors": found["socket_errors"] + found["non_2xx"],
        "seconds": round(found["seconds"], 3),
        "per_second": round(found["responses"] / found["seconds"], 1),
        "p50_ms": found["p50_us"] / 1000,
        "p99_ms": found["p99_us"] / 1000,
        "server_cpu_us": round(server_cpu * 1e6 / max(1, found["responses"]), 1),
        "wrk_cpu_us": round(wrk_cpu * 1e6 / max(1, found["responses"]), 1),
    }


def summarise(rounds: list[dict[str, Any]], workers: int) -> list[dict[str, Any]]:
    """Per level: the median rate and ratios over the rounds, the median p50 and the worst
    p99."""
    out = []
    for clients in LEVELS:
        runs = [r["levels"][str(clients)] for r in rounds if str(clients) in r["levels"]]
        if not runs:
            continue
        ratios = [
            run["per_second"] / (workers * r["in_process_per_second"])
            for run, r in zip(runs, rounds, strict=True)
        ]
        at_once = [
            run["per_second"] / r["in_parallel_per_second"]
            for run, r in zip(runs, rounds, strict=True)
        ]
        cpu = [
            r["in_process_cpu_us"] / (run["server_cpu_us"] + run["wrk_cpu_us"])
            for run, r in zip(runs, rounds, strict=True)
        ]
        out.append(
            {
                "clients": clients,
                "per_second": round(statistics.median(r["per_second"] for r in runs), 1),
                "ratio": round(statistics.median(ratios), 3),
                "ratios": [round(x, 3) for x in ratios],
                "ratio_to_parallel": round(statistics.median(at_once), 3),
                "cpu_ratio": round(statistics.median(cpu), 3),
                "server_cpu_us": round(statistics.median(r["server_cpu_us"] for r in runs), 1),
                "wrk_cpu_us": round(statistics.median(r["wrk_cpu_us"] for r in runs), 1),
                "p50_ms": round(statistics.median(r["p50_ms"] for r in runs), 2),
                "p99_ms": round(max(r["p99_ms"] for r in runs), 2),
                "errors": sum(r["errors"] for r in runs),
                "responses": sum(r["responses"] for r in runs),
            }
        )
    return out


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    records = generate(args.records)
    validated = validate(records)
    bodies = tmp / "bodies.ndjson"
    bodies.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    env = {**os.environ, "TRANSPORT_POLICY_TOKENS": _token_line()}
    log = tmp / "decisions.log" if args.log else None
    serve = ["--workers", str(args.workers), *(["--log", str(log)] if log else [])]
    rounds: list[dict[str, Any]] = []
    with local_server(*serve, env=env) as server:
        load(server, bodies, 8, 2, 4000)  # warm up every worker
        for number in range(1, args.rounds + 1):
            baseline, cpu_us = _decide_for(validated, args.seconds)
            parallel = in_parallel(validated, args.seconds, args.workers)
            levels = {str(c): load(server, bodies, c, args.seconds, args.requests) for c in LEVELS}
            rounds.append(
                {
                    "in_process_per_second": round(baseline, 1),
                    "in_process_cpu_us": round(cpu_us, 1),
                    "in_parallel_per_second": round(parallel, 1),
                    "levels": levels,
                }
            )
            _print_round(number, rounds[-1], args.workers)
    logged = None
    if log is not None:
        report = verify(log)
        logged = {"ok": report.ok, "entries": report.entries}
    return {"rounds": rounds, "summary": summarise(rounds, args.workers), "log": logged}


def _token_line() -> str:
    return hashlib.sha256(TOKEN.encode()).hexdigest() + " decide"


def _print_round(number: int, found: dict[str, Any], workers: int) -> None:
    single, parallel = found["in_process_per_second"], found["in_parallel_per_second"]
    print(
        f"round {number}: in-process decide() {single:,.0f}/s (x{workers}: "
        f"{single * workers:,.0f}/s); {workers} processes at once: {parallel:,.0f}/s; "
        f"{found['in_process_cpu_us']:.0f} us CPU per decision"
    )
    for level in found["levels"].values():
        rate = level["per_second"]
        print(
            f"  {level['clients']:>3} clients: {rate:>8,.1f}/s  p50 {level['p50_ms']:6.2f} ms  "
            f"p99 {level['p99_ms']:6.2f} ms  ratio {rate / (single * workers):.2f} "
            f"(to {workers} at once: {rate / parallel:.2f})  errors {level['errors']}  "
            f"CPU per request: server {level['server_cpu_us']:.0f} us, wrk "
            f"{level['wrk_cpu_us']:.0f} us"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per level and round")
    parser.add_argument("--requests", type=int, default=50_000, help="per level and round, at most")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--log", action="store_true", help="serve with --log and verify it")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("bench_service.py needs wrk: apt-get install wrk")
    info = machine()
    print_machine(info)
    print("load: " + " ".join(wrk_command("URL", Path("BODIES"), 8, args.seconds, args.requests)))
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args, Path(tmp))
    print(f"summary over {args.rounds} rounds (median rate and ratio, median p50, worst p99):")
    for level in result["summary"]:
        print(
            f"  {level['clients']:>3} clients: {level['per_second']:>8,.1f}/s  "
            f"ratio {level['ratio']:.2f} {level['ratios']} (to {args.workers} at once: "
            f"{level['ratio_to_parallel']:.2f}; CPU {level['cpu_ratio']:.2f})  "
            f"p50 {level['p50_ms']:.2f} ms  "
            f"p99 {level['p99_ms']:.2f} ms  errors {level['errors']}"
        )
    if result["log"] is not None:
        entries, ok = result["log"]["entries"], result["log"]["ok"]
        print(f"decision log: {'intact' if ok else 'BROKEN'}, {entries} entries")
    if not args.no_write:
        data = {"machine": info, "workers": args.workers, "seconds": args.seconds, **result}
        print(write_results("service", data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
