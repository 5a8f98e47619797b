"""Assembling the pydantic :class:`~transport_policy.model.decision.Decision` of one record.

The evaluator's statuses (one per condition *slot*: ``<rule>/condition``, ``<rule>/unless``,
``<rule>/also/<i>``, ``<rule>/summary/<i>``, see :meth:`Rule.slots`) are read here, and only
here, into typed rule states (:func:`slot_states`) and text variants (:class:`SlotVariants`);
:func:`.precedence.precedence` decides which rules hold, are asked or were considered, and
:class:`.wording.Wording` words them.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..model.decision import AppliedOverride, Assessor, Decision, EngineRef, PolicyRef, Reason
from ..model.record import AssessmentRecord
from ..rules.conditions import HOLDS, Reading, Statuses
from ..rules.model import Policy, Rule
from .precedence import RuleState, Verdict, precedence, rule_state
from .wording import Wording


def slot_states(policy: Policy, st: Statuses) -> dict[str, RuleState]:
    """Every rule's state (rule id → state) from the statuses of its condition and defeater."""
    return {
        rule.id: rule_state(
            st[f"{rule.id}/condition"],
            None if rule.unless is None else st[f"{rule.id}/unless"],
        )
        for rule in policy.rules
    }


class SlotVariants:
    """Text variants read from the evaluator's statuses of their ``when`` slots."""

    __slots__ = ("st",)

    def __init__(self, st: Statuses) -> None:
        self.st = st

    def summary(self, rule: Rule, index: int) -> bool:
        return self.st[f"{rule.id}/summary/{index}"] == HOLDS

    def also(self, rule: Rule, index: int) -> bool:
        return self.st[f"{rule.id}/also/{index}"] == HOLDS


def decide_statuses(
    record: AssessmentRecord,
    policy: Policy,
    st: Statuses,
    facts: Mapping[str, object],
    raw: Mapping[str, object],
) -> tuple[Verdict, Wording]:
    """The verdict for ``record`` from the statuses of every slot of ``policy``, and the wording
    to give it (``facts``: as the rules read them; ``raw``: as recorded, for the texts)."""
    states = slot_states(policy, st)
    requested = record.override.outcome if record.override is not None else None
    verdict = precedence(policy, states, requested)
    return verdict, Wording(policy, states, Reading(facts), raw, SlotVariants(st))


def _reasons(verdict: Verdict, wording: Wording) -> list[Reason]:
    rec = verdict.recommendation
    reasons: list[Reason] = []
    for rule in rec.grounds:
        reasons.append(wording.reason(rule))
        if rec.outcome.value == "out_of_scope":
            reasons.extend(wording.also_reasons(rule))
    if rec.past_scope:
        reasons.extend(wording.procedure_reasons(rec.outcome.value))
    order = wording.policy.clause_order
    return sorted(reasons, key=lambda r: order[r.clause])


def assemble(
    record: AssessmentRecord,
    verdict: Verdict,
    wording: Wording,
    *,
    engine: EngineRef,
    input_digest: str,
    selected: str,
) -> Decision:
    """The decision: the verdict in words, with the record's and policy's references."""
    policy = wording.policy
    order = policy.clause_order
    rec = verdict.recommendation
    applied = None
    if verdict.override is not None and record.override is not None:
        applied = AppliedOverride(
            outcome=record.override.outcome,
            reason=record.override.reason,
            clause=verdict.override.clause,
            rule=verdict.override.id,
        )
    considered = [wording.considered(rule, status) for rule, status in rec.considered]
    provision = verdict.provision
    return Decision(
        case_id=record.case_id,
        outcome=verdict.outcome,  # type: ignore[arg-type]
        recommended_outcome=rec.outcome.value,
        temporary=rec.temporary,
        review_required=rec.review,
        reasons=_reasons(verdict, wording),
        considered=sorted(considered, key=lambda c: order[c.clause]),
        questions=wording.questions(rec.asked),
        charging=sorted(map(wording.entry, verdict.charging), key=lambda e: order[e.clause]),
        provision=wording.provision(*provision) if provision is not None else None,
        actions=sorted(map(wording.entry, verdict.actions), key=lambda e: order[e.clause]),
        appeal=sorted(map(wording.entry, verdict.appeal), key=lambda e: order[e.clause]),
        override=applied,
        assessor=Assessor(id=record.assessor.id, name=record.assessor.name)
        if record.assessor
        else None,
        notes=record.judgement.notes or "",
        warnings=[wording.summary(rule) for rule in verdict.warnings],
        policy=PolicyRef(
            id=policy.id,
            version=policy.version,
            digest=policy.digest,
            effective_from=policy.effective_from.isoformat(),
            selected=selected,
        ),
        engine=engine,
        input_digest=input_digest,
    )
