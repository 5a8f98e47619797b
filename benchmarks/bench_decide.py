"""Decisions per second in one process, and where the time goes.

Generates ``--n`` records (:mod:`corpus`), validates them (timed on its own), then times:

* ``engine``: ``Engine.decide`` on the validated records, matched by durable-rules;
* ``python``: the same with the plain-Python reference evaluator (``PythonEvaluator``);
* ``api``: ``transport_policy.decide(mapping)``, the public entry point, validation included.

Each path runs ``--repeat`` times after a warm-up; the best and median rates are reported. A
breakdown of the durable path follows, timed with ``time.perf_counter`` around each step of
``Engine.decide``, and an instrumented pass that splits the steps further (the durable-rules C
calls, JSON encoding of the fact, the precedence, the explanation pass, the wording and the
pydantic models the assembly builds). ``--profile`` adds a cProfile of the durable path.
``--baseline TREE`` instead compares ``Engine.decide`` with an earlier source tree, pass for pass
(each in a fresh process, alternating), and prints the ratio. Results go to ``results/`` as JSON.

    python benchmarks/bench_decide.py                 # 20,000 records
    python benchmarks/bench_decide.py --n 5000 --repeat 1 --profile 2000
    git worktree add /tmp/before HEAD~1
    python benchmarks/bench_decide.py --baseline /tmp/before --n 10000 --repeat 5
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import inspect
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import corpus

import transport_policy
import transport_policy.engine as engine_module
from transport_policy import AssessmentRecord, Decision, PolicyStore
from transport_policy.decision import build, wording
from transport_policy.engine import Engine, PythonEvaluator, runtime
from transport_policy.rules.conditions import Reading
from transport_policy.rules.model import Policy

TARGET = 10_000
"""Decisions per second per core the project aims for."""

WARM_UP = 500


def _rate_table(rows: list[dict[str, Any]]) -> None:
    print(f"{'path':<44} {'best /s':>9} {'median /s':>10} {'µs wall':>8} {'µs CPU':>8}")
    for row in rows:
        print(
            f"{row['label']:<44} {row['best_per_s']:>9,.0f} {row['median_per_s']:>10,.0f} "
            f"{row['best_us']:>8.1f} {row['cpu_us']:>8.1f}"
        )


def _time_pass(func: Callable[[Any], object], items: list[Any]) -> tuple[float, float]:
    """Wall and CPU seconds of one pass of ``func`` over ``items``."""
    gc.collect()
    cpu = time.process_time()
    start = time.perf_counter()
    for item in items:
        func(item)
    return time.perf_counter() - start, time.process_time() - cpu


def measure(
    paths: list[tuple[str, Callable[[Any], object], list[Any]]], repeat: int
) -> list[dict[str, Any]]:
    """Time each path over its items ``repeat`` times after a warm-up.

    The passes are interleaved (every path once per round), so a busy spell on the machine does
    not fall on one path only. Wall time is what a caller waits; CPU time (``process_time``) is
    what one core spends, and is less disturbed by other processes.
    """
    for _, func, items in paths:
        for item in items[:WARM_UP]:
            func(item)
    walls: list[list[float]] = [[] for _ in paths]
    cpus: list[list[float]] = [[] for _ in paths]
    for round_ in range(repeat):
        for i, (label, func, items) in enumerate(paths):
            wall, cpu = _time_pass(func, items)
            walls[i].append(wall)
            cpus[i].append(cpu)
            print(f"  round {round_ + 1}: {label}: {len(items) / wall:,.0f}/s", file=sys.stderr)
    rows = []
    for (label, _, items), wall, cpu in zip(paths, walls, cpus, strict=True):
        rates = [len(items) / s for s in wall]
        best = max(rates)
        rows.append(
            {
                "label": label,
                "n": len(items),
                "wall_seconds": wall,
                "cpu_seconds": cpu,
                "best_per_s": best,
                "median_per_s": statistics.median(rates),
                "best_us": 1e6 / best,
                "median_us": 1e6 / statistics.median(rates),
                "cpu_us": 1e6 * min(cpu) / len(items),
                "cpu_per_s": len(items) / min(cpu),
            }
        )
    return rows


class _Timers:
    """Accumulated seconds and calls per label."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    def clear(self) -> None:
        self.seconds.clear()
        self.calls.clear()

    def wrap(self, label: str, func: Callable[..., Any]) -> Callable[..., Any]:
        clock = time.perf_counter

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = clock()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds[label] += clock() - start
                self.calls[label] += 1

        return timed


