"""Soak: a million decisions in one process, with flat memory.

Cycles through a corpus of ``--corpus`` generated records (:mod:`corpus`) until ``--n`` decisions
are made, sampling the resident set size (``VmRSS`` in ``/proc/self/status``) every ``--every``
decisions. The baseline is the first sample after ``--warmup`` decisions (caches, the allocator
and durable-rules' own tables settle first); the process fails (exit status 1) if RSS then grows
by more than ``--bound-mb``. Every decision is also compared with the decision of the same record
in the first cycle: the engine must not drift.

The default path is the public one, ``transport_policy.decide(mapping)`` then
``Decision.to_json()`` (validation, durable-rules, the decision procedure and serialisation);
``--path engine`` runs ``Engine.decide`` on pre-validated records only.

    python benchmarks/soak.py                  # 1,000,000 decisions; several minutes
    python benchmarks/soak.py --n 200000 --every 20000 --warmup 40000
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import corpus

import transport_policy
from transport_policy import PolicyStore
from transport_policy.engine import Engine


def rss_kb() -> int:
    """This process's resident set size in kB (Linux)."""
    found = corpus.status_kb("self", "VmRSS")
    if not found:
        raise RuntimeError("no VmRSS in /proc/self/status (the soak needs Linux)")
    return found


def hwm_kb() -> int:
    return corpus.status_kb("self", "VmHWM")


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of (x, y) points (0 for fewer than two)."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0


def deciders(
    path: str, rules: Path | None, mappings: list[dict[str, Any]]
) -> tuple[Callable[[int], str], str]:
    """A function deciding corpus item ``i`` and returning its JSON, and a description."""
    if path == "api":
        root = str(rules) if rules else None

        def by_api(i: int) -> str:
            return transport_policy.decide(mappings[i], rules=root).to_json()

        return by_api, "transport_policy.decide(mapping).to_json()"
    records = corpus.validate(mappings)
    policy = PolicyStore(rules).in_force(max(r.assessment_date for r in records))
    engine = Engine(policy)

    def by_engine(i: int) -> str:
        return engine.decide(records[i]).to_json()

    return by_engine, f"Engine.decide(record).to_json() under policy {policy.version}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="decisions (default 1,000,000)")
    parser.add_argument("--corpus", type=int, default=5000, help="distinct records (default 5000)")
    parser.add_argument("--every", type=int, default=50_000, help="decisions between RSS samples")
    parser.add_argument(
        "--warmup",
        type=int,
        default=100_000,
        help="decisions before the baseline sample (default 100,000)",
    )
    parser.add_argument(
        "--bound-mb",
        type=float,
        default=20.0,
        help="fail if RSS grows more than this after warm-up (default 20 MB)",
    )
    parser.add_argument("--path", choices=("api", "engine"), default="api")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--rules", type=Path, help="rules folder (default: the bundled rules)")
    parser.add_argument("--no-write", action="store_true", help="do not write results/*.json")
    args = parser.parse_args(argv)
    if args.warmup >= args.n:
        parser.error("--warmup must be smaller than --n")

    info = corpus.machine()
    corpus.print_machine(info)
    mappings = corpus.generate(args.corpus, args.seed)
    decide, described = deciders(args.path, args.rules, mappings)
    print(
        f"soak: {args.n:,} decisions of {described}, cycling through {args.corpus:,} records; "
        f"RSS every {args.every:,}; baseline after {args.warmup:,}; bound {args.bound_mb} MB"
    )

    size = len(mappings)
    first = [decide(i) for i in range(size)]  # the first cycle: what every later cycle must match
    outcomes: Counter[str] = Counter()
    drift = 0
    samples: list[dict[str, Any]] = [
        {"decisions": size, "seconds": 0.0, "rss_kb": rss_kb(), "gc_objects": len(gc.get_objects())}
    ]
    start = time.perf_counter()
    last = start
    for done in range(size, args.n):
        i = done % size
        text = decide(i)
        if text != first[i]:
            drift += 1
        if (done + 1) % args.every == 0:
            now = time.perf_counter()
            sample = {
                "decisions": done + 1,
                "seconds": now - start,
                "rss_kb": rss_kb(),
                "gc_objects": len(gc.get_objects()),
            }
            samples.append(sample)
            rate = args.every / (now - last)
            last = now
            eta = (args.n - done - 1) / rate
            print(
                f"{done + 1:>10,} decisions  {rate:8,.0f}/s  RSS {sample['rss_kb'] / 1024:7.1f} MB"
                f"  objects {sample['gc_objects']:>9,}  ~{eta:5.0f} s left",
                file=sys.stderr,
            )
    elapsed = time.perf_counter() - start
    for text in first:
        outcomes[json.loads(text)["outcome"]] += 1

    after = [s for s in samples if s["decisions"] >= args.warmup]
    base = after[0] if after else samples[-1]
    end = samples[-1]
    growth_mb = (end["rss_kb"] - base["rss_kb"]) / 1024
    trend = slope([(s["decisions"], s["rss_kb"] / 1024) for s in after]) * 100_000
    ok = growth_mb <= args.bound_mb and drift == 0

    print()
    print(f"{'decisions':>10} {'seconds':>8} {'RSS MB':>8} {'vs base':>8} {'objects':>9}")
    for s in samples:
        delta = (s["rss_kb"] - base["rss_kb"]) / 1024
        mark = "  <- baseline" if s is base else ""
        print(
            f"{s['decisions']:>10,} {s['seconds']:>8.1f} {s['rss_kb'] / 1024:>8.1f} {delta:>+8.1f} "
            f"{s['gc_objects']:>9,}{mark}"
        )
    print()
    print(
        f"{args.n - size:,} decisions after the first cycle in {elapsed:.0f} s "
        f"({(args.n - size) / elapsed:,.0f}/s); peak RSS {hwm_kb() / 1024:.1f} MB"
    )
    print(
        f"RSS growth after warm-up: {growth_mb:+.1f} MB (bound {args.bound_mb} MB); "
        f"trend {trend:+.2f} MB per 100,000 decisions"
    )
    print(f"decisions differing from the first cycle: {drift}")
    print("outcomes of the corpus: " + ", ".join(f"{k} {v}" for k, v in outcomes.most_common()))
    print("PASS" if ok else "FAIL")

    if not args.no_write:
        path = corpus.write_results(
            "soak",
            {
                "machine": info,
                "n": args.n,
                "corpus": args.corpus,
                "path": args.path,
                "described": described,
                "every": args.every,
                "warmup": args.warmup,
                "bound_mb": args.bound_mb,
                "seconds": elapsed,
                "samples": samples,
                "growth_mb": growth_mb,
                "trend_mb_per_100k": trend,
                "drift": drift,
                "peak_rss_kb": hwm_kb(),
                "outcomes": dict(outcomes),
                "passed": ok,
            },
        )
        print(f"results written to {path}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
