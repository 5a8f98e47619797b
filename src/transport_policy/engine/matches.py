"""A condition's test as a durable-rules match.

Unknown facts are absent from the asserted fact (nulls are stripped), and every durable-rules test
of a value (equality, ``$neq``, ``$lt`` …, ``$iany``, ``$iall``) fails on an absent one;
``$ex``/``$nex`` test presence. So a test that one fact has one of a set of values (unknown
included) is one durable-rules test, or ``$nex`` beside one.

A test is compiled from its decision diagram (:mod:`.diagram`) when that fits durable-rules'
limits: its paths are disjoint alternatives, so a record matches one at most and the rule fires
once (durable-rules fires a rule once for every branch of an ``$or`` a record matches, and each
firing is a round trip carrying the whole fact). Otherwise it is compiled as written, with
``all``/``any``/``not`` pushed down to the facts' tests by De Morgan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ..model.record import FIELD_ORDER
from ..rules.conditions import Condition

if TYPE_CHECKING:  # imported when a condition is compiled: a kept ruleset needs none of it
    from .diagram import Diagram, Formula, Var

ANCHOR_KEY: Final = "kind"

Expr = dict[str, Any]

MAX_GROUPS: Final = 15
"""durable-rules keeps at most 31 ``$and``/``$or`` marks in one rule (two per group,
``MAX_SEQUENCE_EXPRESSIONS`` in its C code); the anchor's ``$and`` is one group."""
MAX_PATHS: Final = 2 * MAX_GROUPS
"""A diagram is not read past this many paths: each path of two tests or more is a group, and
only a few can be one test, so more could not fit in a rule."""


class _Const:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


TRUE: Final = _Const("TRUE")
FALSE: Final = _Const("FALSE")
Compiled = Expr | _Const


