"""The policy's precedence, as a pure function of the rules' statuses.

Scope first, then "any alternative means no transport", then "ask what could still make an
alternative hold", then "provide as a last resort"; then the override, the charges, the provision,
the support-plan actions and the appeal route. Durable-rules decides every condition; it cannot
express this precedence (it has no negation over derived facts: "no exclusion holds"), so it is
applied here, over typed statuses, with no wording and no condition tested.

The same functions serve the engine (:mod:`.build`) and ``rules check`` (:mod:`..verify`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from ..rules.conditions import FAILS, HOLDS, UNKNOWN, Status
from ..rules.model import Policy, Rule


class RuleStatus(StrEnum):
    """A rule's status for one record."""

    HOLDS = "holds"
    FAILS = "fails"
    UNKNOWN = "unknown"
    DEFEATED = "defeated"
    """An exclusion whose condition holds and whose defeater holds: the alternative exists but
    is out of use for now (provision is then temporary)."""


class Outcome(StrEnum):
    PROVIDE = "provide"
    DO_NOT_PROVIDE = "do_not_provide"
    OUT_OF_SCOPE = "out_of_scope"
    NEEDS_INFORMATION = "needs_information"


@dataclass(frozen=True, slots=True)
class RuleState:
    """A rule's status, and whether it is *pending*: an exclusion whose condition holds and
    whose defeater is unknown (established but for its defeater), or whose condition cannot fail
    and nothing can defeat (:func:`rule_state`); or *settled*: unknown, but defeated whatever its
    unknown facts are."""

    status: RuleStatus
    pending: bool = False
    settled: bool = False
    """An unknown exclusion whose defeater holds: it cannot hold whatever its unknown facts are,
    so nothing is asked about it (its status shows the alternative's own facts are unknown)."""

    @property
    def open(self) -> bool:
        """Unknown, and still able to hold or fail: its facts are worth asking."""
        return self.status is RuleStatus.UNKNOWN and not self.settled


def rule_state(
    condition: Status, unless: Status | None = None, *, can_fail: bool = True
) -> RuleState:
    """A rule's state from the statuses of its condition and (exclusions) its defeater.

    The defeater is read after every part of the condition: an exclusion whose condition holds
    is defeated when its defeater holds (the alternative exists but is out of use for now), holds
    when it fails, and is unknown and pending when it is unknown. While the condition is unknown
    the exclusion is unknown; when its defeater holds too it is settled: it cannot hold, so it
    is not asked about, and its status says only that the alternative's facts are unknown.

    An unknown condition that cannot fail (``can_fail``: whatever its unknown facts turn out to
    be, it holds or stays unknown) with no defeater standing in the way (none, or it fails) is
    pending too: its facts can only settle it, so asking anything else cannot matter.
    """
    if unless is None or condition != HOLDS:
        if condition == UNKNOWN:
            if unless == HOLDS:
                return RuleState(RuleStatus.UNKNOWN, settled=True)
            if not can_fail and unless in (None, FAILS):
                return RuleState(RuleStatus.UNKNOWN, pending=True)
        return STATES[condition]
    if unless == HOLDS:
        return RuleState(RuleStatus.DEFEATED)
    return STATES[HOLDS] if unless == FAILS else RuleState(RuleStatus.UNKNOWN, pending=True)


STATES: dict[str, RuleState] = {s.value: RuleState(s) for s in RuleStatus}

States = Mapping[str, RuleState]
"""Rule id → its state for one record."""


def pending(unknown: Iterable[Rule], states: States) -> list[Rule]:
    """The pending exclusions among ``unknown``: established but for their defeaters, or unable
    to fail (:class:`RuleState`)."""
    return [r for r in unknown if states[r.id].pending]


def rules_to_ask(unknown: Sequence[Rule], states: States) -> list[Rule]:
    """The unknown exclusions whose facts are asked now.

    When an alternative is pending (established but for its defeater, or unable to fail), only
    pending exclusions are asked (so only their defeaters, or what settles them): if the answer
    leaves one standing the outcome is settled, and any other alternative the same answer would
    defeat can no longer matter; if it defeats them all, the other alternatives are asked next
    time. Otherwise every unknown one is asked.
    """
    return pending(unknown, states) or list(unknown)


