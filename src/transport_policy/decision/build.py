"""Assembling the pydantic :class:`~transport_policy.model.decision.Decision` of one record.

The evaluator's statuses (one per condition *slot*: ``<rule>/condition``, ``<rule>/unless``,
``<rule>/also/<i>``, ``<rule>/summary/<i>``, see :meth:`Rule.slots`) are read here, and only
here, into typed rule states and text variants (:class:`SlotReader`, made once per engine);
:func:`.precedence.precedence` decides which rules hold, are asked or were considered, and
:class:`.wording.Wording` words them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from ..model.decision import (
    AppliedOverride,
    Assessor,
    Considered,
    Decision,
    EngineRef,
    Entry,
    Journey,
    NextStep,
    PolicyRef,
    Provision,
    Reason,
    trusted,
    trusted_named,
)
from ..model.record import AssessmentRecord
from ..rules.conditions import (
    FAILS,
    HOLDS,
    UNKNOWN,
    All,
    AnyOf,
    Not,
    Reading,
    Statuses,
    can_reach,
)
from ..rules.model import Policy, Rule
from .precedence import (
    STATES,
    RuleState,
    RuleStatus,
    Verdict,
    grounds_roles,
    precedence,
    rule_state,
)
from .wording import (
    HEALTH_SAFETY,
    Explanations,
    Wording,
    constant_entries,
    health_safety_warning,
    review_warning,
)

_Cited = TypeVar("_Cited", Reason, Considered, Entry, NextStep)
_R = TypeVar("_R", Rule, tuple[Rule, RuleStatus])
_THREE = (HOLDS, FAILS, UNKNOWN)
_STATE = {(c, u): rule_state(c, u) for c in _THREE for u in _THREE}


class SlotVariants:
    """Text variants read from the evaluator's statuses of their ``when`` slots."""

    __slots__ = ("_also", "_st", "_summary")

    def __init__(self, reader: SlotReader, st: Statuses) -> None:
        self._summary = reader.summary_keys
        self._also = reader.also_keys
        self._st = st

    def summary(self, rule: Rule, index: int) -> bool:
        return self._st[self._summary[rule.id][index]] == HOLDS

    def also(self, rule: Rule, index: int) -> bool:
        return self._st[self._also[rule.id][index]] == HOLDS


class SlotReader:
    """The names of one policy's slots, made once: the evaluator's statuses read as typed rule
    states and text variants."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        plain = [r for r in policy.rules if r.unless is None]
        self.plain_ids = tuple(r.id for r in plain)
        self.plain_keys = tuple(f"{r.id}/condition" for r in plain)
        self.defeasible = tuple(
            (r.id, f"{r.id}/condition", f"{r.id}/unless")
            for r in policy.rules
            if r.unless is not None
        )
        self.summary_keys = {
            r.id: tuple(f"{r.id}/summary/{i}" for i in range(len(r.summary))) for r in policy.rules
        }
        self.also_keys = {
            r.id: tuple(f"{r.id}/also/{i}" for i in range(len(r.also_cites))) for r in policy.rules
        }
        self.settled = tuple(
            (id(cond), slot)
            for slot, cond in policy.slots
            if slot not in policy.trigger_slots and isinstance(cond, (All, AnyOf, Not))
        )
        """The three-valued slots whose status the explanation pass would otherwise work out
        again (leaves are read directly): condition node ``id`` and slot."""
        self.entries = constant_entries(policy)
        """The entries of rules worded alike for every record, made once."""
        self.explanations = Explanations(policy)
        """Rules' explanations, remembered across records."""
        self.exclusions = tuple(
            (r, f"{r.id}/condition", f"{r.id}/unless" if r.unless is not None else None)
            for r in policy.by_kind.get("exclusion", ())
        )
        self.never_false = policy.unknown_if_false

    def states(self, st: Statuses, facts: Mapping[str, object]) -> dict[str, RuleState]:
        """Every rule's state (rule id → state); an unknown exclusion that cannot fail is read
        from ``facts`` (as the rules read them) to find whether it is pending."""
        found = map(STATES.__getitem__, map(st.__getitem__, self.plain_keys))
        states = dict(zip(self.plain_ids, found, strict=True))
        for rule_id, condition, unless in self.defeasible:
            states[rule_id] = _STATE[st[condition], st[unless]]
        for rule, cond_slot, unless_slot in self.exclusions:
            defeater = st[unless_slot] if unless_slot is not None else None
            # whether the condition can fail matters only when it is unknown and not defeated
            if st[cond_slot] != UNKNOWN or defeater not in (None, FAILS):
                continue
            can_fail = can_reach(rule.condition, facts, FAILS, self.never_false)
            states[rule.id] = rule_state(UNKNOWN, defeater, can_fail=can_fail)
        return states

    def variants(self, st: Statuses) -> SlotVariants:
        return SlotVariants(self, st)

    def decide(
        self,
        record: AssessmentRecord,
        st: Statuses,
        facts: Mapping[str, object],
        raw: Mapping[str, object],
    ) -> tuple[Verdict, Wording]:
        """The verdict for ``record`` from the statuses of every slot of the policy, and the
        wording to give it (``facts``: as the rules read them; ``raw``: as recorded)."""
        states = self.states(st, facts)
        requested = record.override.outcome if record.override is not None else None
        verdict = precedence(self.policy, states, requested)
        settled = {node: st[slot] for node, slot in self.settled}
        wording = Wording(
            self.policy,
            states,
            Reading(facts, settled),
            raw,
            self.variants(st),
            self.entries,
            self.explanations,
        )
        return verdict, wording