_LETTERS: Final = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def fact_key(path: str) -> str:
    """The key of a record field path in the asserted fact: short, because durable-rules sends
    the whole fact back with every rule that fires. The field's position in the record written
    with letters (``a`` … ``Z``, then two letters): never ``id``, ``sid`` or the anchor's key."""
    index = FIELD_ORDER[path]
    base = len(_LETTERS)
    key = _LETTERS[index] if index < base else _LETTERS[index // base - 1] + _LETTERS[index % base]
    assert key not in ("id", "sid", ANCHOR_KEY) and index < base * (base + 1), path
    return key


def _join(parts: list[Compiled], op: str) -> Compiled:
    """``$and`` (``op``) or ``$or`` of ``parts``: constants folded, nested groups of the same
    kind flattened (durable-rules allows few groups in a rule)."""
    unit, zero = (TRUE, FALSE) if op == "$and" else (FALSE, TRUE)
    kept: list[Expr] = []
    for p in parts:
        if p is zero:
            return zero
        if p is not unit:
            assert isinstance(p, dict)
            kept.extend(p.get(op, (p,)))
    if not kept:
        return unit
    return kept[0] if len(kept) == 1 else {op: kept}


def _and(parts: list[Compiled]) -> Compiled:
    return _join(parts, "$and")


def _or(parts: list[Compiled]) -> Compiled:
    return _join(parts, "$or")


Alternatives = list[list[Expr]]
"""Alternatives, each a conjunction of durable-rules tests."""


def _finite(key: str, var: Var, atoms: frozenset[int]) -> Alternatives:
    """A boolean or an enum: its values, or also unknown (the fact's absence)."""
    out: Alternatives = [[{"$nex": {key: 1}}]] if 0 in atoms else []
    values = [var.atoms[a] for a in sorted(atoms) if a]
    others = [v for a, v in enumerate(var.atoms) if a and a not in atoms]
    if not values:
        return out
    if not others:
        return [*out, [{"$ex": {key: 1}}]]
    if len(values) == 1:
        return [*out, [{key: values[0]}]]
    if len(others) == 1:
        return [*out, [{"$neq": {key: others[0]}}]]
    # Never a ``$mt`` pattern: durable-rules does not free a pattern's state machine when its
    # ruleset is deleted (about 8 MB a ruleset with this policy's), so engines replaced after a
    # rule edit would leak it.
    if len(others) <= len(values):
        return [*out, [{"$neq": {key: v}} for v in others]]
    return [*out, *([{key: v}] for v in values)]


def _number(key: str, var: Var, atoms: frozenset[int]) -> Alternatives:
    """A number: unknown, or ranges (one alternative for each run of adjacent atoms)."""
    out: Alternatives = [[{"$nex": {key: 1}}]] if 0 in atoms else []
    known = sorted(a for a in atoms if a)
    if len(known) == len(var.atoms) - 1:
        return [*out, [{"$ex": {key: 1}}]]
    runs: list[list[int]] = []
    for a in known:
        if runs and runs[-1][-1] == a - 1:
            runs[-1].append(a)
        else:
            runs.append([a])
    for run in runs:
        low, low_in, _, _ = var.ranges[run[0] - 1]
        _, _, high, high_in = var.ranges[run[-1] - 1]
        if low is not None and low == high:
            out.append([{key: low}])
            continue
        conj: list[Expr] = []
        if low is not None:
            conj.append({"$gte" if low_in else "$gt": {key: low}})
        if high is not None:
            conj.append({"$lte" if high_in else "$lt": {key: high}})
        out.append(conj)
    return out


def _has(key: str, item: object, present: bool) -> Expr:
    if present:
        return {"$iany": {key: {"$i": item}}}
    return {"$iall": {key: {"$neq": {"$i": item}}}}


def _list(key: str, var: Var, atoms: frozenset[int]) -> Alternatives:
    """A list: unknown, or which of the items the tests name it holds."""
    out: Alternatives = [[{"$nex": {key: 1}}]] if 0 in atoms else []
    known = [frozenset(var.atoms[a]) for a in sorted(atoms) if a]  # type: ignore[call-overload]
    if len(known) == len(var.atoms) - 1:
        return [*out, [{"$ex": {key: 1}}]]
    items = sorted(str(i) for i in var.atoms[-1])  # type: ignore[attr-defined]
    seen = {i: {i in s for s in known} for i in items}
    free = sum(len(s) == 2 for s in seen.values())
    if len(known) == 2**free:  # every combination of the free items: one conjunction
        return [*out, [_has(key, i, True in s) for i, s in seen.items() if len(s) == 1]]
    return [*out, *([_has(key, i, i in s) for i in items] for s in known)]


_TESTS: Final = {"finite": _finite, "number": _number, "list": _list}


def _pred(var: Var, atoms: frozenset[int]) -> Compiled:
    tests = _TESTS[var.kind](fact_key(var.path), var, atoms)
    return _or([_and(list(conj)) for conj in tests])


def _as_written(f: Formula, vars_: list[Var]) -> Compiled:
    from .diagram import Pred

    if isinstance(f, bool):
        return TRUE if f else FALSE
    if isinstance(f, Pred):
        return _pred(vars_[f.var], f.atoms)
    parts = [_as_written(p, vars_) for p in f.parts]
    return _and(parts) if f.meet else _or(parts)


def groups(test: Compiled) -> int:
    """The ``$and``/``$or`` groups in a match (a rule holds at most :data:`MAX_GROUPS`, its
    anchor's included)."""
    if not isinstance(test, dict):
        return 0
    parts = test.get("$and") or test.get("$or")
    return 0 if parts is None else 1 + sum(groups(p) for p in parts)


def compile_condition(cond: Condition, positive: bool = True) -> Compiled:
    """The durable-rules test for ``cond`` holding (``positive``) or failing.

    When it fits durable-rules' limit on groups, the test is the disjoint alternatives of its
    decision diagram (:mod:`.diagram`): a record matches one at most, so the rule fires once.
    Otherwise it is compiled as written (its ``all``/``any``/``not`` pushed down to the facts'
    tests), and a record matching several branches of an ``any`` fires the rule once for each.
    Either way a test on one fact is one durable-rules test, unknown included."""
    from .diagram import Diagram

    diagram = Diagram(cond)
    f = diagram.formula(positive)
    test = _disjoint(diagram, f)
    return test if groups(test) < MAX_GROUPS else _as_written(f, diagram.vars)


def _disjoint(diagram: Diagram, f: Formula) -> Compiled:
    """``f`` as the alternatives of its decision diagram if they fit in a rule; otherwise, for an
    ``all``, each part so, as far as they fit together (a record matching one alternative of
    each part matches once); and for an ``any``, as written."""
    from .diagram import Join

    if not isinstance(f, Join):
        return _as_written(f, diagram.vars)
    paths = diagram.paths(f, MAX_PATHS)
    if len(paths) <= MAX_PATHS:
        flat = _or([_and([_pred(diagram.vars[p.var], p.atoms) for p in path]) for path in paths])
        if groups(flat) < MAX_GROUPS:
            return flat
    if not f.meet:
        return _as_written(f, diagram.vars)
    parts = [_disjoint(diagram, p) for p in f.parts]
    if sum(map(groups, parts)) < MAX_GROUPS - 1:
        return _and(parts)
    written = [_as_written(p, diagram.vars) for p in f.parts]
    while sum(map(groups, parts)) >= MAX_GROUPS - 1:
        saving, i = max(
            (groups(p) - groups(w), i) for i, (p, w) in enumerate(zip(parts, written, strict=True))
        )
        if saving <= 0:
            break
        parts[i] = written[i]  # this part as written: it may fire more than once
    return _and(parts)