class _Proxy:
    """A stand-in for a module or class whose chosen functions are timed."""

    def __init__(self, target: Any, timers: _Timers, labels: dict[str, str]) -> None:
        self._target = target
        for name, label in labels.items():
            if hasattr(target, name):
                setattr(self, name, timers.wrap(label, getattr(target, name)))
        self._call = timers.wrap(labels.get("__call__", "?"), target)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)


class _Patches:
    """Replace module globals for a while; every replacement is undone on exit."""

    def __init__(self) -> None:
        self._saved: list[tuple[Any, str, Any]] = []

    def set(self, owner: Any, name: str, value: Any) -> None:
        self._saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    def __enter__(self) -> _Patches:
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name, value in reversed(self._saved):
            setattr(owner, name, value)


def _called_functions(func: Callable[..., Any], module: Any) -> list[str]:
    """The functions of ``module``'s namespace that ``func`` calls by global name."""
    return [
        name for name in func.__code__.co_names if inspect.isfunction(getattr(module, name, None))
    ]


def _per_decision(timers: _Timers, n: int) -> dict[str, float]:
    return {label: 1e6 * seconds / n for label, seconds in timers.seconds.items()}


def steps(policy: Policy, records: list[AssessmentRecord]) -> tuple[dict[str, float], float]:
    """µs per decision of each step of ``Engine.decide`` (durable path).

    Every function ``Engine.decide`` calls by name, the evaluator's ``statuses`` and the slot
    reader's ``decide`` (rule states and precedence; the wording is ``assemble``'s), is timed
    with ``time.perf_counter``; what is left is ``Engine.decide``'s own work.
    """
    timers = _Timers()
    engine = Engine(policy)
    with _Patches() as patch:
        for name in _called_functions(Engine.decide, engine_module):
            patch.set(engine_module, name, timers.wrap(name, getattr(engine_module, name)))
        statuses = engine.evaluator.statuses
        engine.evaluator.statuses = timers.wrap(  # type: ignore[method-assign]
            f"{type(engine.evaluator).__name__}.statuses (durable matching)", statuses
        )
        engine.slots.decide = timers.wrap(  # type: ignore[method-assign]
            "SlotReader.decide (rule states, precedence)", engine.slots.decide
        )
        for record in records[:WARM_UP]:
            engine.decide(record)
        timers.clear()
        gc.collect()
        cpu = time.process_time()
        start = time.perf_counter()
        for record in records:
            engine.decide(record)
        total = time.perf_counter() - start
        cpu = time.process_time() - cpu
    out = _per_decision(timers, len(records))
    out["Engine.decide itself"] = 1e6 * total / len(records) - sum(out.values())
    return out, 1e6 * cpu / len(records)


MODELS_BUILT = "assembly: pydantic models built"
ACTIONS = "statuses: durable rule actions (one per fired rule)"


def _time_decision_step(patch: _Patches, timers: _Timers) -> None:
    """Time the pieces of the decision step: every pydantic model the assembly builds, the
    precedence, the explanation pass and the wording."""
    for module in (build, wording):
        # The output models are made by ``trusted``/``trusted_named`` from values that already
        # have their types (a model class itself must stay a class: they make it with __new__).
        for name in ("trusted", "trusted_named"):
            if hasattr(module, name):
                patch.set(module, name, timers.wrap(MODELS_BUILT, getattr(module, name)))
    patch.set(build, "precedence", timers.wrap("precedence: precedence()", build.precedence))
    patch.set(wording, "fill", timers.wrap("wording: fill() (placeholders)", wording.fill))
    for name, label in (
        ("explain", "explanation pass: Reading.explain() (facts of each reason)"),
        ("questions", "explanation pass: Reading.questions() (what to ask)"),
        ("status", "explanation pass: Reading.status() (condition nodes read)"),
    ):
        patch.set(Reading, name, timers.wrap(label, getattr(Reading, name)))


