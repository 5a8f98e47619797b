"""Compare this checkout with another one (an earlier commit, say) in one interleaved run.

Measures, for each checkout, the CPU time of ``transport_policy.decide(mapping)`` per record
(validation included) on the same corpus records, and the wall time of a cold
``transport-policy decide CASE --format json``. Rounds alternate between the checkouts, so a busy
spell on the machine falls on both; the report gives the median of the rounds and the ratio
*this / other* (below 1 is faster here).

Each checkout is run with its own Python (``--python``: the interpreter of a virtualenv where that
checkout is installed, e.g. ``../old/.venv/bin/python``), so the comparison never mixes code::

    git worktree add ../old HEAD~1
    python3 -m venv ../old/.venv && ../old/.venv/bin/pip install -e ../old
    python benchmarks/bench_compare.py --other-python ../old/.venv/bin/python

``--instructions`` also counts, with ``valgrind --tool=callgrind``, the instructions of one cold
start and of one ``decide()`` (300 records less none) in each checkout: a count the machine's
load does not move, for differences of a few percent that time alone cannot show on a shared
machine.

Records with a field the other checkout does not know are rejected there; the corpus is generated
by this checkout, so give ``--fields-of-other`` to keep only fields both know (the default).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from corpus import generate, machine, print_machine, write_results

ROOT = Path(__file__).resolve().parents[1]

_DECIDE = r"""
import json, sys, time
from transport_policy import decide
records = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
for r in records[:500]:
    decide(r)
start = time.process_time()
for r in records:
    decide(r)
print(json.dumps({"us": (time.process_time() - start) / len(records) * 1e6}))
"""

_FIELDS = r"""
import json
from transport_policy import AssessmentRecord
schema = AssessmentRecord.model_json_schema()
paths = {}
for name, node in schema["properties"].items():
    refs = [b["$ref"] for b in node.get("anyOf", [node]) if "$ref" in b]
    if not refs:
        paths[name] = None
        continue
    section = schema["$defs"][refs[0].rsplit("/", 1)[1]]
    for leaf, spec in section["properties"].items():
        enums = [e for b in spec.get("anyOf", [spec]) for e in b.get("enum", [])]
        paths[f"{name}.{leaf}"] = enums or None
print(json.dumps(paths))
"""


def _known_fields(python: str) -> dict[str, list[Any] | None]:
    """Each field path that checkout's record has, with its enum values (``None``: not an
    enum)."""
    out = subprocess.run([python, "-c", _FIELDS], check=True, capture_output=True, text=True)
    known: dict[str, list[Any] | None] = json.loads(out.stdout)
    return known


def _restrict(
    record: dict[str, Any], fields: set[str], values: dict[str, list[Any] | None] | None = None
) -> dict[str, Any]:
    """The record with only the sections and fields ``fields`` names, and with an enum value the
    other checkout does not have (``values``) left unknown."""
    values = values or {}

    def known(path: str, value: object) -> bool:
        allowed = values.get(path)
        return path in fields and (allowed is None or value is None or value in allowed)

    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict) and key != "override" and key != "assessor":
            kept = {k: v for k, v in value.items() if known(f"{key}.{k}", v)}
            if kept:
                out[key] = kept
        elif key in fields or any(f.startswith(key + ".") for f in fields):
            out[key] = value
    return out


def write_shared_records(path: Path, other_python: str, n: int, seed: int = 2021) -> None:
    """``n`` corpus records as JSON Lines at ``path``, each restricted to what both this checkout
    and the one at ``other_python`` accept (:func:`_restrict`)."""
    theirs = _known_fields(other_python)
    shared = set(_known_fields(sys.executable)) & set(theirs)
    with path.open("w", encoding="utf-8") as out:
        for record in generate(n, seed):
            out.write(json.dumps(_restrict(record, shared, theirs)) + "\n")


def _per_record(python: str, records: Path) -> float:
    out = subprocess.run(
        [python, "-c", _DECIDE, str(records)], check=True, capture_output=True, text=True
    )
    return float(json.loads(out.stdout)["us"])


def _cold(python: str, case: Path) -> float:
    command = [
        str(Path(python).parent / "transport-policy"),
        "decide",
        str(case),
        "--format",
        "json",
    ]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


_DECIDE_N = r"""
import json, sys
from transport_policy import decide
records = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
n = int(sys.argv[2])
decide(records[0]).to_json()
for r in records[:n]:
    decide(r).to_json()
