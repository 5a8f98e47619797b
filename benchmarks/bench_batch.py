"""Throughput and memory of ``transport-policy batch`` on generated records.

Writes ``--n`` records from the seeded corpus (:mod:`corpus`) to a JSON Lines file (not timed),
then runs ``transport-policy batch RECORDS --output DECISIONS`` in a fresh process and reports:

* records per second, over the whole run (start-up of the process and its workers included);
* peak resident memory (``VmHWM``) of the batch process and of each worker, sampled from
  ``/proc`` while it runs;
* CPU time per record in the batch process (reading, writing, logging) and in the workers
  (deciding): unlike records per second, these hardly depend on what else the machine is doing.

Memory should not grow with the number of records: compare the peaks of two sizes with
``--sizes 20000 100000`` (the default). ``--log`` also appends every decision to a decision log
(full records), ``--jobs`` sets the worker processes (default: one per core), ``--rules`` a rules
folder other than the bundled one. Results go to ``results/`` as JSON (``--no-write`` skips it).

    python benchmarks/bench_batch.py
    python benchmarks/bench_batch.py --sizes 100000 --log
    python benchmarks/bench_batch.py --sizes 2000 --no-write
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import corpus

BATCH = (
    "import sys; from transport_policy.cli.batch import batch_command; "
    "batch_command.main(sys.argv[1:], prog_name='transport-policy batch')"
)


def write_records(path: Path, n: int, seed: int) -> None:
    """``n`` corpus records as JSON Lines, generated one at a time (memory stays flat)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps(corpus.record(rng, i)) + "\n")


def _hwm_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time a process has used so far."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                out.extend(int(c) for c in handle.read().split())
    except OSError:
        pass
    return out


class Monitor(threading.Thread):
    """Samples the peak RSS and the CPU time of a process and its children until stopped."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peaks: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for pid in [self.pid, *_children(self.pid)]:
                hwm, cpu = _hwm_kib(pid), _cpu_seconds(pid)
                if hwm is not None:
                    self.peaks[pid] = max(self.peaks.get(pid, 0), hwm)
                if cpu is not None:
                    self.cpu[pid] = max(self.cpu.get(pid, 0.0), cpu)
            self.done.wait(self.interval)

    def parent_mib(self) -> float:
        return self.peaks.get(self.pid, 0) / 1024

    def workers_mib(self) -> list[float]:
        return [v / 1024 for k, v in sorted(self.peaks.items()) if k != self.pid]


def run_batch(
    records: Path, out_dir: Path, n: int, jobs: int | None, log: bool, rules: Path | None = None
) -> dict[str, Any]:
    decisions = out_dir / f"decisions-{n}.jsonl"
    args = [sys.executable, "-c", BATCH, str(records), "--output", str(decisions), "--no-progress"]
    if jobs:
        args += ["--jobs", str(jobs)]
    if rules:
        args += ["--rules", str(rules)]
    if log:
        args += ["--log", str(out_dir / f"decisions-{n}.log")]
    started = time.perf_counter()
    process = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    monitor = Monitor(process.pid)
    monitor.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    monitor.done.set()
    monitor.join()
    with decisions.open("rb") as handle:
        lines = sum(1 for _ in handle)
    if process.returncode != 0 or lines != n:
        raise SystemExit(f"batch failed (exit {process.returncode}, {lines} lines):\n{stderr}")
    return {
        "records": n,
        "jobs": jobs or len(os.sched_getaffinity(0)),
        "log": log,
        "seconds": round(seconds, 2),
        "records_per_second": round(n / seconds),
        "peak_parent_mib": round(monitor.parent_mib(), 1),
        "peak_worker_mib": [round(m, 1) for m in monitor.workers_mib()],
        # CPU time per record, as last sampled (a worker's last 0.1 s may be missed):
        # these do not depend on what else the machine is doing, unlike records/s.
        "cpu_us_per_record_parent": round(monitor.cpu.get(process.pid, 0.0) / n * 1e6),
        "cpu_us_per_record_workers": round(
            sum(v for k, v in monitor.cpu.items() if k != process.pid) / n * 1e6
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[20_000, 100_000],
        help="numbers of records to run (default 20000 100000)",
    )
    parser.add_argument("--jobs", type=int, default=None, help="worker processes")
    parser.add_argument("--log", action="store_true", help="also append to a decision log")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--rules", type=Path, help="rules folder (default: the bundled rules)")
    parser.add_argument("--no-write", action="store_true", help="do not write results/*.json")
    args = parser.parse_args(argv)

    info = corpus.machine()
    corpus.print_machine(info)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        for n in args.sizes:
            records = Path(tmp) / f"records-{n}.jsonl"
            write_records(records, n, args.seed)
            result = run_batch(records, Path(tmp), n, args.jobs, args.log, args.rules)
            runs.append(result)
            workers = ", ".join(f"{m:.0f}" for m in result["peak_worker_mib"])
            print(
                f"{n:>7} records, {result['jobs']} jobs{', logged' if args.log else ''}: "
                f"{result['seconds']:7.1f} s  {result['records_per_second']:>6} records/s  "
                f"peak memory: batch process {result['peak_parent_mib']:.0f} MiB"
                + (f", workers {workers} MiB" if workers else "")
                + f"; CPU per record: batch process {result['cpu_us_per_record_parent']} µs"
                + (f", workers {result['cpu_us_per_record_workers']} µs" if workers else "")
            )
    if not args.no_write:
        path = corpus.write_results("batch", {"machine": info, "runs": runs})
        print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
