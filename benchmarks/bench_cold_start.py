"""Cold start of the command line: ``transport-policy decide <case> --format json``, one case.

Runs the command as a subprocess ``--runs`` times after one warm-up (which fills the OS file cache
and writes bytecode) and reports the minimum and median wall time, and the median CPU time (user
and system) the run used, which other work on the machine disturbs less; then the same with
nothing kept between runs (``TRANSPORT_POLICY_NO_CACHE=1``: every run loads and compiles the
policy version, as the first run after a rule edit does). Then, to show what to make
lazy, it runs the same decision once under ``python -X importtime`` and lists the ten imports with
the largest cumulative time (and the ten largest by own time), and times the phases of one
decision in a fresh process: importing the ``decide`` command (the models and the API, with the
garbage collector paused as the console script pauses it), loading the case, loading the policy
and compiling it for durable-rules (both read back as kept), deciding and printing.

    python benchmarks/bench_cold_start.py
    python benchmarks/bench_cold_start.py --case cases/<case>.yaml --runs 20
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import corpus

TARGET_S = 0.5
"""The cold start the project aims for: one case, under half a second."""

ROOT = Path(__file__).resolve().parents[1]

# One decision in a fresh interpreter, its phases timed; prints a JSON object of seconds.
PHASES = """
import gc, json, sys, time
t0 = time.perf_counter()
gc.disable()  # as the console script does while it imports its command
import transport_policy.cli.decide
gc.freeze()
gc.enable()
t1 = time.perf_counter()
from transport_policy import load_case
from transport_policy.api import select_policy
from transport_policy.engine import engine_for
record, _ = load_case(sys.argv[1])
t2 = time.perf_counter()
policy = select_policy(record)
t3 = time.perf_counter()
engine = engine_for(policy)
t4 = time.perf_counter()
text = engine.decide(record).to_json()
t5 = time.perf_counter()
print(json.dumps({"import the decide command": t1 - t0, "load the case": t2 - t1,
                  "load the policy (kept)": t3 - t2,
                  "compile for durable-rules (kept)": t4 - t3, "decide and serialise": t5 - t4}))
"""


def default_case() -> Path:
    cases = sorted((ROOT / "cases").glob("*.yaml"))
    if not cases:
        raise SystemExit("no case files under cases/: pass --case")
    return cases[0]


def default_command() -> str:
    beside = Path(sys.executable).with_name("transport-policy")
    found = str(beside) if beside.exists() else shutil.which("transport-policy")
    if not found:
        raise SystemExit("transport-policy is not installed in this environment: pass --command")
    return found


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(
    command: list[str], decision: bool, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run of ``command``."""
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    if decision and "outcome" not in json.loads(proc.stdout.splitlines()[0]):
        raise SystemExit(f"{' '.join(command)} did not print a decision")
    return elapsed, cpu


def timed(
    command: list[str], runs: int, decision: bool = False, env: dict[str, str] | None = None
) -> dict[str, Any]:
    run_once(command, decision, env)  # warm-up (and what the command keeps, made)
    runs_ = [run_once(command, decision, env) for _ in range(runs)]
    times = [wall for wall, _ in runs_]
    cpus = [cpu for _, cpu in runs_]
    return {
        "runs": times,
        "cpu": cpus,
        "min_s": min(times),
        "median_s": statistics.median(times),
        "median_cpu_s": statistics.median(cpus),
    }


def import_times(case: Path) -> dict[str, Any]:
    """The imports of one CLI decision (``python -X importtime``): top ten cumulative and own."""
    script = (
        "import sys; from transport_policy.cli import main; "
        "sys.argv = ['transport-policy', 'decide', sys.argv[1], '--format', 'json']; main()"
    )
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", script, str(case)],
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:") :].split("|", 2)
        rows.append(
            {"module": name.rstrip(), "self_us": int(self_us), "cumulative_us": int(cumulative_us)}
        )
    by_cumulative = sorted(rows, key=lambda r: -r["cumulative_us"])[:10]
    by_self = sorted(rows, key=lambda r: -r["self_us"])[:10]
    return {
        "cumulative": by_cumulative,
        "self": by_self,
        "total_us": sum(r["self_us"] for r in rows),
    }