"""


def _instructions(command: list[str]) -> int:
    """Instructions the command executes, counted by ``valgrind --tool=callgrind``: unlike time,
    the count does not move with the machine's load (``PYTHONHASHSEED=0`` fixes the rest)."""
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise SystemExit(f"valgrind printed no count:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def instruction_counts(python: str, records: Path, case: Path, n: int = 300) -> dict[str, float]:
    """A cold ``decide CASE --format json`` and one ``decide()`` (the loop over ``n`` records
    less the loop over none), in instructions, after a run that leaves what is kept."""
    cold = [str(Path(python).parent / "transport-policy"), "decide", str(case), "--format", "json"]
    subprocess.run(cold, check=True, capture_output=True)
    loop = [python, "-c", _DECIDE_N, str(records)]
    per = (_instructions([*loop, str(n)]) - _instructions([*loop, "0"])) / n
    return {"cold_start": float(_instructions(cold)), "per_decide": per}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--other-python",
        required=True,
        help="the Python of a virtualenv where the other checkout is installed",
    )
    parser.add_argument("--n", type=int, default=5000, help="records per round (default 5000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--cold-runs", type=int, default=5, help="cold starts per round")
    parser.add_argument("--case", type=Path, help="case for cold starts (default: first golden)")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count instructions (valgrind): a cold start and one decide() in each checkout",
    )
    parser.add_argument("--no-write", action="store_true", help="do not write results/*.json")
    args = parser.parse_args(argv)
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind (apt-get install valgrind)")
    info = machine()
    print_machine(info)
    here, other = sys.executable, args.other_python
    case = args.case or sorted((ROOT / "cases").glob("*.yaml"))[0]
    with tempfile.TemporaryDirectory() as tmp:
        records = Path(tmp) / "records.jsonl"
        write_shared_records(records, other, args.n)
        results: dict[str, dict[str, list[float]]] = {
            name: {"decide_us": [], "cold_s": []} for name in ("this", "other")
        }
        for round_ in range(args.rounds):
            order = (("this", here), ("other", other))
            for name, python in order if round_ % 2 == 0 else order[::-1]:
                results[name]["decide_us"].append(_per_record(python, records))
                results[name]["cold_s"].extend(_cold(python, case) for _ in range(args.cold_runs))
            print(f"round {round_ + 1}/{args.rounds} done", file=sys.stderr)
        counts = (
            {
                name: instruction_counts(py, records, case)
                for name, py in (("this", here), ("other", other))
            }
            if args.instructions
            else {}
        )
    summary = {
        name: {k: statistics.median(v) for k, v in values.items()}
        for name, values in results.items()
    }
    ratios = {k: summary["this"][k] / summary["other"][k] for k in summary["this"]}
    print(f"{'':22}{'this':>15}{'other':>15}{'this/other':>12}")
    print(
        f"{'decide() µs/record':22}{summary['this']['decide_us']:15.1f}"
        f"{summary['other']['decide_us']:15.1f}{ratios['decide_us']:12.3f}"
    )
    print(
        f"{'cold start s':22}{summary['this']['cold_s']:15.3f}"
        f"{summary['other']['cold_s']:15.3f}{ratios['cold_s']:12.3f}"
    )
    for key, label in (("cold_start", "cold start instr."), ("per_decide", "decide() instr.")):
        if counts:
            mine, theirs = counts["this"][key], counts["other"][key]
            print(f"{label:22}{mine:15,.0f}{theirs:15,.0f}{mine / theirs:12.3f}")
    if not args.no_write:
        path = write_results(
            "compare",
            {
                "machine": info,
                "summary": summary,
                "ratios": ratios,
                "rounds": results,
                "instructions": counts,
                "n": args.n,
                "case": case.name,
            },
        )
        print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
