"""Writing an impact report: a table for people, CSV, JSON or Parquet for analysis (the HTML
report for a committee paper is :mod:`.impact_html`).

CSV and Parquet hold one row per count (:data:`~.impact_tables.COLUMNS`; ``breakdown`` says
which table it belongs to), ready for a pivot table. JSON holds the same counts, then every case
that changed and every case rejected, written as they are read back from the partitions (so a
large report is never held in memory).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any, Final

from ..rules.model import Policy
from .impact_tables import COLUMNS, Count, Report

SHOWN: Final = 20
"""Changed and rejected cases listed in the table (all of them are in the JSON)."""
FORMATS: Final = ("table", "csv", "json", "parquet", "html")
BINARY: Final = frozenset({"parquet"})


def percent(value: float) -> str:
    """A percentage as every format writes it (one decimal place)."""
    return f"{value:.1f}"


def _version(policy: Policy) -> dict[str, str]:
    return {
        "version": policy.version,
        "effective_from": policy.effective_from.isoformat(),
        "digest": policy.digest,
        "directory": policy.directory,
    }


def write_csv(report: Report, out: IO[str]) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for count in report.counts:
        row = count.as_dict()
        row["percent"] = percent(count.percent)
        writer.writerow(row)


def write_parquet(report: Report, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {name: [c.as_dict()[name] for c in report.counts] for name in COLUMNS}
    types = {"cases": pa.int64(), "percent": pa.float64()}
    schema = pa.schema([(name, types.get(name, pa.string())) for name in COLUMNS])
    pq.write_table(pa.table(columns, schema=schema), path, compression="zstd")


def summary(report: Report) -> dict[str, Any]:
    """The report's heading numbers (JSON and HTML)."""
    return {
        "from": _version(report.before),
        "to": _version(report.after),
        "cases": report.cases,
        "outcome_changes": report.outcome_changes,
        "changed": report.changed,
        "rejected_cases": report.rejected,
        "by": list(report.by),
        "partitions_root": report.root,
    }


def write_json(report: Report, out: IO[str]) -> None:
    head = json.dumps(summary(report), indent=2, ensure_ascii=False)
    out.write(head[:-2] + ",\n")
    _json_list(out, "rows", (c.as_dict() for c in report.counts), last=False)
    _json_list(out, "changed_cases", report.changed_cases(), last=False)
    _json_list(out, "rejected", report.rejected_cases(), last=True)
    out.write("}\n")


def _json_list(out: IO[str], name: str, items: Iterable[dict[str, Any]], last: bool) -> None:
    out.write(f'  "{name}": [')
    for n, item in enumerate(items):
        out.write(("," if n else "") + "\n    " + json.dumps(item, ensure_ascii=False))
    out.write("\n  ]" + ("\n" if last else ",\n"))


def _arrow(a: str, b: str) -> str:
    return f"{a} → {b}" if a != b else f"{a} (unchanged)"


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], counts: int = 2) -> list[str]:
    """Aligned columns; the last ``counts`` are numbers (right-aligned)."""
    cells = [list(map(str, header)), *[list(map(str, r)) for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    first_number = len(header) - counts
    out = []
    for n, row in enumerate(cells):
        out.append(
            "  "
            + "  ".join(
                c.rjust(widths[i]) if i >= first_number else c.ljust(widths[i])
                for i, c in enumerate(row)
            ).rstrip()
        )
        if n == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return out


def _counts_table(counts: list[Count], header: Sequence[str], cells: Any) -> list[str]:
    if not counts:
        return ["  none"]
    return _table(
        (*header, "cases", "%"), [(*cells(c), c.cases, percent(c.percent)) for c in counts]
    )


def write_table(report: Report, out: IO[str]) -> None:
    b, a = report.before, report.after
    lines = [
        f"Impact of deciding under {a.version} (in force {a.effective_from.isoformat()}) instead "
        f"of {b.version} (in force {b.effective_from.isoformat()})",
        f"{report.cases} cases decided under both: {report.outcome_changes} change outcome, "
        f"{report.changed - report.outcome_changes} keep it with different reasons or questions"
        + (f"; {report.rejected} rejected (not counted)" if report.rejected else ""),
        "",
        "Outcome transitions (changed first; % of the cases decided)",
        *_counts_table(
            report.of_kind("transition"),
            ("from", "to"),
            lambda c: (c.before, c.after if c.outcome_changed else "(unchanged)"),
        ),
    ]
    for path in report.by:
        lines += ["", f"Outcome changes by {path} (% of the cases with that value)"]
        lines += _counts_table(report.of_kind("group_changed", path), (path,), lambda c: (c.value,))
        lines += ["", f"By {path} (% of the cases with that value)"]
        lines += _counts_table(
            report.of_kind("group", path),
            (path, "from → to"),
            lambda c: (c.value, _arrow(c.before, c.after)),
        )
    lines += ["", "What changed the decisions (% of the cases of the transition)"]
    lines += _counts_table(
        report.of_kind("cause"),
        ("change", "clause", "rule", "fact", "from → to"),
        lambda c: (c.change, c.clause, c.rule or "-", c.fact or "-", _arrow(c.before, c.after)),
    )
    lines += _case_lines(report)
    out.write("\n".join(lines) + "\n")


def _case_lines(report: Report) -> list[str]:
    """The table's sections listing the first cases that changed and were rejected."""
    lines: list[str] = []
    more = " (first {n}; all of them with --format json)"
    if report.changed:
        lines += [
            "",
            "Cases that changed" + (more.format(n=SHOWN) if report.changed > SHOWN else ""),
        ]
        lines += _table(
            ("case", "from → to", "source"),
            [
                (c["case_id"] or "", _arrow(c["from"], c["to"]), c["source"])
                for c in report.changed_cases(SHOWN)
            ],
            counts=0,
        )
    if report.rejected:
        lines += [
            "",
            "Rejected cases (not decided)"
            + (more.format(n=SHOWN) if report.rejected > SHOWN else ""),
        ]
        lines += [
            f"  {c['source']}: " + "; ".join(f"{e['field']}: {e['message']}" for e in c["errors"])
            for c in report.rejected_cases(SHOWN)
        ]
    return lines


def write(report: Report, fmt: str, out: IO[str] | None = None, path: Path | None = None) -> None:
    """Write the report in ``fmt`` to ``out`` (a text stream), or to the file ``path``."""
    if fmt == "parquet":
        assert path is not None, "a Parquet report is written to a file"
        write_parquet(report, path)
        return
    if out is None:
        assert path is not None
        with path.open("w", encoding="utf-8", newline="") as handle:
            write(report, fmt, handle)
        return
    if fmt == "html":
        from .impact_html import write_html

        write_html(report, out)
        return
    {"table": write_table, "csv": write_csv, "json": write_json}[fmt](report, out)


def render(report: Report, fmt: str) -> str:
    """The report in a text format, as one string (for small reports and tests)."""
    import io

    buffer = io.StringIO()
    write(report, fmt, buffer)
    return buffer.getvalue()
