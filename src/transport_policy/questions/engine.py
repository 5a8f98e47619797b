"""The question engine: the next questions that could change a partial record's outcome.

:func:`next_questions` is shared by ``decide`` (a decision's ``questions``), the interview
(``transport-policy interview``) and the service (``POST /v1/questions``). It reads the record as
the decision procedure does (docs/decision-procedure.md): nothing is asked once the
recommendation is settled; otherwise the facts the procedure asks about, in the policy's order.
Facts already put to the assessor and left open (``skip``: "don't know yet") are not asked
again; when they were all the procedure would ask, the questions go on in the same order (the
next part of a condition, the other alternatives, the next stage) to whatever else could still
change the outcome.

Only relevant questions are returned: every one is proved able to change the recommendation,
for some answering of the record's other open facts, by the verifier's reading of the policy
(:class:`~transport_policy.verify.relevance.Relevance`, the per-record form of the proof behind
``rules check``'s "pointless-question" finding).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from ..casefile import parse_record
from ..decision.precedence import Outcome, States, pending, recommend
from ..engine.runtime import policy_fields, record_facts
from ..errors import FieldError, RecordError
from ..model.decision import NextQuestion
from ..model.fields import FIELDS, closest
from ..model.record import AssessmentRecord
from ..rules.conditions import Reading
from ..rules.model import Policy, Rule
from .selection import asked_by, next_question

if TYPE_CHECKING:
    from ..verify.relevance import Relevance

_DECIDING = ("scope", "exclusion", "provide")
_KEPT = 8
"""Policy versions whose relevance tables are kept (least recently used dropped first)."""
_relevance: OrderedDict[str, Relevance] = OrderedDict()
_lock = threading.Lock()


def relevance_of(policy: Policy) -> Relevance:
    """The verifier's relevance tables of a policy version, made once per content (the verifier
    is imported on first use, so that ``decide``, which shares this package, starts quickly)."""
    from ..verify.relevance import Relevance

    with _lock:
        found = _relevance.get(policy.digest)
        if found is not None:
            _relevance.move_to_end(policy.digest)
            return found
    made = Relevance(policy)
    with _lock:
        _relevance[policy.digest] = made
        while len(_relevance) > _KEPT:
            _relevance.popitem(last=False)
    return made


def _check_skip(skip: Collection[str], case_id: str) -> frozenset[str]:
    errors = [
        FieldError(f"skip[{n}]", "is not a field path of the record" + closest(path, FIELDS))
        for n, path in enumerate(skip)
        if path not in FIELDS
    ]
    if errors:
        raise RecordError(errors, case_id=case_id)
    return frozenset(skip)


def _groups(policy: Policy, states: States) -> list[list[Rule]]:
    """The rules whose facts are asked, in the procedure's order: the open scope rules; the
    pending alternatives (established but for their defeaters); every open alternative."""
    kinds = policy.by_kind

    def open_(kind: str) -> list[Rule]:
        return [r for r in kinds.get(kind, ()) if states[r.id].open]

    alternatives = open_("exclusion")
    return [open_("scope"), pending(alternatives, states), alternatives]


def next_questions(
    record: Mapping[str, object] | AssessmentRecord,
    policy: Policy | str | None = None,
    *,
    skip: Collection[str] = (),
) -> list[NextQuestion]:
    """The next questions that could change the outcome of a partial record, in the policy's
    order: the order of the rules asking them, then the order each rule's condition reads them
    (an empty list once the outcome is settled).

    ``record`` is a mapping (validated strictly, as :func:`~transport_policy.decide` does) or an
    :class:`AssessmentRecord`; ``policy`` a loaded :class:`Policy`, a version name, or by
    default the bundled version in force on the assessment date. ``skip`` names fields already
    put to the assessor and left open, which are not asked again. Each question carries the
    field, how it is answered and the allowed values, the prompt, the clauses that make it
    relevant and the rules its answer feeds. With nothing skipped the fields are exactly those of
    the decision's ``questions`` (which lists them in the record's field order).
    """
    from ..verify.space import state_of  # with the verifier, on first use (see relevance_of)

    validated = parse_record(record)
    if not isinstance(policy, Policy):
        from ..api import select_policy  # the API decides with the engine, which reads this module

        policy = select_policy(validated, version=policy)
    skipped = _check_skip(skip, validated.case_id)
    facts = record_facts(validated, policy_fields(policy), policy)
    never_false = policy.unknown_if_false
    states = {r.id: state_of(r, facts, never_false) for r in policy.rules if r.kind in _DECIDING}
    if recommend(policy, states).outcome is not Outcome.NEEDS_INFORMATION:
        return []
    relevance = relevance_of(policy)
    reading = Reading(facts)

    def matters(path: str) -> bool:
        if path not in relevance.table_of:
            return not relevance.complete  # a rule set the verifier cannot split: unproved
        return relevance.relevant(facts, path)

    for group in _groups(policy, states):
        asked = asked_by(reading, group, skipped)
        found = [next_question(policy, p, rules) for p, rules in asked.items() if matters(p)]
        if found:
            return found
    return []