class Recommendation(NamedTuple):
    """What the deciding rules (scope, exclusion, provide) recommend, and why."""

    outcome: Outcome
    grounds: tuple[Rule, ...] = ()
    """The rules whose reasons are given (for out of scope, the first scope rule that holds)."""
    considered: tuple[tuple[Rule, RuleStatus], ...] = ()
    """Exclusions (and provide rules) that were considered and do not hold; an exclusion rule
    whose clause another rule (a branch of the same clause) holds is not among them."""
    asked: tuple[Rule, ...] = ()
    """The rules whose facts are asked (needs information)."""
    temporary: bool = False
    review: bool = False
    past_scope: bool = True
    """Whether the scope stage was passed (the procedure's own reasons for the outcome are then
    cited as well)."""


_HOLDS, _UNKNOWN = RuleStatus.HOLDS, RuleStatus.UNKNOWN


def _not_holding(rules: Iterable[Rule], states: States) -> tuple[tuple[Rule, RuleStatus], ...]:
    return tuple((r, status) for r in rules if (status := states[r.id].status) is not _HOLDS)


def combined_status(states: Iterable[RuleState]) -> RuleStatus:
    """The status of a clause that several exclusion rules (its branches) decide, none holding:
    unknown while one is open (it could still hold); otherwise defeated when one is out of use
    for now, unknown when one's facts are unknown (settled: it cannot hold), and fails when all
    fail."""
    found = list(states)
    if any(s.open for s in found):
        return RuleStatus.UNKNOWN
    statuses = {s.status for s in found}
    for status in (RuleStatus.DEFEATED, RuleStatus.UNKNOWN):
        if status in statuses:
            return status
    return RuleStatus.FAILS


def grounds_roles(rec: Recommendation) -> frozenset[str]:
    """The roles of the exclusions a ``do_not_provide`` recommendation rests on: ``alternative``
    (another way to make the journey exists) and/or ``expectation`` (the policy expects the person
    to meet the need another way). A procedure reason naming a role is given only with it."""
    return frozenset(r.role for r in rec.grounds if r.role is not None)


def recommend(policy: Policy, states: States) -> Recommendation:
    """The recommendation: scope, then any alternative or expectation, then ask, then provide.

    An expectation that holds settles ``do_not_provide`` as an alternative does, so when one
    holds no unknown alternative is asked (the outcome is settled)."""
    kinds = policy.by_kind
    unknown: list[Rule] = []
    for rule in kinds.get("scope", ()):
        status = states[rule.id].status
        if status is _HOLDS:
            return Recommendation(Outcome.OUT_OF_SCOPE, grounds=(rule,), past_scope=False)
        if status is _UNKNOWN:
            unknown.append(rule)
    if unknown:
        return Recommendation(Outcome.NEEDS_INFORMATION, asked=tuple(unknown), past_scope=False)
    holding: list[Rule] = []
    considered: list[tuple[Rule, RuleStatus]] = []
    for rule in kinds.get("exclusion", ()):
        status = states[rule.id].status
        if status is _HOLDS:
            holding.append(rule)
        else:
            considered.append((rule, status))
            if states[rule.id].open:
                unknown.append(rule)
    if holding:
        held = {r.clause for r in holding}
        others = tuple((r, status) for r, status in considered if r.clause not in held)
        return Recommendation(Outcome.DO_NOT_PROVIDE, tuple(holding), others)
    if unknown:
        asked = tuple(rules_to_ask(unknown, states))
        return Recommendation(Outcome.NEEDS_INFORMATION, (), tuple(considered), asked)
    provide = kinds.get("provide", ())
    grounds = tuple(r for r in provide if states[r.id].status is _HOLDS)
    out_of_use = any(status is RuleStatus.DEFEATED for _, status in considered)
    return Recommendation(
        Outcome.PROVIDE,
        grounds=grounds,
        considered=(*considered, *_not_holding(provide, states)),
        temporary=out_of_use or (bool(grounds) and all(r.temporary for r in grounds)),
        review=any(r.review for r in grounds),
    )


