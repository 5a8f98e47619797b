"""Impact analysis at scale on Dask, the workers' memory allocator, and impact's memory.

Three measurements, each reported on its own (``--only`` picks one):

* ``malloc``: CPU time per ``decide()`` inside Dask workers, as a ratio to a plain process on the
  same records, in one interleaved run: workers as Dask's nanny starts them by default
  (``MALLOC_TRIM_THRESHOLD_`` set), workers of ``--engine dask``'s local cluster, and default
  workers after the engine's worker plugin has set the allocator's thresholds (as on an existing
  cluster). Normal speed is a ratio near 1.
* ``scale``: ``transport-policy impact --engine dask`` on ``--n`` generated records (default one
  million) in a fresh process: wall time, records per second, peak memory (VmHWM) of the command
  and of each Dask worker, and each worker's resident memory at each tenth of the run (flat
  when it does not grow with the records), with the machine's load average; and the projection
  to ``--project`` decisions on N workers.
* ``memory``: the command's peak memory at two sizes (``--memory-sizes``), here and, with
  ``--before-python``, in another checkout (an earlier commit), and so its growth per changed
  case. The comparison is the illustrative draft's overlay with two more changed rules (written
  to a temporary folder), so that many cases change.

    python benchmarks/bench_dask.py --only malloc
    python benchmarks/bench_dask.py --only scale --n 1000000
    python benchmarks/bench_dask.py --only memory --before-python ../old/.venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import corpus
import yaml
from bench_batch import _cpu_seconds, _hwm_kib, write_records

ROOT = Path(__file__).resolve().parents[1]
DRAFT = ROOT / "docs" / "examples" / "draft-2027"
IMPACT = "from transport_policy.cli import run; run()"
TIMED = 1500


def time_decisions(path: str, n: int = TIMED) -> float:
    """CPU µs per ``decide()`` over ``n`` records of a JSON Lines file, after a warm-up."""
    from transport_policy.api import decide

    with open(path, encoding="utf-8") as handle:
        records = [json.loads(line) for _, line in zip(range(n), handle, strict=False)]
    for record in records[:200]:
        decide(record)
    started = time.process_time()
    for record in records:
        decide(record)
    return (time.process_time() - started) / len(records) * 1e6


def _plain(path: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    code = f"import bench_dask; print(bench_dask.time_decisions({path!r}))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=Path(__file__).parent,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(done.stdout)


def _on_workers(path: str, kind: str) -> list[float]:
    """µs per decision in each worker of a 2-worker cluster of the given kind."""
    from distributed import Client, LocalCluster

    from transport_policy.batch import cluster

    environ = dict(os.environ)  # Dask's nanny writes its variables into this process too
    try:
        if kind == "engine":
            context = cluster.connect(2, None)
            client = context.__enter__()
        else:
            local = LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
                silence_logs=logging.ERROR,
            )
            client = Client(local)
        try:
            if kind != "dask-defaults":
                client.register_plugin(cluster.EnginePlugin(((None, None),)))
            client.run(sys.path.insert, 0, str(Path(__file__).parent))
            return sorted(client.run(time_decisions, path).values())
        finally:
            if kind == "engine":
                context.__exit__(None, None, None)
            else:
                client.close()
                local.close()
    finally:
        os.environ.clear()
        os.environ.update(environ)


def bench_malloc(workdir: Path, rounds: int) -> dict[str, Any]:
    records = workdir / "malloc.jsonl"
    write_records(records, TIMED, 2021)
    kinds = ("plain process", "dask-defaults", "engine", "dask-defaults+plugin")
    times: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(rounds):  # interleaved, so that a busy spell does not fall on one kind
        for kind in kinds:
            if kind == "plain process":
                times[kind].append(_plain(str(records)))
            else:
                times[kind].extend(_on_workers(str(records), kind))
    base = min(times["plain process"])
    out = {
        k: {"us_best": round(min(v), 1), "ratio_to_plain": round(min(v) / base, 2)}
        for k, v in times.items()
    }
    for kind, row in out.items():
        print(
            f"  {kind:22} {row['us_best']:7.1f} µs per decision, ratio {row['ratio_to_plain']:.2f}"
        )
    return out


def _descendants(pid: int) -> list[int]:
    out, stack = [], [pid]
    while stack:
        parent = stack.pop()
        try:
            for task in os.listdir(f"/proc/{parent}/task"):
                with open(f"/proc/{parent}/task/{task}/children", encoding="ascii") as handle:
                    kids = [int(c) for c in handle.read().split()]
                out.extend(kids)
                stack.extend(kids)
        except OSError:
            continue
    return out


def _rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _is_worker(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"multiprocessing" in handle.read()
    except OSError:
        return False


class Watch(threading.Thread):
    """Peak and current memory, and CPU time, of a process and every process below it."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peaks: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        self.samples: list[tuple[float, dict[int, int]]] = []
        self.loads: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        started = time.perf_counter()
        while not self.done.is_set():
            now: dict[int, int] = {}
            for pid in [self.pid, *_descendants(self.pid)]:
                hwm, rss, cpu = _hwm_kib(pid), _rss_kib(pid), _cpu_seconds(pid)
                if hwm is not None and rss is not None:
                    self.peaks[pid] = max(self.peaks.get(pid, 0), hwm)
                    now[pid] = rss
                if cpu is not None:
                    self.cpu[pid] = max(self.cpu.get(pid, 0.0), cpu)
            self.samples.append((time.perf_counter() - started, now))
            self.loads.append(os.getloadavg()[0])
            self.done.wait(self.interval)

    def workers(self) -> list[int]:
        return sorted(p for p in self.peaks if p != self.pid and self.cpu.get(p, 0) > 1)


