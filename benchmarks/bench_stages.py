"""Where ``transport_policy.decide(mapping)`` spends its time, stage by stage (µs per record).

Each record goes through the stages of ``decide`` called one by one, each timed with the thread's
CPU clock: validation (``parse_record``), the version lookup (the policy in force and its
engine), the facts the rules read, durable-rules matching, the rules' states and the precedence,
the explanation pass (the time spent in ``Reading.explain`` and ``Reading.questions``), the
wording and assembly of the ``Decision`` (without the explanation pass), and the input digest.
*Glue* is the CPU time of ``decide()`` itself, measured in a separate pass, less the sum of the
stages: what ``decide`` does around them. The timers cost about 0.25 µs each, so the stages
together can exceed the plain ``decide()`` time by a few µs (negative glue).

Run it against an earlier checkout with that checkout's Python (it needs only internals both
sides have)::

    python benchmarks/bench_stages.py --n 5000
    ../before/.venv/bin/python benchmarks/bench_stages.py --n 5000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from corpus import generate, machine, print_machine

from transport_policy import decide
from transport_policy.api import parse_record, select_policy
from transport_policy.decision.build import assemble
from transport_policy.engine import ENGINE_REF, engine_for, input_digest, runtime
from transport_policy.rules.conditions import Reading

STAGES = (
    "validation",
    "version lookup",
    "facts",
    "durable-rules",
    "states+precedence",
    "explanation",
    "wording+assembly",
    "input digest",
)


def _facts_reader(engine: Any) -> Callable[[Any], Any]:
    plan = getattr(engine, "_plan", None)
    if plan is not None and hasattr(runtime, "read_plan"):
        return lambda record: runtime.read_plan(record, plan)
    return lambda record: runtime.record_values(record, engine.fields)


def stages(records: list[dict[str, Any]], rounds: int) -> dict[str, float]:
    clock = time.thread_time_ns
    totals = dict.fromkeys(STAGES, 0)
    spent = [0]
    explain, ask = Reading.explain, Reading.questions

    def timed(method: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            start = clock()
            try:
                return method(*args, **kwargs)
            finally:
                spent[0] += clock() - start

        return run

    Reading.explain, Reading.questions = timed(explain), timed(ask)  # type: ignore[method-assign]
    try:
        for _ in range(rounds):
            for data in records:
                t0 = clock()
                record = parse_record(data)
                t1 = clock()
                policy = select_policy(record)
                engine = engine_for(policy)
                t2 = clock()
                raw = _facts_reader(engine)(record)
                facts = runtime.apply_readings(raw, policy)
                t3 = clock()
                statuses = engine.evaluator.statuses(facts)
                t4 = clock()
                verdict, wording = engine.slots.decide(record, statuses, facts, raw)
                t5 = clock()
                before = spent[0]
                assemble(record, verdict, wording, engine=ENGINE_REF, input_digest="", selected="")
                t6 = clock()
                input_digest(record)
                t7 = clock()
                explained = spent[0] - before
                for name, ns in zip(
                    STAGES,
                    (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, explained),
                    strict=False,
                ):
                    totals[name] += ns
                totals["wording+assembly"] += t6 - t5 - explained
                totals["input digest"] += t7 - t6
    finally:
        Reading.explain, Reading.questions = explain, ask  # type: ignore[method-assign]
    count = rounds * len(records)
    return {name: ns / count / 1000 for name, ns in totals.items()}


def whole(records: list[dict[str, Any]], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.process_time()
        for data in records:
            decide(data)
        times.append((time.process_time() - start) / len(records) * 1e6)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="records (default 5000)")
    parser.add_argument("--rounds", type=int, default=3, help="passes of each kind (default 3)")
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args(argv)
    print_machine(machine())
    records = generate(args.n, seed=args.seed)
    for data in records[:500]:  # warm up: the policy loaded, the engine compiled
        decide(data)
    measured = stages(records, args.rounds)
    total = whole(records, args.rounds)
    print(f"{'stage':22}{'µs/record':>10}")
    for name, us in measured.items():
        print(f"{name:22}{us:10.1f}")
    print(f"{'glue':22}{total - sum(measured.values()):10.1f}")
    print(f"{'decide() (CPU)':22}{total:10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