def fine_breakdown(policy: Policy, records: list[AssessmentRecord]) -> dict[str, Any]:
    """µs per decision of the pieces inside the steps (timers add a little overhead)."""
    timers = _Timers()
    with _Patches() as patch:
        # Inside the durable evaluator: the fact's JSON and each durable-rules C call.
        patch.set(
            runtime,
            "json",
            _Proxy(runtime.json, timers, {"dumps": "statuses: JSON encoding of the fact"}),
        )
        patch.set(
            runtime,
            "durable_rules_engine",
            _Proxy(
                runtime.durable_rules_engine,
                timers,
                {
                    "assert_fact": "statuses: durable assert_fact",
                    "start_action_for_state": ACTIONS,
                    "complete_and_start_action": ACTIONS,
                    "delete_state": "statuses: durable delete_state",
                },
            ),
        )
        _time_decision_step(patch, timers)
        # Inside the input digest: whatever it calls (canonical JSON, hashing).
        for name in _called_functions(engine_module.input_digest, engine_module):
            patch.set(
                engine_module,
                name,
                timers.wrap(f"input digest: {name}()", getattr(engine_module, name)),
            )
        patch.set(
            engine_module,
            "input_digest",
            timers.wrap("input digest: total", engine_module.input_digest),
        )
        engine = Engine(policy)  # built inside the patches, so it uses the proxied C module
        for record in records[:WARM_UP]:
            engine.decide(record)
        timers.clear()
        gc.collect()
        start = time.perf_counter()
        for record in records:
            engine.decide(record)
        total = time.perf_counter() - start
    n = len(records)
    pieces = dict(sorted(_per_decision(timers, n).items()))
    calls = {k: v / n for k, v in sorted(timers.calls.items())}
    return {
        "instrumented_total_us": 1e6 * total / n,
        "pieces_us": pieces,
        "calls_per_decision": calls,
    }


def profile(engine: Engine, records: list[AssessmentRecord], top: int = 25) -> str:
    """cProfile of ``Engine.decide`` (durable path): top functions by own and cumulative time."""
    prof = cProfile.Profile()
    prof.enable()
    for record in records:
        engine.decide(record)
    prof.disable()
    corpus.RESULTS_DIR.mkdir(exist_ok=True)
    prof.dump_stats(str(corpus.RESULTS_DIR / "decide.prof"))
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


_AB_CODE = """
import gc, json, sys, time
import corpus
from transport_policy import PolicyStore
from transport_policy.engine import Engine
n, seed = int(sys.argv[1]), int(sys.argv[2])
records = corpus.validate(corpus.generate(n, seed))
engine = Engine(PolicyStore(None).in_force(max(r.assessment_date for r in records)))
for record in records[:500]:
    engine.decide(record)
gc.collect()
cpu = time.process_time()
for record in records:
    engine.decide(record)
print(json.dumps(1e6 * (time.process_time() - cpu) / n))
"""


