"""When a rule takes effect, for ``rules check``'s search for dead rules.

:func:`firing` reads, at a record's facts, the outcomes at which a rule takes effect as the
checker reads the procedure (a scope rule only when no earlier one holds; an override rule when
it applies the assessor's override or warns; a rule that follows the outcome on the outcomes it
names); :func:`holding` asks only that its condition hold; :func:`fired` reads the rules that
took effect from a decision the engine made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..decision.precedence import RuleStatus
from ..decision.wording import ReadVariants, summary_text
from ..engine.runtime import apply_readings
from ..model.decision import Decision
from ..rules.conditions import Reading
from ..rules.model import Policy, Rule
from .model import OUTCOMES, PROVIDE, Model
from .space import Facts, status_of

Read = Callable[[Mapping[str, object]], Facts]
"""Recorded facts as the rules read them."""
Accept = Callable[[Facts], list[str]]
"""The outcomes at which something happens at some facts (none: it does not)."""


def firing(
    policy: Policy, read: Read, model: Model, rule: Rule, scope: Sequence[Rule]
) -> tuple[list[str], Accept]:
    """The fields to search for a record at which ``rule`` takes effect (its own, and those of
    what settles the outcome before it), and the outcomes at which it does so at some facts
    (``scope``: the policy's scope rules, in order; ``read``: facts as the rules read them)."""
    reads = policy.reads
    paths = list(reads[rule.id])

    def holds(f: Facts) -> bool:
        return status_of(rule, read(f)) is RuleStatus.HOLDS

    if rule.kind == "scope":
        earlier = scope[: scope.index(rule)]
        paths = [p for r in (*earlier, rule) for p in reads[r.id]]
        return (
            paths,
            lambda f: (
                ["out_of_scope"]
                if holds(f) and all(status_of(r, read(f)) is not RuleStatus.HOLDS for r in earlier)
                else []
            ),
        )
    if rule.kind == "exclusion":
        return paths, lambda f: ["do_not_provide"] if holds(f) else []
    if rule.kind == "provide":
        return paths, lambda f: [PROVIDE] if holds(f) else []
    if rule.kind == "appeal" and not rule.outcomes:
        return paths, lambda f: list(OUTCOMES) if holds(f) else []
    paths = [*paths, *model.override_paths]
    if rule.kind == "override":

        def takes_effect(f: Facts) -> list[str]:
            out = []
            for outcome in OUTCOMES:
                effects = model.override_effects(outcome, f)[1]
                applying = [r for r in effects if r.effect == "apply"][:1]
                if rule in (effects if rule.effect == "warn" else applying):
                    out.append(outcome)
            return out

        return paths, takes_effect

    def triggered(f: Facts) -> list[str]:
        if not holds(f):
            return []
        out = []
        for outcome in OUTCOMES:
            final = model.override_effects(outcome, f)[0]
            if rule.kind == "provision":
                ok = final == PROVIDE
            else:
                ok = (outcome if rule.basis == "recommended" else final) in rule.outcomes
            if ok:
                out.append(outcome)
        return out

    return paths, triggered


def holding(rule: Rule, read: Read) -> Accept:
    """Accept any outcome where the rule's own condition holds (over the facts as read)."""
    return lambda facts: list(OUTCOMES) if status_of(rule, read(facts)) is RuleStatus.HOLDS else []


def fired(policy: Policy, decision: Decision, facts: Mapping[str, object]) -> set[str]:
    """The rules that took effect in a decision (``facts`` as recorded)."""
    facts = apply_readings(facts, policy)
    out = {r.rule for r in decision.reasons if r.rule}
    # Alternatives citing one clause that hold give one reason, naming the first of them
    # (decision/build.py): the others among its grounds took effect too.
    rules = policy.rule_index
    grounds = {
        r.clause
        for r in decision.reasons
        if r.rule and rules[r.rule].kind == "exclusion" and rules[r.rule].clause == r.clause
    }
    out |= {
        e.id
        for e in policy.by_kind.get("exclusion", ())
        if e.clause in grounds and status_of(e, facts) is RuleStatus.HOLDS
    }
    out |= {e.rule for e in (*decision.charging, *decision.actions, *decision.appeal)}
    steps = {s.clause for s in decision.next_steps}  # a next step names its clause, not its rule
    out |= {r.id for r in policy.by_kind.get("next_step", ()) if r.clause in steps}
    if decision.provision is not None and decision.provision.taxi_permitted:
        out.add(decision.provision.rule)
    if decision.override is not None:
        out.add(decision.override.rule)
    variants = ReadVariants(Reading(facts))
    for rule in policy.by_kind.get("override", ()):
        if summary_text(rule, variants, facts) in decision.warnings:
            out.add(rule.id)
    return out
