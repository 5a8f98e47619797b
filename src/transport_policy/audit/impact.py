"""Impact analysis: decide every case under two policy versions and compare the outcomes.

Each case becomes one row (:func:`assess`): its outcome under each version, the fields it is
broken down by (service area, age band and any other the user names), and what caused any
change: the reasons that appear or disappear (``added``, ``removed``), each with its rule and the
facts it cites, and the questions newly asked or no longer asked (``asked``, ``not_asked``), each
with the field asked about. The rows are written, in input order, as verifiable Parquet
partitions (:mod:`.partitions`), never kept in memory, and the counts are computed over those
files by DuckDB (:mod:`.impact_tables`), so memory does not grow with the number of cases or of
changed cases. :mod:`.impact_report` and :mod:`.impact_html` render the counts.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ..api import select_policy
from ..batch.inputs import Item, expand_inputs, item_record, iter_items
from ..batch.pool import chunked
from ..batch.workers import Workers, map_chunks
from ..engine import engine_for
from ..errors import RecordError, TransportPolicyError
from ..model.decision import Decision
from ..model.fields import FIELDS, closest
from ..model.record import AssessmentRecord
from ..rules.model import Policy
from ..rules.versions import PolicyStore

if TYPE_CHECKING:
    import pyarrow as pa

    from .impact_tables import Report

WHY: Final = "requested for impact analysis"
AGE_BAND: Final = "person.age_band"
DEFAULT_BY: Final = ("person.service_area", AGE_BAND)
"""Every report is broken down by these; ``--by`` adds others."""
AGE_BANDS: Final = ((18, "under 18"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54"))
AGE_BANDS_OLDER: Final = ((65, "55-64"), (75, "65-74"), (85, "75-84"))
UNKNOWN: Final = "unknown"
GROUPABLE: Final = ("bool", "enum", "integer")
"""Field kinds a breakdown can use: each has a small set of values (free text never)."""


class ImpactError(TransportPolicyError):
    """An impact analysis that cannot be made as asked (a breakdown by an unknown field)."""


def age_band(age: int | None) -> str:
    """The age band of an age in years, as equality monitoring usually groups ages."""
    if age is None:
        return UNKNOWN
    for limit, name in (*AGE_BANDS, *AGE_BANDS_OLDER):
        if age < limit:
            return name
    return "85 and over"


def groupable_fields() -> list[str]:
    """The field paths a report can be broken down by."""
    return [AGE_BAND, *(f.path for f in FIELDS.values() if f.kind in GROUPABLE)]


def group_fields(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The breakdowns of a report: the defaults, then each of ``extra`` once (an unknown or
    free-valued field is an :class:`ImpactError` naming the closest field)."""
    out = list(DEFAULT_BY)
    allowed = groupable_fields()
    for name in extra:
        if name in allowed:
            if name not in out:
                out.append(name)
            continue
        spec = FIELDS.get(name)
        if spec is not None:
            raise ImpactError(
                f"{name} is {spec.kind.replace('_', ' ')}: a breakdown needs a field with a "
                "small set of values (yes/no, one of a list, or a whole number such as "
                f"person.age; {AGE_BAND} groups ages)"
            )
        raise ImpactError(f"no field {name!r} to break the report down by{closest(name, allowed)}")
    return tuple(out)


def group_value(record: AssessmentRecord, path: str) -> str:
    """The value of a breakdown field for a record, as text (``unknown`` when not recorded)."""
    if path == AGE_BAND:
        return age_band(getattr(record.person, "age", None))
    value: Any = record
    for part in path.split("."):
        value = getattr(value, part, None)
    if value is None:
        return UNKNOWN
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
class Settings:
    """What a worker needs to assess a case: the versions and the breakdown fields."""

    versions: Versions
    by: tuple[str, ...] = DEFAULT_BY


def _causes(old: Decision, new: Decision) -> list[dict[str, str | None]]:
    """What changed between two decisions of a case: reasons added or removed (each with its
    rule and every fact it cites) and questions newly asked or no longer asked."""
    out: list[dict[str, str | None]] = []
    for change, decision, other in (("added", new, old), ("removed", old, new)):
        gone = {r.clause for r in other.reasons}
        for reason in decision.reasons:
            if reason.clause not in gone:
                facts: list[str | None] = [*reason.facts] or [None]
                for fact in facts:
                    out.append(_cause(change, reason.clause, reason.rule, fact))
    for change, decision, other in (("asked", new, old), ("not_asked", old, new)):
        asked = {q.field for q in other.questions}
        for question in decision.questions:
            if question.field not in asked:
                out.append(_cause(change, question.clauses[0], None, question.field))
    return out


def _cause(change: str, clause: str, rule: str | None, fact: str | None) -> dict[str, str | None]:
    return {"change": change, "clause": clause, "rule": rule, "fact": fact}


