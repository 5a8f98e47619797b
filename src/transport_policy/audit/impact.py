"""Impact analysis: decide every case under two policy versions and compare the outcomes.

The report counts the outcome transitions (``provide → do_not_provide``, ...), and breaks them
down by service area and by the clauses responsible: the reason clauses that appear in the new
decision and not the old one (``added``), or the other way round (``removed``).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ..api import select_policy
from ..batch.inputs import Item, expand_inputs, item_record, iter_items
from ..batch.pool import chunked, default_jobs, ordered_map
from ..engine import engine_for
from ..errors import RecordError, TransportPolicyError
from ..rules.model import Policy
from ..rules.versions import PolicyStore

WHY: Final = "requested for impact analysis"
SHOWN: Final = 20
"""Changed cases listed in the table (all of them are in the JSON)."""
CSV_COLUMNS: Final = ("breakdown", "service_area", "clause", "change", "from", "to", "cases")


@dataclass(frozen=True)
class Versions:
    """The two versions compared, and where their rules are (``to_rules`` defaults to ``rules``)."""

    before: str
    after: str
    rules: str | None = None
    to_rules: str | None = None

    def policies(self) -> tuple[Policy, Policy]:
        """Both versions, loaded (a :class:`PolicyVersionError` names an unknown one)."""
        return (
            PolicyStore(self.rules).get(self.before),
            PolicyStore(self.to_rules or self.rules).get(self.after),
        )


@dataclass(frozen=True)
class CaseImpact:
    """One case under both versions (or why it could not be decided)."""

    index: int
    source: str
    case_id: str | None
    service_area: str = "unknown"
    before: str = ""
    after: str = ""
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    errors: tuple[dict[str, str], ...] = ()

    @property
    def changed(self) -> bool:
        return self.before != self.after or bool(self.added or self.removed)


def assess(item: Item, versions: Versions) -> CaseImpact:
    """Decide one input item under both versions."""
    try:
        record = item_record(item)
        decisions = [
            engine_for(select_policy(record, version=v, rules=r)).decide(record, selected=WHY)
            for v, r in (
                (versions.before, versions.rules),
                (versions.after, versions.to_rules or versions.rules),
            )
        ]
    except RecordError as exc:
        return CaseImpact(
            item.ordinal, item.source, exc.case_id, errors=tuple(e.as_dict() for e in exc.errors)
        )
    except TransportPolicyError as exc:
        return CaseImpact(
            item.ordinal, item.source, None, errors=({"field": "(engine)", "message": str(exc)},)
        )
    old, new = ([r.clause for r in d.reasons] for d in decisions)
    return CaseImpact(
        item.ordinal,
        item.source,
        record.case_id,
        record.person.service_area or "unknown",
        decisions[0].outcome,
        decisions[1].outcome,
        tuple(c for c in new if c not in old),
        tuple(c for c in old if c not in new),
    )


def _assess_chunk(chunk: list[Item], versions: Versions) -> list[CaseImpact]:
    return [assess(item, versions) for item in chunk]


@dataclass
class Report:
    """The counts of an impact analysis, and the cases that changed or were rejected."""

    before: Policy
    after: Policy
    cases: int = 0
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_area: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    by_clause: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    changed: list[CaseImpact] = field(default_factory=list)
    rejected: list[CaseImpact] = field(default_factory=list)

    def add(self, case: CaseImpact) -> None:
        if case.errors:
            self.rejected.append(case)
            return
        self.cases += 1
        self.transitions[case.before, case.after] += 1
        self.by_area[case.service_area, case.before, case.after] += 1
        for change, clauses in (("added", case.added), ("removed", case.removed)):
            for clause in clauses:
                self.by_clause[clause, change, case.before, case.after] += 1
        if case.changed:
            self.changed.append(case)

    @property
    def outcome_changes(self) -> int:
        return sum(n for (a, b), n in self.transitions.items() if a != b)


def analyse(
    inputs: Sequence[str],
    versions: Versions,
    *,
    jobs: int | None = None,
    chunk_size: int = 100,
    skipped: list[str] | None = None,
) -> Report:
    """Decide every input record under both versions and count what changes.

    The entries of input folders that are not read (subfolders, other files) are added to
    ``skipped`` when it is given.
    """
    before, after = versions.policies()
    report = Report(before, after)
    chunks = chunked(iter_items(expand_inputs(inputs, skipped)), chunk_size)
    for results in ordered_map(_assess_chunk, chunks, versions, jobs or default_jobs()):
        for case in results:
            report.add(case)
    return report


def _arrow(a: str, b: str) -> str:
    return f"{a} → {b}" if a != b else f"{a} (unchanged)"


def _rows(report: Report) -> Iterable[dict[str, Any]]:
    for (a, b), n in sorted(report.transitions.items()):
        yield {"breakdown": "transition", "from": a, "to": b, "cases": n}
    for (area, a, b), n in sorted(report.by_area.items()):
        yield {"breakdown": "service_area", "service_area": area, "from": a, "to": b, "cases": n}
    for (clause, change, a, b), n in sorted(report.by_clause.items()):
        yield {
            "breakdown": "clause",
            "clause": clause,
            "change": change,
            "from": a,
            "to": b,
            "cases": n,
        }


def _version(policy: Policy) -> dict[str, str]:
    return {
        "version": policy.version,
        "effective_from": policy.effective_from.isoformat(),
        "digest": policy.digest,
        "directory": policy.directory,
    }


def to_json(report: Report) -> str:
    data = {
        "from": _version(report.before),
        "to": _version(report.after),
        "cases": report.cases,
        "outcome_changes": report.outcome_changes,
        "rows": list(_rows(report)),
        "changed_cases": [
            {
                "index": c.index,
                "source": c.source,
                "case_id": c.case_id,
                "service_area": c.service_area,
                "from": c.before,
                "to": c.after,
                "added": list(c.added),
                "removed": list(c.removed),
            }
            for c in report.changed
        ],
        "rejected": [
            {"index": c.index, "source": c.source, "case_id": c.case_id, "errors": list(c.errors)}
            for c in report.rejected
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def to_csv(report: Report) -> str:
    """One row per count (``breakdown`` says which table it belongs to); pivot-friendly."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in _rows(report):
        writer.writerow({k: row.get(k, "") for k in CSV_COLUMNS})
    return buffer.getvalue()