def run_impact(
    records: Path, out: Path, args: list[str], python: str = sys.executable
) -> dict[str, Any]:
    command = [
        python,
        "-c",
        IMPACT,
        "impact",
        str(records),
        "--from",
        "2021-01",
        "--to",
        "draft-2027",
    ]
    command += [
        "--to-rules",
        str(DRAFT),
        "--format",
        "json",
        "--output",
        str(out),
        *args,
    ]
    if python == sys.executable:  # an earlier checkout may not have the option
        command.append("--no-progress")
    started = time.perf_counter()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    watch = Watch(process.pid)
    watch.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    watch.done.set()
    watch.join()
    if process.returncode not in (0, 1):
        raise SystemExit(f"impact failed ({process.returncode}):\n{stderr}")
    with out.open(encoding="utf-8") as handle:  # the head of the report: the counts
        head = json.loads("".join(_head(handle)) + "}")
    return {"seconds": round(seconds, 1), "watch": watch, "head": head}


def _head(handle: Any) -> list[str]:
    lines = []
    for line in handle:
        if line.startswith('  "rows"'):
            break
        lines.append(line)
    lines[-1] = lines[-1].rstrip().rstrip(",") + "\n"
    return lines


def bench_scale(workdir: Path, n: int, project: int) -> dict[str, Any]:
    records = workdir / f"scale-{n}.jsonl"
    write_records(records, n, 2021)
    result = run_impact(records, workdir / "scale.json", ["--engine", "dask", "-j", "2"])
    watch: Watch = result["watch"]
    workers = watch.workers()
    tenths = [watch.samples[int(len(watch.samples) * k / 10) - 1] for k in range(1, 11)]
    rss = {str(w): [round(s[1].get(w, 0) / 1024, 1) for s in tenths] for w in workers}
    decisions = 2 * n
    rate = decisions / result["seconds"]
    worker_cpu = sum(watch.cpu.get(w, 0.0) for w in workers)
    per_decision = worker_cpu / decisions
    client_per_record = watch.cpu.get(watch.pid, 0.0) / n
    out = {
        "records": n,
        "decisions": decisions,
        "seconds": result["seconds"],
        "decisions_per_second": round(rate),
        "peak_command_mib": round(watch.peaks.get(watch.pid, 0) / 1024, 1),
        "peak_worker_mib": [round(watch.peaks[w] / 1024, 1) for w in workers],
        "worker_rss_mib_each_tenth": rss,
        "worker_cpu_us_per_decision": round(per_decision * 1e6, 1),
        "command_cpu_us_per_record": round(client_per_record * 1e6, 1),
        "load_average_mean": round(sum(watch.loads) / max(1, len(watch.loads)), 2),
        "outcome_changes": result["head"]["outcome_changes"],
        "changed": result["head"]["changed"],
        "projection": _projection(project, per_decision, client_per_record),
    }
    print(json.dumps({k: v for k, v in out.items() if k != "projection"}, indent=1))
    for row in out["projection"]:
        print(f"  {project:,} decisions on {row['workers']:>3} workers: {row['hours']:.2f} h")
    return out


