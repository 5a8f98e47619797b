"""What a document says about the case beyond the decision's own verdict: the journey decided,
the assessment date, the next steps, and where the decision came from (file, log entry).

:func:`case_facts` is the one place that reads the journey, the assessment date and the next
steps. A decision that carries them (the output keys ``assessment_date``, ``journey`` and
``next_steps``) is read first, since it is what the person was told; otherwise they come from the
assessment record, when there is one (a case file, or a log entry that logged its record).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model.decision import Decision
from ..model.record import AssessmentRecord

if TYPE_CHECKING:
    from ..audit.log import Appended


@dataclass(frozen=True)
class Journey:
    """The journey decided on; each part ``None`` when not recorded."""

    purpose: str | None = None
    destination_name: str | None = None
    distance_miles: float | None = None


@dataclass(frozen=True)
class LogPosition:
    """Where a decision sits in a decision log: its file, sequence number, time and hash."""

    log: str
    seq: int
    time: str
    entry_hash: str

    @classmethod
    def of(cls, log: str | Path, appended: Appended) -> LogPosition:
        """The position of an entry just appended to the log at ``log``."""
        return cls(str(log), appended.seq, appended.time, appended.hash)


@dataclass(frozen=True)
class CaseFacts:
    """The journey, the assessment date and the next steps (``(clause, summary)`` pairs)."""

    assessment_date: dt.date | None = None
    journey: Journey = field(default_factory=Journey)
    next_steps: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Context:
    """Everything a document needs beside the decision."""

    facts: CaseFacts = field(default_factory=CaseFacts)
    source: str | None = None
    """The case file or decision file rendered (its name), if any."""
    position: LogPosition | None = None


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def case_facts(decision: Decision, record: Mapping[str, Any] | None) -> CaseFacts:
    """The journey, assessment date and next steps: the decision's keys when it has them, else
    the record's fields (``assessment_date``, ``destination.purpose``, ``destination.name``,
    ``destination.distance_miles``); next steps come only from the decision."""
    shown: Mapping[str, Any] = decision.model_dump(mode="json")
    if shown.get("journey") is not None:  # null only in a decision made before the key existed
        journey = shown["journey"]
        date = shown.get("assessment_date")
        steps = tuple((s["clause"], s["summary"]) for s in shown.get("next_steps") or ())
    else:
        journey = dict((record or {}).get("destination") or {})
        journey["destination_name"] = journey.get("name")
        date = (record or {}).get("assessment_date")
        steps = ()
    return CaseFacts(
        assessment_date=_date(date),
        journey=Journey(
            _text(journey.get("purpose")),
            _text(journey.get("destination_name")),
            _number(journey.get("distance_miles")),
        ),
        next_steps=steps,
    )


def case_context(
    decision: Decision,
    record: AssessmentRecord,
    path: str | None = None,
    position: LogPosition | None = None,
) -> Context:
    """The context of a decision just made from ``record``, read from the case file ``path``
    (``-`` or ``None``: standard input or no file) and logged at ``position``, if it was."""
    source = Path(path).name if path not in (None, "-") else None
    return Context(case_facts(decision, record.model_dump(mode="json")), source, position)


__all__ = ["CaseFacts", "Context", "Journey", "LogPosition", "case_context", "case_facts"]