def phases(case: Path, runs: int) -> dict[str, float]:
    """Median seconds of each phase of one decision in a fresh interpreter."""
    samples: list[dict[str, float]] = []
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-c", PHASES, str(case)], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise SystemExit(f"the phase timing failed:\n{proc.stderr[-2000:]}")
        samples.append(json.loads(proc.stdout))
    return {k: statistics.median(s[k] for s in samples) for k in samples[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", type=Path, help="case file (default: the first golden case)")
    parser.add_argument(
        "--runs", type=int, default=10, help="timed runs after a warm-up (default 10)"
    )
    parser.add_argument("--command", help="the transport-policy executable (default: this venv's)")
    parser.add_argument("--no-write", action="store_true", help="do not write results/*.json")
    args = parser.parse_args(argv)

    info = corpus.machine()
    corpus.print_machine(info)
    case = args.case or default_case()
    command = [args.command or default_command(), "decide", str(case), "--format", "json"]
    env_note = (
        " (TRANSPORT_POLICY_RULES is set)" if os.environ.get("TRANSPORT_POLICY_RULES") else ""
    )
    print(f"case: {case.name}{env_note}")

    cli = timed(command, args.runs, decision=True)
    # Nothing kept between runs: every run loads the version from YAML and compiles it.
    unkept = timed(command, args.runs, True, {**os.environ, "TRANSPORT_POLICY_NO_CACHE": "1"})
    floor = timed([sys.executable, "-c", "pass"], args.runs)
    bare = timed([sys.executable, "-c", "import transport_policy"], args.runs)
    print()
    print(f"{'command':<52} {'min s':>7} {'median s':>9} {'CPU s':>7}")
    for label, result in (
        ("python -c pass (interpreter floor)", floor),
        ("python -c 'import transport_policy'", bare),
        ("transport-policy decide <case> --format json", cli),
        ("  the same, nothing kept (TRANSPORT_POLICY_NO_CACHE)", unkept),
    ):
        print(
            f"{label:<52} {result['min_s']:>7.3f} {result['median_s']:>9.3f} "
            f"{result['median_cpu_s']:>7.3f}"
        )
    verdict = "met" if cli["median_s"] < TARGET_S else "MISSED"
    print(f"target: under {TARGET_S} s; median {cli['median_s']:.3f} s: {verdict}")

    split = phases(case, max(3, args.runs // 2))
    print()
    print("phases of one decision in a fresh interpreter (median, after interpreter start):")
    for label, seconds in split.items():
        print(f"  {label:<40} {1000 * seconds:8.1f} ms")
    print(f"  {'total':<40} {1000 * sum(split.values()):8.1f} ms")

    imports = import_times(case)
    print()
    print(f"python -X importtime, all imports: {imports['total_us'] / 1000:.1f} ms of own time")
    print("top 10 by cumulative time (a module's time includes the modules it imports):")
    for row in imports["cumulative"]:
        print(f"  {row['cumulative_us'] / 1000:8.1f} ms  {row['module']}")
    print("top 10 by own time:")
    for row in imports["self"]:
        print(f"  {row['self_us'] / 1000:8.1f} ms  {row['module'].strip()}")

    if not args.no_write:
        path = corpus.write_results(
            "cold-start",
            {
                "machine": info,
                "case": case.name,
                "command": command,
                "target_s": TARGET_S,
                "cli": cli,
                "cli_nothing_kept": unkept,
                "python_floor": floor,
                "import_only": bare,
                "phases_s": split,
                "imports": imports,
            },
        )
        print(f"results written to {path}", file=sys.stderr)
    return 0 if cli["median_s"] < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
