"""The document model: what a document says, before it is given a format.

A :class:`Document` is built once per audience (:mod:`.plan`, :mod:`.letter`) and every format
(text, Markdown, HTML, PDF, DOCX) renders the same one, so all formats hold the same facts in the
same order. This module also holds the few words every document shares: outcomes, fact values,
dates and the journey.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from ..model.decision import Decision, Entry, FactValue, Outcome
from ..model.fields import field_words
from ..model.record import FIELD_ORDER
from .context import Context

Audience = Literal["letter", "support-plan"]
AUDIENCES: tuple[Audience, ...] = ("support-plan", "letter")

DECIDED: frozenset[Outcome] = frozenset({"provide", "do_not_provide", "out_of_scope"})
"""The outcomes that are a decision, and so can be appealed."""

OUTCOME_WORDS: dict[Outcome, str] = {
    "provide": "provide Council transport",
    "do_not_provide": "do not provide Council transport",
    "out_of_scope": "this policy does not apply (out of scope)",
    "needs_information": "none yet (more information is needed)",
}

VALUE_WORDS: dict[object, str] = {
    True: "yes",
    False: "no",
    None: "not known",
    "person": "the person",
    "carer": "a carer",
}

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

NOT_RECORDED = "not recorded"

KEEP = "\xa0"
"""Joins the words of one fact so that wrapping does not split it; shown as a plain space."""


@dataclass(frozen=True)
class Item:
    """One entry of a section: its text, the clause cited, and detail lines beneath it."""

    text: str
    clause: str | None = None
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """A headed part of a document: items, groups of items under subheadings, or a paragraph."""

    title: str
    items: tuple[Item, ...] = ()
    groups: tuple[tuple[str, tuple[Item, ...]], ...] = ()
    numbered: bool = False
    paragraph: str = ""

    @property
    def empty(self) -> bool:
        return not (self.items or self.groups or self.paragraph)


@dataclass(frozen=True)
class Document:
    """One decision as one audience reads it.

    ``title`` is the first line (the page's main heading); ``lead`` the lines that complete it;
    ``summary`` the facts of the case (label, value) shown straight after; ``sections`` the
    non-empty parts in order; ``receipt`` identifies the decision (label, value).
    """

    audience: Audience
    case_id: str
    title: str
    lead: tuple[str, ...]
    warnings: tuple[str, ...]
    summary_title: str
    summary: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]
    receipt_title: str
    receipt: tuple[tuple[str, str], ...]


def clean(text: str) -> str:
    """Input text without control characters (which could drive a terminal); tabs become spaces."""
    return "".join(
        c if c.isprintable() or c == "\n" else " " if c in "\t\r\xa0" else "?" for c in text
    )


def value_words(value: FactValue) -> str:
    """A fact value in words: ``with_support`` is "with support", true "yes", null "not known"."""
    if isinstance(value, bool) or value is None:
        return VALUE_WORDS[value]
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return VALUE_WORDS.get(value, value.replace("_", " "))
    if isinstance(value, list):
        return ", ".join(value_words(v) for v in value) or "none"
    return str(value)


def facts_words(facts: dict[str, FactValue]) -> str:
    """The facts a clause read, in words, in record order (a decision log keeps a decision's
    keys sorted, so this is the order a logged decision can be shown in too); each fact is kept
    on one line when wrapped."""
    ordered = sorted(facts.items(), key=lambda kv: FIELD_ORDER.get(kv[0], len(FIELD_ORDER)))
    return "; ".join(f"{field_words(k)}: {value_words(v)}".replace(" ", KEEP) for k, v in ordered)


def date_words(date: dt.date | None) -> str:
    """``14 June 2021`` (the same in every locale), or "not recorded"."""
    return f"{date.day} {MONTHS[date.month - 1]} {date.year}" if date else NOT_RECORDED


def journey_rows(context: Context) -> list[tuple[str, str]]:
    """The assessment date and the journey: purpose, destination and, when known, distance."""
    facts = context.facts
    journey = facts.journey
    rows = [
        ("Assessment date", date_words(facts.assessment_date)),
        ("Journey", value_words(journey.purpose) if journey.purpose else NOT_RECORDED),
        ("Destination", clean(journey.destination_name or NOT_RECORDED)),
    ]
    if journey.distance_miles is not None:
        miles = journey.distance_miles
        rows.append(("Distance", f"{miles:g} mile" + ("" if miles == 1 else "s")))
    return rows


def appeal_route(decision: Decision) -> list[Entry]:
    """The appeal route, only where there is a decision to appeal (never on
    ``needs_information``); empty when the decision gives none."""
    return list(decision.appeal) if decision.outcome in DECIDED else []


def assessor_words(decision: Decision) -> str:
    """``name (id)``, the name or the id alone, or an empty string."""
    if decision.assessor is None or not (decision.assessor.name or decision.assessor.id):
        return ""
    name, ident = clean(decision.assessor.name or ""), clean(decision.assessor.id or "")
    return f"{name} ({ident})" if name and ident else name or ident


def policy_words(decision: Decision) -> str:
    policy = decision.policy
    return f"{policy.id} version {policy.version}, effective from {policy.effective_from}"


def log_words(context: Context) -> list[tuple[str, str]]:
    """The log entry a decision was read from, when it was read from one."""
    where = context.position
    if where is None:
        return []
    return [("Log entry", f"entry {where.seq} of {clean(where.log)}, logged {where.time}")]


__all__ = [
    "AUDIENCES",
    "DECIDED",
    "OUTCOME_WORDS",
    "Audience",
    "Document",
    "Item",
    "Section",
    "appeal_route",
    "clean",
    "date_words",
    "facts_words",
    "journey_rows",
    "value_words",
]