def _table(
    header: Sequence[str], rows: Sequence[Sequence[object]], counts: bool = True
) -> list[str]:
    """Aligned columns; the last is a count (right-aligned) unless ``counts`` is false."""
    cells = [list(map(str, header)), *[list(map(str, r)) for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    out = []
    for n, row in enumerate(cells):
        last = len(row) - 1 if counts else -1
        out.append(
            "  "
            + "  ".join(
                c.rjust(widths[i]) if i == last else c.ljust(widths[i]) for i, c in enumerate(row)
            ).rstrip()
        )
        if n == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return out


def to_table(report: Report) -> str:
    b, a = report.before, report.after
    lines = [
        f"Impact of deciding under {a.version} (in force {a.effective_from.isoformat()}) instead "
        f"of {b.version} (in force {b.effective_from.isoformat()})",
        f"{report.cases} cases decided under both: {report.outcome_changes} change outcome, "
        f"{len(report.changed) - report.outcome_changes} keep it with different reasons"
        + (f"; {len(report.rejected)} rejected (not counted)" if report.rejected else ""),
        "",
        "Outcome transitions (changed first)",
        *_table(
            ("from", "to", "cases"),
            [
                (x, y if x != y else "(unchanged)", n)
                for (x, y), n in sorted(
                    report.transitions.items(), key=lambda kv: (kv[0][0] == kv[0][1], -kv[1], kv[0])
                )
            ],
        ),
    ]
    moved = sorted((k, n) for k, n in report.by_area.items() if k[1] != k[2])
    lines += ["", "Changed outcomes by service area"]
    lines += (
        _table(
            ("service area", "from → to", "cases"),
            [(area, _arrow(x, y), n) for (area, x, y), n in moved],
        )
        if moved
        else ["  none"]
    )
    lines += ["", "Clauses responsible (reasons that appear or disappear)"]
    clauses = sorted(report.by_clause.items())
    lines += (
        _table(
            ("clause", "change", "from → to", "cases"),
            [(c, ch, _arrow(x, y), n) for (c, ch, x, y), n in clauses],
        )
        if clauses
        else ["  none"]
    )
    lines += _case_lines(report)
    return "\n".join(lines) + "\n"


def _case_lines(report: Report) -> list[str]:
    """The table's sections listing the cases that changed and the rejected cases."""
    lines: list[str] = []
    if report.changed:
        lines += [
            "",
            "Cases that changed"
            + (
                f" (first {SHOWN}; all of them with --format json)"
                if len(report.changed) > SHOWN
                else ""
            ),
        ]
        lines += _table(
            ("case", "from → to", "source"),
            [
                (c.case_id or "", _arrow(c.before, c.after), c.source)
                for c in report.changed[:SHOWN]
            ],
            counts=False,
        )
    if report.rejected:
        lines += ["", "Rejected cases (not decided)"]
        lines += [
            f"  {c.source}: " + "; ".join(f"{e['field']}: {e['message']}" for e in c.errors)
            for c in report.rejected
        ]
    return lines


def render(report: Report, fmt: str) -> str:
    return {"table": to_table, "csv": to_csv, "json": to_json}[fmt](report)


__all__ = ["CaseImpact", "Report", "Versions", "analyse", "assess", "render"]
