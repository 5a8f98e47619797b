"""``decide()`` against a like-for-like plain-Python floor, in one interleaved run.

The acceptance point: ``decide()`` costs at most 1.5 times (the bar if that proves out of reach:
1.6 times) a plain-Python floor that does the same work without the rule engine and without the
rationale (``floor.py``: policy 2021-01's procedure hand-written over dicts, plus the input
digest and the JSON of the result), while durable-rules still decides every record.

Generates ``--n`` corpus records (:mod:`corpus`), checks the floor against the product on every
one of them before anything is timed (outcome, recommended outcome, the clause and rule of every
reason, considered entry, question, charge, action and appeal entry, provision, override,
warnings, input digest: :func:`floor.project`; a mismatch aborts with the record's index and
both results), then times, after a warm-up, in ``--rounds`` interleaved rounds (each round
times every path once over the same records, in a rotating order; CPU time,
``time.process_time``):

* ``decide``: ``transport_policy.decide(mapping).to_json()``: the public path, validation and
  the version lookup included;
* ``engine``: ``Engine.decide(record).to_json()`` on records validated beforehand (the engine
  ``decide()`` uses; durable-rules);
* ``floor``: ``floor.floor(mapping)``: the hand-written decision, the input digest and
  ``json.dumps`` of the result.

It prints µs per record for each path (median of the rounds), the ratios ``decide / floor``
and ``engine / floor`` (of the medians, with the range of the per-round ratios), the target and
the verdict, and one more pass that splits both sides (validation, version lookup,
``Engine.decide``, ``to_json``; the floor's decision, digest and JSON) to show where the
difference is. ``bench_stages.py`` splits ``decide()`` further. Results go to
``results/floor-<time>.json``::

    python benchmarks/bench_floor.py                      # 5,000 records, 7 rounds
    python benchmarks/bench_floor.py --n 2000 --rounds 3  # a quicker look
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import corpus
import floor

import transport_policy
from transport_policy import AssessmentRecord, Decision
from transport_policy.api import select_policy
from transport_policy.engine import engine_for

TARGET = 1.5
"""decide() / floor, CPU time per record: the acceptance point."""
BAR = 1.6
"""The bar if the target proves out of reach."""
WARM_UP = 500


def check(mappings: list[dict[str, Any]]) -> Counter[str]:
    """The floor against the product on every record; exits on the first mismatch."""
    outcomes: Counter[str] = Counter()
    for index, mapping in enumerate(mappings):
        product = floor.project(transport_policy.decide(mapping))
        made = floor.decide(mapping)
        if made != product:
            differ = [key for key in product if product[key] != made.get(key)]
            print(f"record {index} ({mapping['case_id']}): the floor differs in {differ}")
            for key in differ:
                print(f"  {key}:\n    decide(): {product[key]!r}\n    floor:    {made.get(key)!r}")
            raise SystemExit(1)
        outcomes[made["outcome"]] += 1
    return outcomes


def _cpu_us(func: Callable[[Any], object], items: list[Any]) -> float:
    """CPU µs per item of one pass of ``func`` over ``items``."""
    gc.collect()
    start = time.process_time()
    for item in items:
        func(item)
    return 1e6 * (time.process_time() - start) / len(items)


def measure(
    paths: list[tuple[str, Callable[[Any], object], list[Any]]], rounds: int
) -> dict[str, list[float]]:
    """µs per record of each path in each round, after a warm-up; every path once per round,
    the order rotating from round to round."""
    for _, func, items in paths:
        for item in items[:WARM_UP]:
            func(item)
    times: dict[str, list[float]] = {name: [] for name, _, _ in paths}
    for round_ in range(rounds):
        shift = round_ % len(paths)
        for name, func, items in paths[shift:] + paths[:shift]:
            times[name].append(_cpu_us(func, items))
        print(
            f"  round {round_ + 1}/{rounds}: "
            + ", ".join(f"{name} {times[name][-1]:.1f} µs" for name, _, _ in paths),
            file=sys.stderr,
        )
    return times


def split(
    mappings: list[dict[str, Any]], records: list[AssessmentRecord], selected: list[str]
) -> dict[str, float]:
    """One pass of each part of both sides, µs of CPU per record."""
    engine = engine_for(select_policy(records[0]))
    pairs = list(zip(records, selected, strict=True))
    decisions = [engine.decide(r, selected=s) for r, s in pairs]
    results = [floor.decide(m) for m in mappings]
    encode = floor._DUMPS
    return {
        "decide: validation (parse_record)": _cpu_us(transport_policy.parse_record, mappings),
        "decide: version lookup (select_policy, engine_for)": _cpu_us(
            lambda r: engine_for(select_policy(r)), records
        ),
        "decide: Engine.decide": _cpu_us(lambda p: engine.decide(p[0], selected=p[1]), pairs),
        "decide: Decision.to_json": _cpu_us(Decision.to_json, decisions),
        "floor: decision (with its digest)": _cpu_us(floor.decide, mappings),
        "floor: of which the input digest": _cpu_us(floor.input_digest, mappings),
        "floor: json.dumps of the result": _cpu_us(encode, results),
    }


def verdict(ratio: float) -> str:
    if ratio <= TARGET:
        return f"meets the target (≤ {TARGET})"
    if ratio <= BAR:
        return f"misses the target ({TARGET}) but is within the bar (≤ {BAR})"
    return f"MISSES the target ({TARGET}) and the bar ({BAR})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="records (default 5000)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--no-split", action="store_true", help="skip the pass that splits")
    parser.add_argument("--no-write", action="store_true", help="do not write results/*.json")
    args = parser.parse_args(argv)
    info = corpus.machine()
    corpus.print_machine(info)

    mappings = corpus.generate(args.n, args.seed)
    records = corpus.validate(mappings)
    versions = {select_policy(r).version for r in records}
    if versions != {floor.POLICY_VERSION}:
        print(f"the floor decides policy {floor.POLICY_VERSION} only; the corpus needs {versions}")
        return 1
    policy = select_policy(records[0])
    if policy.digest != floor.POLICY_DIGEST:
        print(f"rules/{policy.version} changed since the floor was written: update floor.py")
        return 1
    outcomes = check(mappings)
    print(
        f"correctness: the floor matches decide() on all {args.n:,} records (outcomes: "
        + ", ".join(f"{k} {100 * v / args.n:.1f}%" for k, v in outcomes.most_common())
        + ")"
    )

    engine = engine_for(policy)  # the engine decide() uses
    selected = [f"in force on the assessment date {r.assessment_date.isoformat()}" for r in records]
    pairs = list(zip(records, selected, strict=True))
    times = measure(
        [
            ("decide", lambda m: transport_policy.decide(m).to_json(), mappings),
            ("engine", lambda p: engine.decide(p[0], selected=p[1]).to_json(), pairs),
            ("floor", floor.floor, mappings),
        ],
        args.rounds,
    )
    median = {name: statistics.median(us) for name, us in times.items()}
    ratios = {f"{name}/floor": median[name] / median["floor"] for name in ("decide", "engine")}
    per_round = {
        f"{name}/floor": [a / b for a, b in zip(times[name], times["floor"], strict=True)]
        for name in ("decide", "engine")
    }

    print()
    print(f"{args.n:,} records, {args.rounds} rounds; CPU µs per record (median, min to max):")
    labels = {
        "decide": "decide(mapping).to_json()",
        "engine": "Engine.decide(validated).to_json()",
        "floor": "floor.floor(mapping)",
    }
    for name, us in times.items():
        print(f"  {labels[name]:<36}{median[name]:8.1f}   ({min(us):.1f} to {max(us):.1f})")
    print()
    for key, ratio in ratios.items():
        low, high = min(per_round[key]), max(per_round[key])
        print(f"  {key:<14}{ratio:6.2f}x   (per round {low:.2f} to {high:.2f})")
    decide_ratio = ratios["decide/floor"]
    print()
    print(f"target: decide() ≤ {TARGET}x the floor (bar {BAR}x): {verdict(decide_ratio)}")
    for limit in (TARGET, BAR):
        allowed = limit * median["floor"]
        excess = median["decide"] - allowed
        if excess > 0:
            print(
                f"  at {limit}x decide() may take {allowed:.1f} µs: "
                f"{excess:.1f} µs per record to go ({100 * excess / median['decide']:.0f}% of it)"
            )

    parts: dict[str, float] = {}
    if not args.no_split:
        parts = split(mappings, records, selected)
        print()
        print("where the time goes (one pass each, CPU µs per record):")
        for label, cpu in parts.items():
            print(f"  {label:<52}{cpu:8.1f}")

    if not args.no_write:
        path = corpus.write_results(
            "floor",
            {
                "machine": info,
                "n": args.n,
                "seed": args.seed,
                "rounds": args.rounds,
                "policy": policy.version,
                "outcomes": dict(outcomes),
                "checked": args.n,
                "mismatches": 0,
                "us_per_record": times,
                "median_us": median,
                "ratios": ratios,
                "per_round_ratios": per_round,
                "target": TARGET,
                "bar": BAR,
                "verdict": verdict(decide_ratio),
                "split_us": parts,
            },
        )
        print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
