"""The letter: the decision as the person (or their representative) reads it.

Plain English, with no clause ids or digests: what was decided and why, the journey and the
assessment date, what happens next, and how to appeal — the appeal only where there is a decision
(`provide`, `do_not_provide`, `out_of_scope`) and the decision gives a route. When more
information is needed, the letter says that nothing has been decided yet and what is needed,
and says nothing about appealing. Every sentence about the case comes from the decision; this
module adds the sentence saying what was decided, headings and labels.
"""

from __future__ import annotations

from ..model.decision import Decision, Outcome
from .context import Context
from .model import (
    DECIDED,
    OUTCOME_WORDS,
    Document,
    Item,
    Section,
    appeal_route,
    clean,
    facts_words,
    journey_rows,
    log_words,
)

DECIDED_WORDS: dict[Outcome, str] = {
    "provide": "The Council will provide or arrange transport for your journey.",
    "do_not_provide": "The Council will not provide or arrange transport for your journey.",
    "out_of_scope": "The Council's transport policy for adults does not apply to your journey, "
    "so it does not provide transport under that policy.",
    "needs_information": "Nothing has been decided yet: we need more information first.",
}

TEMPORARY_WORDS = "This is temporary: transport is provided for now."

REVIEW_WORDS = (
    "Your assessor recommends a review of your care and support plan, and will agree the date "
    "of the review with you."
)

WAITING_WORDS = "When we have this information, your assessor will make a decision."

TOLD_ACTIONS = ("review.withdrawal",)
"""The support-plan actions the person is told of in the letter as well: what happens to the
transport they have now (the other actions are the assessor's to carry out)."""


def _lead(d: Decision) -> list[str]:
    lead = [DECIDED_WORDS[d.outcome]]
    if d.temporary and d.outcome == "provide":
        lead.append(TEMPORARY_WORDS)
    if d.override is not None:
        lead.append("Your assessor made this decision.")
    return lead


def _why(d: Decision) -> Section:
    if d.outcome not in DECIDED:
        return Section("Why we decided this")
    if d.override is not None:
        return Section(
            "Why we decided this",
            (
                Item(f"Your assessor's reason: {clean(d.override.reason)}"),
                Item(
                    "The policy's rules on their own recommended: "
                    f"{OUTCOME_WORDS[d.recommended_outcome]}."
                ),
            ),
        )
    return Section(
        "Why we decided this",
        tuple(
            Item(r.summary, None, (f"What we recorded: {facts_words(r.facts)}",) if r.facts else ())
            for r in d.reasons
        ),
    )


def _needed(d: Decision, context: Context) -> Section:
    if d.outcome != "needs_information":
        return Section("What we need to know")
    steps = context.facts.next_steps
    items = [Item(summary) for _, summary in steps] or [Item(q.prompt) for q in d.questions]
    return Section("What we need to know", tuple(items))


def _next(d: Decision, context: Context) -> Section:
    items: list[Item] = []
    if d.provision is not None:
        items.append(Item(d.provision.summary))
    items += [Item(c.summary) for c in d.charging]
    items += [Item(a.summary) for a in d.actions if a.clause in TOLD_ACTIONS]
    if d.outcome != "needs_information":
        items += [Item(summary) for _, summary in context.facts.next_steps]
    if d.review_required:
        items.append(Item(REVIEW_WORDS))
    if d.outcome == "needs_information":
        items.append(Item(WAITING_WORDS))
    return Section("What happens next", tuple(items))


def letter(decision: Decision, context: Context | None = None) -> Document:
    """The letter telling the person about ``decision``."""
    context = context or Context()
    d = decision
    summary = [("Your reference", clean(d.case_id)), *journey_rows(context)]
    if d.review_required:
        summary.append(("Review", "recommended: your assessor will agree the date with you"))
    who = clean(d.assessor.name or "") if d.assessor else ""
    receipt = [
        *([("Your assessor", who)] if who else []),
        ("Policy", f"{d.policy.id} version {d.policy.version}"),
        *log_words(context),
    ]
    sections = (
        _why(d),
        _needed(d, context),
        _next(d, context),
        Section("If you disagree", tuple(Item(a.summary) for a in appeal_route(d))),
    )
    return Document(
        audience="letter",
        case_id=clean(d.case_id),
        title="Your transport assessment",
        lead=tuple(_lead(d)),
        warnings=(),
        summary_title="Your assessment",
        summary=tuple(summary),
        sections=tuple(s for s in sections if not s.empty),
        receipt_title="About this letter",
        receipt=tuple(receipt),
    )


__all__ = ["letter"]