def assess(item: Item, settings: Settings) -> dict[str, Any]:
    """One input item decided under both versions, as a row of :func:`partition_schema`."""
    versions = settings.versions
    row: dict[str, Any] = {
        "index": item.ordinal,
        "source": item.source,
        "case_id": None,
        "status": "rejected",
        "from": None,
        "to": None,
        "outcome_changed": False,
        "changed": False,
        **dict.fromkeys(settings.by),
        "causes": [],
        "errors": [],
    }
    try:
        record = item_record(item)
        row["case_id"] = record.case_id
        old, new = (
            engine_for(select_policy(record, version=v, rules=r)).decide(record, selected=WHY)
            for v, r in (
                (versions.before, versions.rules),
                (versions.after, versions.to_rules or versions.rules),
            )
        )
    except RecordError as exc:
        row["case_id"] = row["case_id"] or exc.case_id
        row["errors"] = [e.as_dict() for e in exc.errors]
        return row
    except TransportPolicyError as exc:
        row["errors"] = [{"field": "(engine)", "message": str(exc)}]
        return row
    except Exception as exc:  # a fault, not the case's: the other cases are still compared
        message = f"could not be compared (unexpected {type(exc).__name__}; please report it)"
        row["errors"] = [{"field": "(record)", "message": message}]
        return row
    causes = _causes(old, new)
    row.update(
        {
            "status": "decided",
            "from": old.outcome,
            "to": new.outcome,
            "outcome_changed": old.outcome != new.outcome,
            "changed": old.outcome != new.outcome or bool(causes),
            "causes": causes,
        }
    )
    row.update({path: group_value(record, path) for path in settings.by})
    return row


def _assess_chunk(chunk: list[Item], settings: Settings) -> list[tuple[dict[str, Any], int]]:
    return [(assess(item, settings), item.size) for item in chunk]


def partition_schema(by: Sequence[str]) -> pa.Schema:
    """The columns of the per-case rows: one per breakdown field, named by its path."""
    import pyarrow as pa

    text = pa.string()
    cause = pa.struct([("change", text), ("clause", text), ("rule", text), ("fact", text)])
    error = pa.struct([("field", text), ("message", text)])
    return pa.schema(
        [
            pa.field("index", pa.int64(), nullable=False),
            ("source", text),
            ("case_id", text),
            pa.field("status", text, nullable=False),
            ("from", text),
            ("to", text),
            pa.field("outcome_changed", pa.bool_(), nullable=False),
            pa.field("changed", pa.bool_(), nullable=False),
            *((path, text) for path in by),
            ("causes", pa.list_(cause)),
            ("errors", pa.list_(error)),
        ]
    )


def analyse(
    inputs: Sequence[str],
    versions: Versions,
    *,
    by: Iterable[str] = (),
    jobs: int | None = None,
    workers: Workers | None = None,
    partitions: str | Path | None = None,
    partition_rows: int | None = None,
    chunk_size: int = 100,
    skipped: list[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Decide every input record under both versions and count what changes.

    The per-case rows go to ``partitions`` (a folder, kept) or to a temporary folder removed
    when the report is closed. ``progress`` is called with the input bytes of each case done.
    The entries of input folders that are not read are added to ``skipped`` when it is given.
    """
    from .impact_tables import Report
    from .partitions import PARTITION_ROWS, PartitionWriter

    settings = Settings(versions, group_fields(by))
    before, after = versions.policies()
    temporary = tempfile.TemporaryDirectory(prefix="impact-") if partitions is None else None
    folder = Path(temporary.name if temporary is not None else str(partitions))
    try:
        chunks = chunked(iter_items(expand_inputs(inputs, skipped)), chunk_size)
        warm = (
            (versions.rules, versions.before),
            (versions.to_rules or versions.rules, versions.after),
        )
        mapped = map_chunks(_assess_chunk, chunks, settings, workers or Workers(jobs=jobs), warm)
        about = {"command": "impact", "from": before.version, "to": after.version}
        with (
            closing(mapped),
            PartitionWriter(
                folder,
                "impact",
                partition_schema(settings.by),
                partition_rows=partition_rows or PARTITION_ROWS,
                about=about,
            ) as writer,
        ):
            for results in mapped:
                for row, size in results:
                    writer.add(row)
                    if progress is not None:
                        progress(size)
        return Report.of(before, after, settings.by, folder, writer.root, temporary)
    except BaseException:
        if temporary is not None:
            temporary.cleanup()
        raise


__all__ = [
    "AGE_BAND",
    "DEFAULT_BY",
    "ImpactError",
    "Settings",
    "Versions",
    "age_band",
    "analyse",
    "assess",
    "group_fields",
    "partition_schema",
]