def _recorded(record: AssessmentRecord, path: str) -> Any:
    """The recorded value of a registry field (``None``: unknown)."""
    section, _, name = path.partition(".")
    return getattr(getattr(record, section, None), name, None)


def _journey(record: AssessmentRecord) -> Journey:
    """The journey as recorded: the record's validated values, already of the journey's types
    (a distance is a float once validated), so the model is made without validating again."""
    return trusted(
        Journey,
        _recorded(record, "destination.purpose"),
        _recorded(record, "destination.name"),
        _recorded(record, "destination.distance_miles"),
    )


def _in_clause_order(items: list[_Cited], order: Mapping[str, int]) -> list[_Cited]:
    if len(items) > 1:
        items.sort(key=lambda item: order[item.clause])
    return items


def _by_clause(rules: Iterable[_R]) -> dict[str, list[_R]]:
    """Rules (or rules with a status) grouped by the clause they cite, in order: the branches of
    one clause (e.g. public and voluntary transport) give one entry."""
    out: dict[str, list[_R]] = {}
    for item in rules:
        clause = item[0].clause if type(item) is tuple else item.clause  # type: ignore[attr-defined]
        found = out.get(clause)
        if found is None:
            out[clause] = [item]
        else:
            found.append(item)
    return out


def _reasons(verdict: Verdict, wording: Wording) -> list[Reason]:
    rec = verdict.recommendation
    reasons: list[Reason] = []
    for branches in _by_clause(rec.grounds).values():
        rule = branches[0]
        reasons.append(wording.reason(rule, branches[1:]))
        reasons.extend(wording.also_reasons(rule))
    if rec.past_scope:
        reasons.extend(
            wording.procedure_reasons(
                rec.outcome.value, grounds_roles(rec), temporary=rec.temporary
            )
        )
    return _in_clause_order(reasons, wording.policy.clause_order)


def _with_requirements(provision: Provision, record: AssessmentRecord) -> Provision:
    """The provision with what the transport must offer (the record's vehicle needs)."""
    needs = _recorded(record, "travel.vehicle_needs")
    if not needs:
        return provision
    # the provision's fields as they are, and the record's validated list of vehicle needs
    return trusted(
        Provision,
        provision.taxi_permitted,
        provision.clause,
        provision.rule,
        provision.summary,
        list(needs),
    )


def _applied_override(record: AssessmentRecord, verdict: Verdict) -> AppliedOverride | None:
    """The assessor's override as applied (when a rule applies it), else ``None``."""
    if verdict.override is None or record.override is None:
        return None
    return trusted(
        AppliedOverride,
        record.override.outcome,
        record.override.reason,
        verdict.override.clause,
        verdict.override.id,
    )


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
    considered = [wording.considered(branches) for branches in _by_clause(rec.considered).values()]
    provision = verdict.provision
    assessor = record.assessor
    # Every value below comes from the validated record or the loaded policy, so already has its
    # field's type: the models are made without validating again (see model.decision.trusted).
    return trusted_named(
        Decision,
        case_id=record.case_id,
        assessment_date=record.assessment_date,
        journey=_journey(record),
        outcome=verdict.outcome,
        recommended_outcome=rec.outcome.value,
        temporary=verdict.temporary,
        review_required=verdict.review,
        reasons=_reasons(verdict, wording),
        considered=_in_clause_order(considered, order),
        questions=wording.questions(rec.asked),
        next_steps=_in_clause_order(
            [trusted(NextStep, r.clause, wording.summary(r)) for r in verdict.next_steps],
            order,
        ),
        charging=_in_clause_order(list(map(wording.entry, verdict.charging)), order),
        provision=_with_requirements(wording.provision(*provision), record)
        if provision is not None
        else None,
        actions=_in_clause_order(list(map(wording.entry, verdict.actions)), order),
        appeal=_in_clause_order(list(map(wording.entry, verdict.appeal)), order),
        override=_applied_override(record, verdict),
        assessor=trusted(Assessor, assessor.id, assessor.name) if assessor else None,
        notes=record.judgement.notes or "",
        warnings=[
            *(wording.summary(rule) for rule in verdict.warnings),
            *health_safety_warning(_recorded(record, HEALTH_SAFETY), verdict.outcome, policy),
            *review_warning(record.assessment_date, policy),
        ],
        policy=trusted(
            PolicyRef,
            policy.id,
            policy.version,
            policy.digest,
            policy.effective_from.isoformat(),
            selected,
        ),
        engine=engine,
        input_digest=input_digest,
    )
