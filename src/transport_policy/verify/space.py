"""The finite space of records that ``rules check`` explores (see ``docs/verification.md``).

Every field a rule reads has a finite set of *classes*: unknown, and one representative for each
set of values that no leaf test of the policy can tell apart (booleans and enum values by which
constants they equal; numbers by where they lie relative to every constant the rules compare them
with). Two records whose fields fall in the same classes get the same status for every condition,
so a check over the classes is a check over every record.

The deciding rules (scope and exclusion) are split into *components*: rules that read a common
field are in the same component, and components share no field. The decision procedure only
combines components through their *summaries* (a rule of the component holds; none holds but one is
unknown; or none is either) and, for the questions, through whether a component's unknown
alternatives are *preferred* (asked in place of every other component's), which is what makes the
space small. Each component is explored factorised (:mod:`.component`): conditioned on the fields
two or more of its rules read, its rules are independent. A rule's state and the alternatives
asked come from the decision's own precedence functions (:func:`.decision.precedence.rule_state`,
:func:`.decision.precedence.rules_to_ask`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ..decision.precedence import RuleState, RuleStatus, rule_state
from ..engine.runtime import apply_readings
from ..model.fields import FIELDS
from ..rules.conditions import (
    FAILS,
    HOLDS,
    NUMERIC_OPS,
    UNKNOWN,
    All,
    AnyOf,
    Condition,
    Leaf,
    Not,
    Reading,
    can_reach,
    evaluate,
    leaves_of,
)
from ..rules.model import Policy, Rule

SUMMARY_HOLDS, SUMMARY_UNKNOWN, SUMMARY_NONE = "H", "U", "N"
OVERRIDE_FIELD = "override.outcome"
"""Read by the procedure itself (the assessor's outcome), so every value is its own class."""

Facts = dict[str, object]


def _constants(leaves: Iterable[Leaf]) -> list[object]:
    out: list[object] = []
    for leaf in leaves:
        if leaf.op == "known":
            continue
        values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
        out.extend(values)
    return out


def _numeric_points(
    consts: list[float], integral: bool, low: float | None, high: float | None
) -> list[float]:
    """One value in each region the constants cut the line into (points and open intervals)."""
    cuts = sorted({float(c) for c in consts})
    points: list[float] = []
    if integral:
        for c in cuts:
            points.extend({math.floor(c) - 1, math.floor(c), math.ceil(c), math.ceil(c) + 1})
        if not cuts:
            points.append(0)
        # an integer strictly inside every gap between two cuts
        points.extend(
            math.floor(a) + 1 for a, b in itertools.pairwise(cuts) if math.floor(a) + 1 < b
        )
    else:
        points.extend(cuts)
        points.extend((a + b) / 2 for a, b in itertools.pairwise(cuts))
        points.extend([cuts[0] - 1, cuts[-1] + 1] if cuts else [0.0])
    kept = sorted({p for p in points if (low is None or p >= low) and (high is None or p <= high)})
    if not kept and low is not None:
        kept = [low]
    return [int(p) for p in kept] if integral else [float(p) for p in kept]


def _signature(value: object, leaves: Sequence[Leaf]) -> tuple[tuple[bool, bool], ...]:
    """Which ``is``/``in`` tests the value passes, read strictly (the reference reading) and
    loosely (the engine coerces, e.g. ``1 == True``); any other test (but ``known`` and the
    numeric ones, whose classes are regions) as the reference reading reads it (e.g. which
    tested values a list contains)."""
    out = []
    for leaf in leaves:
        if leaf.op == "known" or leaf.op in NUMERIC_OPS:
            continue
        if leaf.op not in ("is", "in"):
            passes = evaluate(leaf, {leaf.field: value}) == HOLDS
            out.append((passes, passes))
            continue
        values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
        out.append(
            (
                any(value == c and type(value) is type(c) for c in values),
                any(value == c for c in values),
            )
        )
    return tuple(out)


def field_classes(
    path: str, leaves: Sequence[Leaf], unknown_if_false: bool = False
) -> tuple[object, ...]:
    """Unknown (``None``) first, then one representative value per class of the field."""
    spec = FIELDS[path]
    if path == OVERRIDE_FIELD:
        return (None, *spec.values)
    consts = _constants(leaves)
    values: list[object]
    if spec.kind == "bool":
        values = [True, False]
    elif spec.kind == "enum":
        values = list(spec.values)
    elif spec.kind in ("integer", "number"):
        numeric = [c for c in consts if isinstance(c, (int, float)) and not isinstance(c, bool)]
        values = list(_numeric_points(numeric, spec.kind == "integer", spec.minimum, spec.maximum))
        return (None, *values)  # regions are already classes for every comparison
    elif spec.kind == "enum_list":
        # one value, then every combination of the values the tests name (none included): the
        # classes are the distinct readings, e.g. which of the tested values the list contains
        named = [v for v in spec.values if v in consts]
        subsets = itertools.chain.from_iterable(
            itertools.combinations(named, k) for k in range(len(named) + 1)
        )
        values = [*([v] for v in spec.values), *(list(c) for c in subsets)]
    else:
        fresh = "(a value no rule names)"
        values = [*(c for c in consts if isinstance(c, str)), fresh]
    if unknown_if_false:
        values = [v for v in values if v is not False]
    classes: dict[tuple[tuple[bool, bool], ...], object] = {}
    for v in values:
        classes.setdefault(_signature(v, leaves), v)
    return (None, *classes.values())


SATISFYING_LIMIT = 64
"""Assignments kept at each node of a condition by :func:`satisfying`."""


def satisfying(cond: Condition, target: str, space: Space) -> list[Facts]:
    """Some assignments of classes to fields of ``cond`` under which it reaches ``target``
    (holds or fails), read directly (no readings), at most :data:`SATISFYING_LIMIT` at each node:
    the first places to look for a record where a rule takes effect."""
    if isinstance(cond, Leaf):
        return [
            {cond.field: v}
            for v in space.classes.get(cond.field, (None,))
            if evaluate(cond, {cond.field: v}) == target
        ]
    if isinstance(cond, Not):
        return satisfying(cond.part, FAILS if target == HOLDS else HOLDS, space)
    if isinstance(cond, (All, AnyOf)):
        parts = [satisfying(p, target, space) for p in cond.parts]
        if (target == HOLDS) != isinstance(cond, All):  # one part is enough
            return [a for found in parts for a in found][:SATISFYING_LIMIT]
        out: list[Facts] = [{}]
        for found in parts:
            out = [
                {**a, **b}
                for a in out
                for b in found
                if all(a.get(k, v) == v for k, v in b.items())
            ][:SATISFYING_LIMIT]
        return out
    return [{}] if evaluate(cond, {}) == target else []


def state_of(
    rule: Rule, facts: Mapping[str, object], never_false: Collection[str] = ()
) -> RuleState:
    """A rule's state on ``facts``, as the decision's precedence reads it (``never_false``: the
    policy's fields whose ``false`` reads as unknown)."""
    reading = Reading(facts)
    unless = None if rule.unless is None else reading.status(rule.unless)
    condition = reading.status(rule.condition)
    fail = condition != UNKNOWN or can_reach(rule.condition, facts, FAILS, never_false)
    return rule_state(condition, unless, can_fail=fail)


def status_of(rule: Rule, facts: Mapping[str, object]) -> RuleStatus:
    """A rule's status (holds, fails, unknown or defeated). For rules that only trigger
    (overrides, charges, actions) the evaluators report "unknown" as "fails"; the checker reads
    only whether they hold, which is the same either way."""
    return state_of(rule, facts).status


def summarise(statuses: Iterable[RuleStatus]) -> str:
    seen = set(statuses)
    if RuleStatus.HOLDS in seen:
        return SUMMARY_HOLDS
    return SUMMARY_UNKNOWN if RuleStatus.UNKNOWN in seen else SUMMARY_NONE


@dataclass
class Space:
    """The classes of every field the policy's conditions read."""

    policy: Policy
    classes: dict[str, tuple[object, ...]] = field(default_factory=dict)
    leaves: dict[str, list[Leaf]] = field(default_factory=dict)
    """The tests of each field, across every condition of the policy."""
    _class_of: dict[tuple[str, type, object], int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        whens = (when for _, _, when in self.policy.conditional_readings)
        for cond in (*(c for _, c in self.policy.slots), *whens):
            for leaf in leaves_of(cond):
                self.leaves.setdefault(leaf.field, []).append(leaf)
        for path, leaves in self.leaves.items():
            self.classes[path] = field_classes(path, leaves, path in self.policy.unknown_if_false)
        self.classes[OVERRIDE_FIELD] = field_classes(OVERRIDE_FIELD, ())

    def read(self, facts: Mapping[str, object]) -> Facts:
        """Recorded facts as the rules read them: the policy's readings applied, with the
        function the engine applies them with (:func:`..engine.runtime.apply_readings`)."""
        return apply_readings(facts, self.policy)

    def fields(self, rule: Rule) -> tuple[str, ...]:
        """The recorded fields a rule's status depends on: its own, then those the conditional
        readings of its fields read (:attr:`..rules.model.Policy.reads`)."""
        return self.policy.reads[rule.id]

    def class_index(self, path: str, value: object) -> int:
        """The class of a value of a field as the rules read it (0: unknown): the first class
        whose representative every test of the field reads as it reads the value."""
        if value is None:
            return 0
        if path == OVERRIDE_FIELD:
            return self.classes[path].index(value)
        key = (path, type(value), tuple(value) if isinstance(value, list) else value)
        found = self._class_of.get(key)
        if found is None:
            found = self._class_of[key] = self._read_class(path, value)
        return found

    def _read_class(self, path: str, value: object) -> int:
        leaves = [leaf for leaf in self.leaves[path] if leaf.op != "known"]

        def reading(v: object) -> tuple[str, ...]:
            return tuple(evaluate(leaf, {path: v}) for leaf in leaves)

        wanted = reading(value)
        classes = self.classes[path]
        return next(k for k in range(1, len(classes)) if reading(classes[k]) == wanted)

    def product(self, paths: Sequence[str]) -> Iterator[Facts]:
        for combo in itertools.product(*(self.classes[p] for p in paths)):
            yield dict(zip(paths, combo, strict=True))


def components(
    rules: Sequence[Rule], fields: Callable[[Rule], Sequence[str]] | None = None
) -> list[list[Rule]]:
    """Rules grouped so that no two groups read a common field (rule order kept); ``fields``:
    the fields of a rule (by default :attr:`Rule.fields`)."""
    groups: list[tuple[set[str], list[Rule]]] = []
    for rule in rules:
        paths = set(rule.fields if fields is None else fields(rule))
        touching = [g for g in groups if g[0] & paths]
        merged_paths, merged_rules = set(paths), []
        for g in touching:
            merged_paths |= g[0]
            merged_rules.extend(g[1])
            groups.remove(g)
        groups.append((merged_paths, [*merged_rules, rule]))
    order = {r.id: i for i, r in enumerate(rules)}
    return sorted(
        (sorted(g[1], key=lambda r: order[r.id]) for g in groups), key=lambda g: order[g[0].id]
    )