def _projection(
    decisions: int, per_decision: float, client_per_record: float
) -> list[dict[str, Any]]:
    """Hours for ``decisions`` (two per record, as impact makes) on N workers, from the measured
    CPU per decision; the command's own CPU per record bounds it however many workers."""
    rows = []
    for workers in (2, 8, 32, 64, 128):
        hours = max(decisions * per_decision / workers, decisions / 2 * client_per_record) / 3600
        rows.append({"workers": workers, "hours": round(hours, 2)})
    return rows


def strong_draft(folder: Path) -> Path:
    """The illustrative draft with two more changed rules: walking or wheeling, and public
    transport, count as alternatives only when the person manages them independently."""
    folder.mkdir(parents=True, exist_ok=True)
    base = yaml.safe_load((ROOT / "rules" / "2021-01" / "exclusions.yaml").read_text())
    draft = yaml.safe_load((DRAFT / "exclusions.yaml").read_text())["rules"]
    changed = {r["id"]: r for r in base["rules"] if r["id"] in ("can-mobilise", "public-transport")}
    changed["can-mobilise"]["condition"] = {
        "field": "travel.can_mobilise_safely",
        "is": "independently",
    }
    changed["public-transport"]["condition"]["any"][0] = {
        "field": "travel.can_use_public_transport",
        "is": "independently",
    }
    rules = {"rules": [*changed.values(), *draft]}
    (folder / "exclusions.yaml").write_text(yaml.safe_dump(rules, sort_keys=False))
    manifest = yaml.safe_load((DRAFT / "policy.yaml").read_text())
    manifest.update(notes="Benchmark only: not Council policy.")
    (folder / "policy.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return folder


def bench_memory(workdir: Path, sizes: list[int], before: str | None) -> dict[str, Any]:
    draft = strong_draft(workdir / "bench-draft")
    pythons = {"this checkout": sys.executable, **({"before": before} if before else {})}
    out: dict[str, Any] = {}
    for label, python in pythons.items():
        points = []
        for n in sizes:
            records = workdir / f"memory-{n}.jsonl"
            if not records.exists():
                write_records(records, n, 2021)
            args = ["--to-rules", str(draft), "-j", "2"]
            result = run_impact(records, workdir / "memory.json", args, python)
            head = result["head"]
            if "changed" not in head:  # an earlier checkout's report: count its changed cases
                head["changed"] = len(
                    json.loads((workdir / "memory.json").read_text())["changed_cases"]
                )
            result_args = {"changed": head["changed"], "records": n}
            peak = result["watch"].peaks.get(result["watch"].pid, 0) / 1024
            points.append({**result_args, "peak_mib": round(peak, 1), "seconds": result["seconds"]})
        growth = (points[-1]["peak_mib"] - points[0]["peak_mib"]) * 1024
        per_case = growth / max(1, points[-1]["changed"] - points[0]["changed"])
        out[label] = {"points": points, "kib_per_changed_case": round(per_case, 2)}
        print(f"  {label}: {points}; {per_case:.2f} KiB per changed case")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=("malloc", "scale", "memory"), action="append")
    parser.add_argument("--n", type=int, default=1_000_000, help="records for the scale run")
    parser.add_argument("--project", type=int, default=37_500_000, help="decisions to project to")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (malloc)")
    parser.add_argument("--memory-sizes", type=int, nargs=2, default=[10_000, 100_000])
    parser.add_argument("--before-python", help="the python of another checkout (memory)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    info = corpus.machine()
    corpus.print_machine(info)
    results: dict[str, Any] = {"machine": info}
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmp:
        workdir = Path(tmp)
        for part in args.only or ["malloc", "scale", "memory"]:
            print(f"\n{part}")
            if part == "malloc":
                results[part] = bench_malloc(workdir, args.rounds)
            elif part == "scale":
                results[part] = bench_scale(workdir, args.n, args.project)
            else:
                results[part] = bench_memory(workdir, args.memory_sizes, args.before_python)
    if not args.no_write:
        print(f"\nwrote {corpus.write_results('dask', results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
