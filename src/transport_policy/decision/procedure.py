"""The decision procedure (docs/decision-procedure.md) over the statuses the rule
engine established: scope, then any alternative, then ask, then provide; then charges, provision,
support-plan actions, the appeal route and any override.

The matching of every condition happens in the evaluator (durable-rules); this module only applies
the policy's precedence, which durable-rules cannot express (it has no negation over derived
facts), and words the rationale from the rule files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ..model.decision import (
    AppliedOverride,
    Assessor,
    Considered,
    Decision,
    EngineRef,
    Entry,
    FactValue,
    PolicyRef,
    Provision,
    Question,
    Reason,
)
from ..model.record import FIELD_ORDER, AssessmentRecord
from ..rules.conditions import FAILS, HOLDS, UNKNOWN, Always, Statuses, explain, questions
from ..rules.model import PLACEHOLDER, Policy, Rule

DEFEATED = "defeated"


def label(value: object) -> str:
    """A fact's value in words, for summaries."""
    if value is None:
        return "unknown"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value).replace("_", " ")


def fill(text: str, raw: Mapping[str, object]) -> str:
    """Replace ``{section.field}`` placeholders with the fact's value in words."""
    if "{" not in text:
        return text
    return PLACEHOLDER.sub(lambda m: label(raw.get(m.group(1))), text)


def rule_status(rule: Rule, st: Statuses) -> str:
    """A rule's status: holds, fails, unknown, or (exclusions) defeated.

    The defeater is the last part of the exclusion's ``all``: when it holds, the exclusion cannot
    hold whatever the alternative's own facts are (three-valued ``all``), and it is reported as
    defeated; when the alternative holds and the defeater is unknown, the exclusion is unknown.
    """
    cond = st[f"{rule.id}/condition"]
    if rule.unless is None or cond == FAILS:
        return cond
    unless = st[f"{rule.id}/unless"]
    if unless == HOLDS:
        return DEFEATED
    return HOLDS if cond == HOLDS and unless == FAILS else UNKNOWN


def rules_to_ask(unknown: list[Rule], st: Statuses) -> list[Rule]:
    """The unknown exclusions whose facts are asked now.

    When an alternative is established but for its defeater, only such exclusions are asked (so
    only their defeaters): if the answer leaves one standing the outcome is settled, and any other
    alternative the same answer would defeat can no longer matter; if it defeats them all, the
    other alternatives are asked next time. Otherwise every unknown alternative is asked.
    """
    pending = [r for r in unknown if r.unless is not None and st[f"{r.id}/condition"] == HOLDS]
    return pending or unknown


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


class _Reader:
    """Statuses and wording for one record."""

    def __init__(
        self, policy: Policy, st: Statuses, facts: Mapping[str, object], raw: Mapping[str, object]
    ) -> None:
        self.policy = policy
        self.st = st
        self.facts = facts
        self.raw = raw

    def status(self, rule: Rule) -> str:
        return rule_status(rule, self.st)

    def summary(self, rule: Rule) -> str:
        for i, choice in enumerate(rule.summary):
            if isinstance(choice.when, Always) or self.st[f"{rule.id}/summary/{i}"] == HOLDS:
                return fill(choice.text, self.raw)
        raise AssertionError("the last summary variant is the default")  # checked when loading

    def facts_of(self, rule: Rule) -> dict[str, FactValue]:
        paths = explain(rule.condition, self.facts)
        if rule.unless is not None and self.status(rule) in (HOLDS, DEFEATED):
            paths += [p for p in explain(rule.unless, self.facts) if p not in paths]
        return {p: self.raw.get(p) for p in paths}  # type: ignore[misc]

    def reason(self, rule: Rule, clause: str | None = None) -> Reason:
        return Reason(
            clause=clause or rule.clause,
            rule=rule.id,
            summary=self.summary(rule),
            facts=self.facts_of(rule),
        )

    def also_reason(self, rule: Rule, index: int) -> Reason:
        """The reason for a clause the rule cites as well, with the facts its ``when`` read."""
        clause, when = rule.also_cites[index]
        text = rule.also_summaries[index]
        facts = self.facts_of(rule)
        facts.update({p: self.raw.get(p) for p in explain(when, self.facts)})  # type: ignore[misc]
        return Reason(
            clause=clause,
            rule=rule.id,
            summary=fill(text, self.raw) if text else self.summary(rule),
            facts=facts,
        )

    def considered(self, rule: Rule, status: str) -> Considered:
        return Considered(
            clause=rule.clause,
            rule=rule.id,
            kind=rule.kind,  # type: ignore[arg-type]  # only exclusion and provide rules
            status=status,  # type: ignore[arg-type]  # never "holds" here
            summary=fill(rule.considered[status], self.raw),
            facts=self.facts_of(rule),
        )

    def entry(self, rule: Rule) -> Entry:
        return Entry(clause=rule.clause, rule=rule.id, summary=self.summary(rule))

    def by_clause(self, items: list[Reason]) -> list[Reason]:
        order = self.policy.clause_order
        return sorted(items, key=lambda r: order[r.clause])