def override_effects(
    overrides: Iterable[Rule],
    recommended: str,
    requested: str | None,
    holds: Callable[[Rule], bool],
) -> tuple[str, Rule | None, list[Rule]]:
    """What the override rules do with an assessor's override (``requested``, or ``None``).

    Returns the final outcome, the rule that applied the override (the first ``apply`` rule for
    the recommended outcome that holds), and the ``warn`` rules whose warning is given.
    """
    if requested is None:
        return recommended, None, []
    final, applied, warnings = recommended, None, []
    for rule in overrides:
        if recommended in rule.outcomes and holds(rule):
            if rule.effect == "apply" and applied is None:
                final, applied = requested, rule
            elif rule.effect == "warn":
                warnings.append(rule)
    return final, applied, warnings


class Verdict(NamedTuple):
    """The whole precedence for one record: which rules hold, are asked or were considered."""

    recommendation: Recommendation
    outcome: str
    """The final outcome (the recommendation, or the assessor's override where a rule applies
    it)."""
    override: Rule | None
    warnings: tuple[Rule, ...]
    charging: tuple[Rule, ...]
    actions: tuple[Rule, ...]
    appeal: tuple[Rule, ...]
    provision: tuple[Rule, RuleStatus] | None
    """The provision rule for the final outcome, and its status (holds: a taxi is permitted)."""
    temporary: bool = False
    """Temporary provision: only when both the recommendation and the final outcome are
    ``provide`` (:func:`provision_flags`)."""
    review: bool = False
    """A review of the care and support plan is recommended (:func:`provision_flags`)."""
    next_steps: tuple[Rule, ...] = ()
    """What happens next where the decision is not final or not this policy's (needs
    information; a child's out of scope)."""


def provision_flags(rec: Recommendation, final: str, actions: Iterable[Rule]) -> tuple[bool, bool]:
    """Whether provision is temporary and whether a review is recommended.

    Both are false unless the recommendation and the final outcome are both ``provide`` (an
    override either way leaves nothing temporary to review). A review is recommended by a
    provide criterion marked ``review``, or by an action marked ``review`` that applies (travel
    training: a Progressive Support Plan keeps access while the person trains); actions never
    make provision temporary.
    """
    if not (rec.outcome is Outcome.PROVIDE and final == Outcome.PROVIDE.value):
        return False, False
    return rec.temporary, rec.review or any(r.review for r in actions)


def _triggered(
    policy: Policy, kind: str, states: States, recommended: str, final: str
) -> tuple[Rule, ...]:
    return tuple(
        r for r in policy.for_outcomes(kind, recommended, final) if states[r.id].status is _HOLDS
    )


def precedence(policy: Policy, states: States, requested: str | None) -> Verdict:
    """The verdict for one record from its rules' states and the assessor's override, if any."""
    kinds = policy.by_kind
    rec = recommend(policy, states)
    recommended = rec.outcome.value
    final, applied, warnings = override_effects(
        kinds.get("override", ()),
        recommended,
        requested,
        lambda r: states[r.id].status is _HOLDS,
    )
    provision = next(
        ((r, states[r.id].status) for r in kinds.get("provision", ()) if final in r.outcomes),
        None,
    )
    appeal = tuple(
        r
        for r in kinds.get("appeal", ())
        if (not r.outcomes or final in r.outcomes) and states[r.id].status is _HOLDS
    )
    actions = _triggered(policy, "action", states, recommended, final)
    temporary, review = provision_flags(rec, final, actions)
    return Verdict(
        recommendation=rec,
        outcome=final,
        override=applied,
        warnings=tuple(warnings),
        charging=_triggered(policy, "charging", states, recommended, final),
        actions=actions,
        appeal=appeal,
        provision=provision,
        temporary=temporary,
        review=review,
        next_steps=_triggered(policy, "next_step", states, recommended, final),
    )
