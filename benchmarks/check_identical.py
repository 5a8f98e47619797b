"""Check that two checkouts decide byte for byte alike: decision JSON, text and Markdown
renderings, digests and decision-log lines.

Every golden case in ``cases/`` and ``--n`` generated records (``corpus.py``) are decided by this
checkout and by another one (``--other-python``: the interpreter of a virtualenv where the other
checkout is installed, e.g. the commit before a performance change), each in its own process.
For each record the outputs are: ``Decision.to_json()``, ``model_dump(mode="json")`` as canonical
JSON, the text and Markdown renderings, the record's ``input_digest``, and the lines a full and a
minimal decision log get (with a fixed clock). The two outputs are compared line by line::

    git worktree add ../before HEAD~1
    python3 -m venv ../before/.venv && ../before/.venv/bin/pip install -e ../before
    python benchmarks/check_identical.py --other-python ../before/.venv/bin/python

Records are restricted to the fields both checkouts know, an enum value the other checkout does
not have left unknown (as ``bench_compare.py`` does). The
exit status is 0 when every output is identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_compare import write_shared_records

ROOT = Path(__file__).resolve().parents[1]

_EMIT = r"""
import json, sys, tempfile
from pathlib import Path
from transport_policy import decide, load_case, parse_record
from transport_policy.audit.log import DecisionLog
from transport_policy.digest import canonical_json
from transport_policy.documents import render
from transport_policy.documents.context import case_context

cases, records, out = sys.argv[1], sys.argv[2], sys.argv[3]
items = []
for path in sorted(Path(cases).glob("*.yaml")):
    record, _ = load_case(path)
    items.append((path.name, record, str(path)))
for i, line in enumerate(open(records, encoding="utf-8")):
    items.append((f"corpus {i}", json.loads(line), f"record-{i}.json"))
tick = iter(range(10**9))
clock = lambda: f"2021-03-15T10:00:00.{next(tick) % 1000:03d}Z"
with tempfile.TemporaryDirectory() as tmp, open(out, "w", encoding="utf-8") as sink:
    full = DecisionLog(Path(tmp) / "full.log", clock=clock).__enter__()
    minimal = DecisionLog(Path(tmp) / "minimal.log", minimal=True, clock=clock).__enter__()
    for name, data, where in items:
        try:
            decision = decide(data)
        except Exception as exc:
            sink.write(json.dumps([name, "error", type(exc).__name__, str(exc)]) + "\n")
            continue
        # golden cases: the record object decided (its digest's bytes are reused by the log);
        # generated records: validated again here, so the log serialises them afresh
        record = data if not isinstance(data, dict) else parse_record(data)
        context = case_context(decision, record, where, None)
        rows = [
            decision.to_json(),
            canonical_json(decision.model_dump(mode="json")).decode(),
            decision.input_digest,
            render(decision, "text", context=context, width=88),
            render(decision, "markdown", context=context, width=88),
        ]
        full.append(decision, record)
        minimal.append(decision, record)
        for row in rows:
            sink.write(json.dumps([name, row], ensure_ascii=False) + "\n")
    full.close(); minimal.close()
    for log in ("full.log", "minimal.log"):
        for line in open(Path(tmp) / log, encoding="utf-8"):
            sink.write(json.dumps([log, line], ensure_ascii=False) + "\n")
"""


def _emit(python: str, records: Path, out: Path) -> None:
    subprocess.run(
        [python, "-c", _EMIT, str(ROOT / "cases"), str(records), str(out)],
        check=True,
        cwd=ROOT,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--other-python",
        required=True,
        help="the Python of a virtualenv where the other checkout is installed",
    )
    parser.add_argument("--n", type=int, default=5000, help="generated records (default 5000)")
    parser.add_argument("--seed", type=int, default=2021, help="corpus seed (default 2021)")
    args = parser.parse_args(argv)
    here, other = sys.executable, args.other_python
    with tempfile.TemporaryDirectory() as tmp:
        records = Path(tmp) / "records.jsonl"
        write_shared_records(records, other, args.n, args.seed)
        outputs = {name: Path(tmp) / f"{name}.jsonl" for name in ("this", "other")}
        _emit(here, records, outputs["this"])
        _emit(other, records, outputs["other"])
        this = outputs["this"].read_bytes().splitlines()
        that = outputs["other"].read_bytes().splitlines()
    diffs = [i for i, (a, b) in enumerate(zip(this, that, strict=False)) if a != b]
    diffs += list(range(min(len(this), len(that)), max(len(this), len(that))))
    golden = len(list((ROOT / "cases").glob("*.yaml")))
    print(
        f"records decided: {golden} golden cases + {args.n} generated; "
        f"outputs compared: {max(len(this), len(that))} (decision JSON, canonical JSON, "
        f"input digest, text, Markdown; full and minimal log lines); differing: {len(diffs)}"
    )
    for i in diffs[:10]:
        print(f"first difference at output {i}:")
        print("  this: ", this[i][:300].decode(errors="replace") if i < len(this) else "(none)")
        print("  other:", that[i][:300].decode(errors="replace") if i < len(that) else "(none)")
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())
