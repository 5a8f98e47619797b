"""The questions the interview asks, from the question engine, in the form the pages use.

:func:`questions_for` is the one place the pages get their questions from. Today it reads the
service's ``next_questions`` (the questions a decision carries, with answer types and allowed
values); the interview's question engine, ``next_questions(record, policy)``, replaces that one
call.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from ..model.decision import NextQuestion
from ..model.record import AssessmentRecord
from ..questions import next_questions
from ..rules.model import Policy


@dataclass(frozen=True)
class Clause:
    id: str
    section: str
    text: str


@dataclass(frozen=True)
class Ask:
    """One question: the field it fills, its prompt, its allowed values (``None``: free value),
    the clauses that make it matter (with their text) and the rules it feeds."""

    field: str
    prompt: str
    answer_type: str
    allowed: tuple[object, ...] | None
    clauses: tuple[Clause, ...]
    rules: tuple[str, ...]


def questions_for(
    record: AssessmentRecord, policy: Policy, skip: Collection[str] = ()
) -> list[Ask]:
    """The next questions for ``record`` under ``policy``, in the policy's order; facts in
    ``skip`` (put to the assessor and left as "don't know yet") are not asked again."""
    return [ask_from(q, policy) for q in next_questions(record, policy, skip=skip)]


def ask_from(question: NextQuestion, policy: Policy) -> Ask:
    allowed = question.allowed_values
    return Ask(
        field=question.field,
        prompt=question.prompt,
        answer_type=question.answer_type,
        allowed=tuple(allowed) if allowed is not None else None,
        clauses=clauses_of(policy, question.clauses),
        rules=tuple(question.rules),
    )


def clauses_of(policy: Policy, ids: Iterable[str]) -> tuple[Clause, ...]:
    """Each named clause with its section and text (a clause the policy lacks is left out)."""
    out = []
    for cid in ids:
        spec = policy.clauses.get(str(cid))
        if spec is not None:
            out.append(Clause(spec.id, spec.section, spec.text))
    return tuple(out)


def rules_reading(policy: Policy, field: str) -> tuple[str, ...]:
    """The rules whose conditions read ``field``."""
    return tuple(rule.id for rule in policy.rules if field in rule.fields)


def clauses_reading(policy: Policy, field: str) -> tuple[Clause, ...]:
    """The clauses of the rules that read ``field`` (why a field not asked now still matters)."""
    ids = dict.fromkeys(policy.rule_index[r].clause for r in rules_reading(policy, field))
    return clauses_of(policy, ids)
