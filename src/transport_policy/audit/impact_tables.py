"""The counts of an impact analysis, computed by DuckDB over the per-case Parquet partitions.

Three breakdowns, every one with the unchanged cases too, each count with a percentage:

* ``transition``: cases by outcome before and after, as a share of all cases decided;
* ``group``: the same within each value of each breakdown field (service area, age band, ...), as
  a share of the cases with that value; and ``group_changed``, the cases with each value whose
  outcome changes (``from`` and ``to`` empty), as a share of the cases with that value: where
  a change falls harder on one group than another;
* ``cause``: the cases whose decision gained or lost a reason (its clause, rule and each fact it
  cites) or a question (the field asked), by transition, as a share of the cases of that
  transition.

Nothing here holds the cases themselves: the changed and rejected cases are read back from the
files, a batch at a time, when they are listed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import duckdb

from ..model.fields import FIELDS
from ..rules.model import Policy
from .impact import AGE_BAND, AGE_BANDS, AGE_BANDS_OLDER, UNKNOWN
from .partitions import files

COLUMNS: Final = (
    "breakdown",
    "field",
    "value",
    "change",
    "clause",
    "rule",
    "fact",
    "from",
    "to",
    "cases",
    "percent",
)
FETCH_ROWS: Final = 2048
DUCKDB_CONFIG: Final[dict[str, str | bool | int | float | list[str]]] = {
    "threads": 2,
    "memory_limit": "256MB",
}


@dataclass(frozen=True)
class Count:
    """One count of the report (a CSV row)."""

    breakdown: str
    before: str
    after: str
    cases: int
    percent: float
    """Of the cases decided (``transition``), of those with the value (``group``), or of those
    of the transition (``cause``), rounded to one decimal place."""
    field: str = ""
    value: str = ""
    change: str = ""
    clause: str = ""
    rule: str = ""
    fact: str = ""

    @property
    def outcome_changed(self) -> bool:
        return self.before != self.after

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["from"], data["to"] = data.pop("before"), data.pop("after")
        return {k: data[k] for k in COLUMNS}


@dataclass
class Report:
    """The counts of an impact analysis; the per-case rows stay in ``folder``."""

    before: Policy
    after: Policy
    by: tuple[str, ...]
    folder: Path
    root: str
    """The root of the per-case partitions (``audit verify FOLDER --root ROOT``)."""
    cases: int = 0
    """Cases decided under both versions."""
    rejected: int = 0
    changed: int = 0
    """Cases whose outcome, reasons or questions differ."""
    outcome_changes: int = 0
    counts: list[Count] = field(default_factory=list)
    temporary: tempfile.TemporaryDirectory[str] | None = None

    @classmethod
    def of(
        cls,
        before: Policy,
        after: Policy,
        by: tuple[str, ...],
        folder: Path,
        root: str,
        temporary: tempfile.TemporaryDirectory[str] | None = None,
    ) -> Report:
        report = cls(before, after, by, folder, root, temporary=temporary)
        parts = files(folder)
        if parts:
            with duckdb.connect(config=DUCKDB_CONFIG) as con:
                con.read_parquet(parts).create_view("cases")
                report._count(con)
        return report

    def _count(self, con: duckdb.DuckDBPyConnection) -> None:
        totals = con.execute(
            "SELECT count(*) FILTER (status = 'decided'), count(*) FILTER (status <> 'decided'),"
            " count(*) FILTER (changed), count(*) FILTER (outcome_changed) FROM cases"
        ).fetchone()
        assert totals is not None
        self.cases, self.rejected, self.changed, self.outcome_changes = map(int, totals)
        self.counts = [
            *_transitions(con),
            *(c for path in self.by for c in _groups(con, path)),
            *(c for path in self.by for c in _group_changes(con, path)),
            *_causes(con),
        ]

    def of_kind(self, breakdown: str, path: str | None = None) -> list[Count]:
        return [c for c in self.counts if c.breakdown == breakdown and path in (None, c.field)]

    def changed_cases(self, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """The cases that changed, in input order, read back from the partitions."""
        groups = ", ".join(_quote(p) for p in self.by)
        columns = f'"index", source, case_id, {groups}, "from", "to", outcome_changed, causes'
        return self._select(columns, "changed", limit)

    def rejected_cases(self, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """The cases that could not be decided, in input order."""
        return self._select('"index", source, case_id, errors', "status <> 'decided'", limit)

    def _select(self, columns: str, where: str, limit: int | None) -> Iterator[dict[str, Any]]:
        left = limit
        with duckdb.connect(config=DUCKDB_CONFIG) as con:
            for part in files(self.folder):
                cursor = con.execute(f"SELECT {columns} FROM read_parquet(?) WHERE {where}", [part])
                names = [d[0] for d in cursor.description]
                while batch := cursor.fetchmany(FETCH_ROWS):
                    for values in batch:
                        if left is not None:
                            if left <= 0:
                                return
                            left -= 1
                        yield dict(zip(names, values, strict=True))

    def close(self) -> None:
        """Remove the per-case rows when they were written to a temporary folder."""
        if self.temporary is not None:
            self.temporary.cleanup()
            self.temporary = None

    def __enter__(self) -> Report:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _percent(value: float) -> float:
    return round(float(value), 1)


def _transitions(con: duckdb.DuckDBPyConnection) -> list[Count]:
    rows = con.execute(
        'SELECT "from", "to", count(*), 100.0 * count(*) / sum(count(*)) OVER () FROM cases '
        'WHERE status = \'decided\' GROUP BY "from", "to"'
    ).fetchall()
    counts = [Count("transition", a, b, int(n), _percent(p)) for a, b, n, p in rows]
    return sorted(counts, key=lambda c: (not c.outcome_changed, -c.cases, c.before, c.after))


def _groups(con: duckdb.DuckDBPyConnection, path: str) -> list[Count]:
    column = _quote(path)
    rows = con.execute(
        f'SELECT {column}, "from", "to", count(*), '
        f"100.0 * count(*) / sum(count(*)) OVER (PARTITION BY {column}) FROM cases "
        f'WHERE status = \'decided\' GROUP BY {column}, "from", "to"'
    ).fetchall()
    order = value_order(path)
    counts = [
        Count("group", a, b, int(n), _percent(p), field=path, value=str(v))
        for v, a, b, n, p in rows
    ]
    return sorted(
        counts, key=lambda c: (order(c.value), not c.outcome_changed, -c.cases, c.before, c.after)
    )


def _group_changes(con: duckdb.DuckDBPyConnection, path: str) -> list[Count]:
    column = _quote(path)
    rows = con.execute(
        f"SELECT {column}, count(*) FILTER (outcome_changed), "
        f"100.0 * count(*) FILTER (outcome_changed) / count(*) FROM cases "
        f"WHERE status = 'decided' GROUP BY {column}"
    ).fetchall()
    order = value_order(path)
    counts = [
        Count("group_changed", "", "", int(n), _percent(p), field=path, value=str(v))
        for v, n, p in rows
    ]
    return sorted(counts, key=lambda c: order(c.value))


def _causes(con: duckdb.DuckDBPyConnection) -> list[Count]:
    rows = con.execute(
        'WITH transitions AS (SELECT "from", "to", count(*) AS n FROM cases '
        "WHERE status = 'decided' GROUP BY ALL), "
        'causes AS (SELECT "from", "to", unnest(causes, recursive := true) FROM cases '
        "WHERE changed) "
        'SELECT change, clause, rule, fact, "from", "to", count(*), '
        "100.0 * count(*) / any_value(transitions.n) "
        'FROM causes JOIN transitions USING ("from", "to") '
        'GROUP BY change, clause, rule, fact, "from", "to"'
    ).fetchall()
    counts = [
        Count(
            "cause", a, b, int(n), _percent(p), change=ch, clause=cl, rule=ru or "", fact=fa or ""
        )
        for ch, cl, ru, fa, a, b, n, p in rows
    ]
    return sorted(counts, key=lambda c: (-c.cases, c.change, c.clause, c.fact, c.before, c.after))


def value_order(path: str) -> Any:
    """A sort key for the values of a breakdown field: its documented order, unknown last."""
    if path == AGE_BAND:
        known = [name for _, name in (*AGE_BANDS, *AGE_BANDS_OLDER)] + ["85 and over"]
    else:
        spec = FIELDS.get(path)
        known = list(spec.values) if spec is not None and spec.values else ["true", "false"]

    def key(value: str) -> tuple[int, float, str]:
        if value == UNKNOWN:
            return (2, 0.0, value)
        if value in known:
            return (0, float(known.index(value)), value)
        try:
            return (1, float(value), value)
        except ValueError:
            return (1, 0.0, value)

    return key
