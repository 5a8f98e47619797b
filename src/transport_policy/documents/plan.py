"""The support-plan section: the decision as the assessor records it in the care and support plan.

It holds the recommendation (or the assessor's decision when an override was applied), warnings,
the case and its journey, then why (each reason with its clause and the facts it read), what was
ruled out and how, what to ask next, the next steps, what to record in the plan, charges, how
transport is provided, how to appeal, the assessor's notes, and a receipt: the policy version and
digest, the input digest and, when known, the decision's place in a decision log. A section with
nothing in it is left out. Every sentence about the case comes from the decision itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model.decision import Considered, Decision, Reason
from .context import Context
from .model import (
    OUTCOME_WORDS,
    Document,
    Item,
    Section,
    appeal_route,
    assessor_words,
    clean,
    facts_words,
    journey_rows,
    log_words,
    policy_words,
    value_words,
)

STATUS_WORDS: dict[tuple[str, str], str] = {
    ("exclusion", "fails"): "Alternatives ruled out",
    ("exclusion", "defeated"): "Alternatives out of use for now",
    ("exclusion", "unknown"): "Alternatives not established",
    ("provide", "fails"): "Grounds for provision that do not apply",
    ("provide", "unknown"): "Grounds for provision not recorded",
}

REVIEW_WORDS = (
    "recommended; the policy sets no interval, so agree the review date with the person and "
    "record it in the plan"
)


def _headline(d: Decision) -> tuple[str, list[str]]:
    """The first line, and the lines that complete the recommendation."""
    lines: list[str] = []
    if d.override is not None:
        how = (
            "the same as the recommendation"
            if d.outcome == d.recommended_outcome
            else "overriding the recommendation"
        )
        first = f"Assessor's decision: {OUTCOME_WORDS[d.outcome]} ({how})"
        lines.append(f"Policy recommendation: {OUTCOME_WORDS[d.recommended_outcome]}")
        lines.append(f"Reason for the override [{d.override.clause}]: {clean(d.override.reason)}")
    else:
        first = f"Recommendation: {OUTCOME_WORDS[d.outcome]}"
    flags = []
    if d.temporary:
        flags.append(
            "This is temporary provision."
            if d.outcome == "provide"
            else "The policy recommended temporary provision."
        )
    if d.review_required:
        flags.append("Review the care and support plan.")
    if flags:
        lines.append(" ".join(flags))
    if d.questions:
        count = len(d.questions)
        asked = f"the {count} questions" if count > 1 else "the question"
        lines.append(f'Answer {asked} under "What to ask next", then decide again.')
    return first, lines


def _explained(entry: Reason | Considered) -> Item:
    details = (f"Facts: {facts_words(entry.facts)}",) if entry.facts else ()
    return Item(entry.summary, entry.clause, details)


def _sections(d: Decision, context: Context) -> list[Section]:
    def entries(rows: Iterable[tuple[str, str]]) -> tuple[Item, ...]:
        return tuple(Item(summary, clause) for clause, summary in rows)

    groups = tuple(
        (words, tuple(_explained(c) for c in d.considered if (c.kind, c.status) == key))
        for key, words in STATUS_WORDS.items()
    )
    provision: tuple[Item, ...] = ()
    if d.provision is not None:
        taxi = "Taxi allowed: " + value_words(d.provision.taxi_permitted)
        provision = (Item(d.provision.summary, d.provision.clause, (taxi,)),)
    questions = tuple(
        Item(q.prompt, None, (f"Record as {q.field}; settles {', '.join(q.clauses)}",))
        for q in d.questions
    )
    return [
        Section(
            "Why the policy recommends this" if d.override is not None else "Why",
            tuple(_explained(r) for r in d.reasons),
        ),
        Section("What was ruled out", groups=tuple(g for g in groups if g[1])),
        Section("What to ask next", questions, numbered=True),
        Section("Next steps", entries(context.facts.next_steps)),
        Section(
            "What to record in the support plan", entries((a.clause, a.summary) for a in d.actions)
        ),
        Section("Charges", entries((c.clause, c.summary) for c in d.charging)),
        Section("How transport is provided", provision),
        Section("How to appeal", entries((a.clause, a.summary) for a in appeal_route(d))),
        Section("Assessor's notes", paragraph=clean(d.notes).strip()),
    ]


def _summary(d: Decision, context: Context) -> list[tuple[str, str]]:
    who = assessor_words(d)
    rows = [("Case", clean(d.case_id)), *([("Assessed by", who)] if who else [])]
    rows += journey_rows(context)
    if d.review_required:
        rows.append(("Review", REVIEW_WORDS))
    return rows


def _receipt(d: Decision, context: Context) -> list[tuple[str, str]]:
    position = context.position
    return [
        ("Case", clean(d.case_id)),
        *([("File", clean(context.source))] if context.source else []),
        ("Policy", policy_words(d)),
        ("Version used", d.policy.selected),
        ("Policy digest", d.policy.digest),
        ("Engine", f"{d.engine.name} {d.engine.version}"),
        ("Input digest", d.input_digest),
        *log_words(context),
        *([("Log entry hash", position.entry_hash)] if position else []),
    ]


def support_plan(decision: Decision, context: Context | None = None) -> Document:
    """The support-plan section of ``decision``."""
    context = context or Context()
    title, lead = _headline(decision)
    return Document(
        audience="support-plan",
        case_id=clean(decision.case_id),
        title=title,
        lead=tuple(lead),
        warnings=tuple(decision.warnings),
        summary_title="The case",
        summary=tuple(_summary(decision, context)),
        sections=tuple(s for s in _sections(decision, context) if not s.empty),
        receipt_title="About this decision",
        receipt=tuple(_receipt(decision, context)),
    )


__all__ = ["STATUS_WORDS", "support_plan"]