def compare(baseline: Path, n: int, seed: int, repeat: int) -> dict[str, Any]:
    """µs CPU per ``Engine.decide`` (durable path) of the package under ``baseline/src`` and of
    this tree's, each pass in a fresh process, the two alternating so that load on the machine
    falls on both alike. The best pass of each is compared."""
    here = Path(__file__).resolve().parent
    trees = {"baseline": baseline.resolve() / "src", "current": here.parent / "src"}
    times: dict[str, list[float]] = {name: [] for name in trees}
    for round_ in range(repeat):
        for name, src in trees.items():
            env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{here}"}
            done = subprocess.run(
                [sys.executable, "-c", _AB_CODE, str(n), str(seed)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            times[name].append(json.loads(done.stdout))
            print(f"  round {round_ + 1}: {name}: {times[name][-1]:.1f} µs CPU", file=sys.stderr)
    best = {name: min(values) for name, values in times.items()}
    return {"passes_us": times, "best_us": best, "ratio": best["current"] / best["baseline"]}


def _compare_main(args: argparse.Namespace) -> int:
    result = compare(args.baseline, args.n, args.seed, args.repeat)
    best = result["best_us"]
    print(
        f"Engine.decide, durable path, {args.n:,} records, best of {args.repeat}: baseline "
        f"{best['baseline']:.1f} µs CPU, current {best['current']:.1f} µs CPU; "
        f"current / baseline = {result['ratio']:.3f}"
    )
    if not args.no_write:
        corpus.write_results("decide-compare", {"baseline": str(args.baseline), **result})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n", type=int, default=20_000, help="records in the corpus (default 20,000)"
    )
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per path (default 3)")
    parser.add_argument("--rules", type=Path, help="rules folder (default: the bundled rules)")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also cProfile the durable path over N records",
    )
    parser.add_argument("--no-write", action="store_true", help="do not write results/*.json")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="TREE",
        help="only compare Engine.decide's CPU time with the source tree TREE (e.g. a "
        "`git worktree` of an earlier commit), pass for pass, and print the ratio",
    )
    args = parser.parse_args(argv)
    if args.baseline is not None:
        return _compare_main(args)

    info = corpus.machine()
    corpus.print_machine(info)
    start = time.perf_counter()
    mappings = corpus.generate(args.n, args.seed)
    print(
        f"corpus: {args.n:,} records (seed {args.seed}), generated in "
        f"{time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )

    start = time.perf_counter()
    records = corpus.validate(mappings)
    first_validation = time.perf_counter() - start

    store = PolicyStore(args.rules)
    policy = store.in_force(max(r.assessment_date for r in records))
    durable = Engine(policy)
    python = Engine(policy, evaluator=PythonEvaluator(policy))
    rules = str(args.rules) if args.rules else None

    # The two evaluators must agree on every record, or the comparison means nothing.
    durable_out = [durable.decide(r) for r in records]
    mismatches = sum(
        d.model_dump() != python.decide(r).model_dump()
        for d, r in zip(durable_out, records, strict=True)
    )
    outcomes = Counter(d.outcome for d in durable_out)

    keys = ("validation", "engine", "python", "api", "serialise")
    rows = measure(
        [
            ("validation: parse_record(mapping)", transport_policy.parse_record, mappings),
            ("engine: Engine.decide, durable-rules", durable.decide, records),
            ("python: Engine.decide, PythonEvaluator", python.decide, records),
            (
                "api: decide(mapping), validation included",
                lambda m: transport_policy.decide(m, rules=rules),
                mappings,
            ),
            ("serialise: Decision.to_json()", Decision.to_json, durable_out),
        ],
        args.repeat,
    )
    by_path = dict(zip(keys, rows, strict=True))
    del durable_out

    step_us, step_cpu = steps(policy, records)
    fine = fine_breakdown(policy, records)

    print()
    print(
        f"policy {policy.version}; {args.n:,} records; outcomes: "
        + ", ".join(f"{k} {100 * v / args.n:.1f}%" for k, v in outcomes.most_common())
    )
    print(f"durable and python evaluators disagree on {mismatches} of {args.n:,} decisions")
    print()
    _rate_table(rows)
    engine_cpu, python_cpu = by_path["engine"]["cpu_us"], by_path["python"]["cpu_us"]
    validation_cpu, api_cpu = by_path["validation"]["cpu_us"], by_path["api"]["cpu_us"]
    print()
    print(
        f"durable / python CPU time per decision: {engine_cpu / python_cpu:.2f}x "
        f"(durable-rules costs {engine_cpu - python_cpu:+.1f} µs CPU per decision)"
    )
    print(
        f"validation share of the api path: {100 * validation_cpu / api_cpu:.0f}% "
        f"({validation_cpu:.1f} of {api_cpu:.1f} µs CPU); the first validation of each record "
        f"(objects kept) took {1e6 * first_validation / args.n:.1f} µs wall"
    )
    for key in ("engine", "api"):
        wall, cpu = by_path[key]["best_per_s"], by_path[key]["cpu_per_s"]
        verdict = "met" if cpu >= TARGET else "MISSED"
        print(
            f"target {TARGET:,}/s per core, {key} path: {cpu:,.0f} per CPU-second "
            f"({wall:,.0f}/s wall; {cpu / TARGET:.2f} of target): {verdict}"
        )

    print()
    print("durable path, step by step (µs per decision):")
    total = sum(step_us.values())
    for label, us in step_us.items():
        print(f"  {label:<42} {us:8.1f}  {100 * us / total:5.1f}%")
    print(f"  {'total (wall)':<42} {total:8.1f}")
    print(f"  {'CPU time of the same pass':<42} {step_cpu:8.1f}  (wall/CPU {total / step_cpu:.2f})")
    print()
    print(
        f"inside the steps (instrumented pass, {fine['instrumented_total_us']:.1f} µs per decision "
        "with timers on):"
    )
    for label, us in fine["pieces_us"].items():
        calls = fine["calls_per_decision"].get(label)
        extra = f"  ({calls:.1f} calls)" if calls else ""
        print(f"  {label:<52} {us:8.1f}{extra}")

    report = None
    if args.profile:
        report = profile(durable, records[: args.profile])
        print()
        print(
            f"cProfile of Engine.decide over {min(args.profile, args.n):,} records "
            f"(stats in {corpus.RESULTS_DIR / 'decide.prof'}):"
        )
        print(report)

    if not args.no_write:
        path = corpus.write_results(
            "decide",
            {
                "machine": info,
                "n": args.n,
                "seed": args.seed,
                "repeat": args.repeat,
                "policy": policy.version,
                "outcomes": dict(outcomes),
                "mismatches": mismatches,
                "first_validation_us": 1e6 * first_validation / args.n,
                "paths": rows,
                "steps_us": step_us,
                "steps_cpu_us": step_cpu,
                "fine": fine,
                "profile": report,
            },
        )
        print(f"results written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
