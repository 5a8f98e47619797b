"""What the pages show, worked out from a decision and the case in progress: the live panel
(the current recommendation and what could still change it) and the check-answers rows."""

from __future__ import annotations

from dataclasses import dataclass

from ..documents import Journey
from ..documents.model import OUTCOME_WORDS, value_words
from ..model.decision import Decision
from ..model.fields import REGISTRY
from .forms import GROUPS, capital, label_of
from .interview import Interview
from .questions import Ask

SECTION_WORDS = {"case_id": "Case", "assessment_date": "Case"}


@dataclass(frozen=True)
class Panel:
    """The current recommendation and what could still change it."""

    outcome: str
    words: str
    undecided: tuple[str, ...]
    """Alternatives and grounds whose facts are not established yet (their summaries)."""
    to_ask: tuple[str, ...]
    """Questions still to come in this sitting (their prompts)."""
    not_known: tuple[str, ...]
    """Questions answered "don't know yet" that could still change it."""


def panel(decision: Decision, asks: list[Ask], asked: tuple[str, ...]) -> Panel:
    undecided = tuple(c.summary for c in decision.considered if c.status == "unknown")
    return Panel(
        outcome=decision.recommended_outcome,
        words=capital(OUTCOME_WORDS[decision.recommended_outcome]),
        undecided=undecided,
        to_ask=tuple(a.prompt for a in asks if a.field not in asked),
        not_known=tuple(a.prompt for a in asks if a.field in asked),
    )


@dataclass(frozen=True)
class Row:
    path: str
    label: str
    value: str
    action: str
    """"Change" for a field answered (or answered "don't know yet"), "Add" for one not asked."""
    hidden: str
    """The words after the action's word that only screen readers read ("change *age*")."""


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple[Row, ...]


def answer_sections(interview: Interview) -> tuple[list[Section], tuple[Row, ...]]:
    """The answers given (or in the record), by section, as the check-answers page lists them,
    and then every field not asked, that can be added. An override's reason is shown with (and
    changed with) its outcome."""
    sections: dict[str, list[Row]] = {}
    others: list[Row] = []
    for spec in REGISTRY:
        if spec.path in GROUPS and GROUPS[spec.path][0] != spec.path:
            continue
        title = SECTION_WORDS.get(spec.path) or capital(spec.section.replace("_", " "))
        shown = _shown(interview, spec.path)
        label = label_of(spec.path)
        if interview.value(spec.path) is not None or spec.path in interview.asked:
            hidden = f"{label.lower()} ({title.lower()})"
            sections.setdefault(title, []).append(Row(spec.path, label, shown, "Change", hidden))
        else:
            full = f"{title}: {label.lower()}"
            others.append(Row(spec.path, full, shown, "Add", full.lower()))
    return [Section(title, tuple(rows)) for title, rows in sections.items()], tuple(others)


def _shown(interview: Interview, path: str) -> str:
    value = interview.value(path)
    if path == "override.outcome" and value is not None:
        reason = interview.value("override.reason") or ""
        return f"{capital(value_words(value))}. Reason: {reason}"
    if value is None:
        return "Don't know yet" if path in interview.asked else "Not asked"
    return capital(value_words(value)) if not isinstance(value, str) or path in _WORDED else value


_WORDED = frozenset(s.path for s in REGISTRY if s.kind in ("enum", "bool"))


def journey(facts: Journey) -> str:
    """The journey in words, as a document reads it: purpose, destination, distance."""
    purpose, name, miles = facts.purpose, facts.destination_name, facts.distance_miles
    parts = [capital(value_words(purpose)) if purpose else "", f"at {name}" if name else ""]
    words = " ".join(p for p in parts if p)
    if miles is not None:
        words += f"{', ' if words else ''}{value_words(miles)} miles"
    return capital(words) or "Not recorded"
