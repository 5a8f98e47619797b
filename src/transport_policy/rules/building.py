"""A policy version's rules built from their validated entries in the rule files.

Each entry is checked against its kind (the fields a rule of that kind must or must not have),
its conditions are parsed, its texts' placeholders and cited clauses checked, and the rules it
refers to (``rule:`` references) are then resolved into its conditions, a cycle being an error.
Every problem is a :class:`~transport_policy.errors.RuleError` naming the file, the rule and the
field. :mod:`.loader` reads the files and builds the :class:`~.model.Policy` around these rules.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from ..errors import RuleError
from ..model.fields import FIELDS
from ..model.record import FIELD_PATHS
from .conditions import All, Always, AnyOf, Condition, Not, RuleRef
from .model import PLACEHOLDER, Rule, TextChoice
from .parser import ConditionParser, closest
from .schema import RuleSpec, TextVariant


def check_text(text: str, rel: str, rule_id: str | None, where: str) -> str:
    """``text``, once every ``{field.path}`` placeholder in it names a record field."""
    for path in PLACEHOLDER.findall(text):
        if path not in FIELD_PATHS:
            raise RuleError(
                f"unknown field path {{{path}}} in text" + closest(path, FIELD_PATHS),
                path=rel,
                rule_id=rule_id,
                field=where,
            )
    return text


def build_rules(
    specs: Sequence[tuple[str, RuleSpec]], check_clause: Any, removed: Collection[str] = ()
) -> tuple[Rule, ...]:
    """Every rule of the version (``specs``: each with its file), checked and built, in order,
    with its references to other rules resolved (``check_clause`` checks a cited clause;
    ``removed``: the base rules the version removes, which no rule may refer to)."""
    rule_ids = {spec.id for _, spec in specs}
    rules: dict[str, Rule] = {}
    for rel, spec in specs:
        rules[spec.id] = _build_rule(rel, spec, rule_ids, check_clause, removed)
    return tuple(
        _replace_conditions(rule, lambda c, r=rule: _resolve(c, rules, (r.id,)))
        for rule in rules.values()
    )


_NEEDS_OUTCOMES = {"charging", "provision", "action", "next_step", "override"}
_MAY_HAVE_OUTCOMES = {"appeal"}


def _check_shape(spec: RuleSpec, condition: Condition, unless: Condition | None, fail: Any) -> None:
    """The fields that a rule of this kind must, or must not, have."""
    if unless is not None and spec.kind != "exclusion":
        raise fail("only an exclusion has a defeater (unless)", "unless")
    if spec.kind in ("scope", "exclusion", "provide") and isinstance(condition, Always):
        raise fail(f"a {spec.kind} rule needs a real condition, not always", "condition")
    if spec.kind in _MAY_HAVE_OUTCOMES:
        pass
    elif (spec.outcomes is None) == (spec.kind in _NEEDS_OUTCOMES):
        raise fail(
            f"outcomes is {'required' if spec.kind in _NEEDS_OUTCOMES else 'not used'} "
            f"for a {spec.kind} rule",
            "outcomes",
        )
    if (spec.effect is None) == (spec.kind == "override"):
        raise fail("effect is required for an override rule, and only for it", "effect")
    if spec.role is not None and spec.kind != "exclusion":
        raise fail("role belongs to exclusion rules (alternative or expectation)", "role")
    if spec.temporary and spec.kind != "provide":
        raise fail("temporary belongs to provide rules", "temporary")
    if spec.review and spec.kind not in ("provide", "action"):
        raise fail("review belongs to provide and action rules", "review")


def _considered(rel: str, spec: RuleSpec, unless: Condition | None, fail: Any) -> dict[str, str]:
    """The checked considered texts (only exclusion, provide and provision rules have them)."""
    considered: dict[str, str] = {}
    if spec.kind in ("exclusion", "provide", "provision"):
        if spec.considered is None:
            raise fail(f"a {spec.kind} rule needs considered texts (fails, unknown)", "considered")
        if (spec.considered.defeated is None) != (unless is None):
            raise fail(
                "considered.defeated is required exactly when the rule has unless", "considered"
            )
        considered = {
            k: check_text(v, rel, spec.id, f"considered.{k}")
            for k, v in spec.considered.model_dump(exclude_none=True).items()
        }
    elif spec.considered is not None:
        raise fail(f"a {spec.kind} rule has no considered texts", "considered")
    return considered


def _summary(
    rel: str, spec: RuleSpec, parser: ConditionParser, fail: Any
) -> tuple[TextChoice, ...]:
    """The summary variants, each with its condition; the last one is the default text."""
    variants: list[str | TextVariant] = (
        [spec.summary] if isinstance(spec.summary, str) else list(spec.summary)
    )
    summary: list[TextChoice] = []
    for i, v in enumerate(variants):
        if isinstance(v, str):
            summary.append(TextChoice(Always(), check_text(v, rel, spec.id, "summary")))
        else:
            when = parser.parse(v.when, f"summary[{i}].when") if v.when is not None else Always()
            summary.append(TextChoice(when, check_text(v.text, rel, spec.id, f"summary[{i}].text")))
    if not isinstance(summary[-1].when, Always):
        raise fail("the last summary variant must have no when (the default text)", "summary")
    return tuple(summary)


def _build_rule(
    rel: str, spec: RuleSpec, rule_ids: set[str], check_clause: Any, removed: Collection[str]
) -> Rule:
    parser = ConditionParser(rel, spec.id, rule_ids - {spec.id}, removed)

    def fail(message: str, where: str) -> RuleError:
        return RuleError(message, path=rel, rule_id=spec.id, field=where)

    check_clause(spec.clause, rel, spec.id, "clause")
    condition = parser.parse(spec.condition, "condition")
    unless = parser.parse(spec.unless, "unless") if spec.unless is not None else None
    _check_shape(spec, condition, unless, fail)
    considered = _considered(rel, spec, unless, fail)
    also = tuple(
        (
            check_clause(a.clause, rel, spec.id, f"also_cites[{i}].clause"),
            parser.parse(a.when, f"also_cites[{i}].when") if a.when is not None else Always(),
        )
        for i, a in enumerate(spec.also_cites)
    )
    also_summaries = tuple(
        check_text(a.summary, rel, spec.id, f"also_cites[{i}].summary") if a.summary else None
        for i, a in enumerate(spec.also_cites)
    )
    summary = _summary(rel, spec, parser, fail)
    for i, path in enumerate(spec.evidence):
        if path not in FIELD_PATHS:
            raise fail(
                f"unknown field path {path!r}" + closest(path, FIELD_PATHS), f"evidence[{i}]"
            )
        if not FIELDS[path].fact:
            raise fail(f"{path} is recorded only, not a fact a rule can show", f"evidence[{i}]")
    return Rule(
        id=spec.id,
        kind=spec.kind,
        clause=spec.clause,
        description=spec.description,
        note=spec.note,
        condition=condition,
        unless=unless,
        also_cites=also,
        also_summaries=also_summaries,
        summary=summary,
        considered=considered,
        outcomes=tuple(spec.outcomes or ()),
        basis=spec.basis,
        temporary=spec.temporary,
        review=spec.review,
        effect=spec.effect,
        source=rel,
        evidence=tuple(spec.evidence),
        role=spec.role or ("alternative" if spec.kind == "exclusion" else None),
    )


def _replace_conditions(rule: Rule, fix: Any) -> Rule:
    from dataclasses import replace

    return replace(
        rule,
        condition=fix(rule.condition),
        unless=fix(rule.unless) if rule.unless is not None else None,
        also_cites=tuple((c, fix(w)) for c, w in rule.also_cites),
        summary=tuple(TextChoice(fix(t.when), t.text) for t in rule.summary),
    )


def _resolve(cond: Condition, specs: dict[str, Rule], seen: tuple[str, ...]) -> Condition:
    if isinstance(cond, RuleRef):
        if cond.rule_id in seen:
            raise RuleError(
                "rule references form a cycle: " + " -> ".join((*seen, cond.rule_id)),
                path=specs[seen[-1]].source,
                rule_id=seen[-1],
            )
        target = specs[cond.rule_id]
        return _resolve(target.effective, specs, (*seen, cond.rule_id))
    if isinstance(cond, All):
        return All(tuple(_resolve(p, specs, seen) for p in cond.parts))
    if isinstance(cond, AnyOf):
        return AnyOf(tuple(_resolve(p, specs, seen) for p in cond.parts), cond.ordered)
    if isinstance(cond, Not):
        return Not(_resolve(cond.part, specs, seen))
    return cond
