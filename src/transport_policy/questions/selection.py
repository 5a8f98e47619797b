"""Which open facts a set of rules asks about, and each question as it is put to an assessor.

One reading serves a decision's questions (``decide``: the rules the procedure asks about) and
the question engine (:func:`.engine.next_questions`, which also skips the facts already put to
the assessor): the fields come from :meth:`~transport_policy.rules.conditions.Reading.questions`
in the record's field order, each with the clauses of the rules that ask it (in clause-catalogue
order), its prompt from the policy's questions file, and how it is answered from the field
registry.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from ..model.decision import NextQuestion, Question, trusted
from ..model.fields import FIELDS
from ..model.record import FIELD_ORDER
from ..rules.conditions import Reading
from ..rules.model import Policy, Rule


def asked_by(
    reading: Reading, rules: Iterable[Rule], skip: Collection[str] = ()
) -> dict[str, list[Rule]]:
    """Each field the rules ask about, with the rules that ask it, in the policy's order: the
    order of the first rule asking it, then the order its condition reads them."""
    asked: dict[str, list[Rule]] = {}
    for rule in rules:
        for path in reading.questions(rule.effective, skip):
            by = asked.setdefault(path, [])
            if rule not in by:
                by.append(rule)
    return asked


def in_field_order(asked: dict[str, list[Rule]]) -> dict[str, list[Rule]]:
    """The same questions in record field order (a decision's order)."""
    return {path: asked[path] for path in sorted(asked, key=FIELD_ORDER.__getitem__)}


def question(policy: Policy, path: str, rules: Iterable[Rule]) -> Question:
    """The question about one field, asked by these rules."""
    spec = FIELDS[path]
    values = spec.answer_values()
    clauses = dict.fromkeys(rule.clause for rule in rules)
    return trusted(  # text from the loaded policy and the registry: already of these types
        Question,
        path,
        sorted(clauses, key=policy.clause_order.__getitem__),
        policy.prompts[path],
        spec.answer_type,
        list(values) if values is not None else None,
    )


def next_question(policy: Policy, path: str, rules: list[Rule]) -> NextQuestion:
    """The question, with the rules its answer feeds (in the policy's order)."""
    base = question(policy, path, rules)
    return NextQuestion(**base.model_dump(), rules=[rule.id for rule in rules])