def _ask(reader: _Reader, rules: list[Rule]) -> list[Question]:
    asked: dict[str, list[str]] = {}
    for rule in rules:
        for path in questions(rule.effective, reader.facts):
            clauses = asked.setdefault(path, [])
            if rule.clause not in clauses:
                clauses.append(rule.clause)
    order = reader.policy.clause_order
    return [
        Question(
            field=path,
            clauses=sorted(asked[path], key=order.__getitem__),
            prompt=reader.policy.prompts[path],
        )
        for path in sorted(asked, key=FIELD_ORDER.__getitem__)
    ]


def decide_statuses(
    record: AssessmentRecord,
    policy: Policy,
    st: Statuses,
    facts: Mapping[str, object],
    raw: Mapping[str, object],
    *,
    engine: EngineRef,
    input_digest: str,
    selected: str,
) -> Decision:
    """Build the decision for ``record`` from the statuses of every slot of ``policy``."""
    r = _Reader(policy, st, facts, raw)
    kinds = policy.by_kind
    reasons: list[Reason] = []
    considered: list[Considered] = []
    asked: list[Question] = []
    temporary = review = False

    scope = kinds.get("scope", ())
    failed = [rule for rule in scope if r.status(rule) == HOLDS]
    exclusions = kinds.get("exclusion", ())
    ex_status = {rule.id: r.status(rule) for rule in exclusions}
    if failed:
        recommended = "out_of_scope"
        first = failed[0]
        reasons.append(r.reason(first))
        for i, (_, when) in enumerate(first.also_cites):
            if isinstance(when, Always) or st[f"{first.id}/also/{i}"] == HOLDS:
                reasons.append(r.also_reason(first, i))
    elif any(r.status(rule) == UNKNOWN for rule in scope):
        recommended = "needs_information"
        asked = _ask(r, [rule for rule in scope if r.status(rule) == UNKNOWN])
    else:
        holding = [rule for rule in exclusions if ex_status[rule.id] == HOLDS]
        considered = [
            r.considered(rule, ex_status[rule.id])
            for rule in exclusions
            if ex_status[rule.id] != HOLDS
        ]
        if holding:
            recommended = "do_not_provide"
            reasons.extend(r.reason(rule) for rule in holding)
        elif any(s == UNKNOWN for s in ex_status.values()):
            recommended = "needs_information"
            unknown = [rule for rule in exclusions if ex_status[rule.id] == UNKNOWN]
            asked = _ask(r, rules_to_ask(unknown, st))
        else:
            recommended = "provide"
            grounds = [rule for rule in kinds.get("provide", ()) if r.status(rule) == HOLDS]
            reasons.extend(r.reason(rule) for rule in grounds)
            considered.extend(
                r.considered(rule, r.status(rule))
                for rule in kinds.get("provide", ())
                if r.status(rule) != HOLDS
            )
            temporary = bool(grounds) and all(rule.temporary for rule in grounds)
            review = any(rule.review for rule in grounds)
        reasons.extend(
            Reason(clause=p.clause, rule=None, summary=fill(p.summary, raw), facts={})
            for p in policy.procedure
            if p.outcome == recommended
        )

    requested = record.override.outcome if record.override is not None else None
    outcome, applying, warning = override_effects(
        kinds.get("override", ()), recommended, requested, lambda rule: r.status(rule) == HOLDS
    )
    applied: AppliedOverride | None = None
    if applying is not None and record.override is not None:
        applied = AppliedOverride(
            outcome=record.override.outcome,
            reason=record.override.reason,
            clause=applying.clause,
            rule=applying.id,
        )
    warnings = [r.summary(rule) for rule in warning]

    def triggered(kind: str) -> list[Rule]:
        return [
            rule
            for rule in kinds.get(kind, ())
            if (recommended if rule.basis == "recommended" else outcome) in rule.outcomes
            and r.status(rule) == HOLDS
        ]

    provision = None
    for rule in kinds.get("provision", ()):
        if outcome in rule.outcomes:
            status = r.status(rule)
            text = r.summary(rule) if status == HOLDS else fill(rule.considered[status], raw)
            provision = Provision(
                taxi_permitted=status == HOLDS, clause=rule.clause, rule=rule.id, summary=text
            )
            break
    order = policy.clause_order

    def entries(kind: str) -> list[Entry]:
        found = [r.entry(rule) for rule in triggered(kind)]
        return sorted(found, key=lambda e: order[e.clause])

    appeal = sorted(
        (r.entry(rule) for rule in kinds.get("appeal", ()) if r.status(rule) == HOLDS),
        key=lambda e: order[e.clause],
    )
    return Decision(
        case_id=record.case_id,
        outcome=outcome,  # type: ignore[arg-type]
        recommended_outcome=recommended,  # type: ignore[arg-type]
        temporary=temporary,
        review_required=review,
        reasons=r.by_clause(reasons),
        considered=sorted(considered, key=lambda c: order[c.clause]),
        questions=asked,
        charging=entries("charging"),
        provision=provision,
        actions=entries("action"),
        appeal=appeal,
        override=applied,
        assessor=Assessor(id=record.assessor.id, name=record.assessor.name)
        if record.assessor
        else None,
        notes=record.judgement.notes or "",
        warnings=warnings,
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
