"""``transport-policy rules check``: how long the proof takes, and how large a space it covers.

Checks every bundled policy version (2021-01 holds the readings of the alternatives, which widen
the exclusions into one large component) and the illustrative draft in
``docs/examples/draft-2027``, ``--repeat`` times each, and reports the best wall time of the
search over the components (``model``), of the durable-rules comparison (``engine``) and of the
whole check, with the points the components stand for and the hub points and table entries they
are explored through.

    python benchmarks/bench_rules_check.py
    python benchmarks/bench_rules_check.py --repeat 5 --no-write
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from transport_policy.rules.model import Policy
from transport_policy.rules.versions import PolicyStore
from transport_policy.verify.check import check_policy

ROOT = Path(__file__).resolve().parents[1]


def measure(policy: Policy, repeat: int) -> dict[str, Any]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        report = check_policy(policy)
        runs.append((time.perf_counter() - started, report))
    best = min(runs, key=lambda r: r[0])[1]
    s = best.stats
    return {
        "findings": len(best.findings),
        "seconds": min(r.stats["seconds"] for _, r in runs),
        "model_seconds": min(r.stats["model_seconds"] for _, r in runs),
        "engine_seconds": min(r.stats.get("engine_seconds", 0.0) for _, r in runs),
        "points": s["points"],
        "largest_component": max(n for _, n in s["components"]),
        "hub_points": s.get("hub_points"),
        "table_entries": s.get("table_entries"),
        "combinations": s["combinations"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    policies = dict(PolicyStore(ROOT / "rules").policies)
    policies["draft-2027"] = PolicyStore(ROOT / "docs" / "examples").get("draft-2027")
    results = {name: measure(p, args.repeat) for name, p in policies.items()}
    print(
        f"{'policy':<18}{'whole s':>9}{'model s':>9}{'engine s':>9}  {'largest':>13}"
        f"{'hub pts':>9}{'entries':>9}  findings"
    )
    for name, r in results.items():
        print(
            f"{name:<18}{r['seconds']:>9.2f}{r['model_seconds']:>9.2f}{r['engine_seconds']:>9.2f}"
            f"  {r['largest_component']:>13,}{r['hub_points']:>9,}{r['table_entries']:>9,}"
            f"  {r['findings']}"
        )
    if not args.no_write:
        out = ROOT / "benchmarks" / "results"
        out.mkdir(exist_ok=True)
        path = out / f"rules_check-{time.strftime('%Y%m%dT%H%M%S')}.json"
        path.write_text(json.dumps(results, indent=2), encoding="utf-8")
        print(f"written: {path}")


if __name__ == "__main__":
    main()
