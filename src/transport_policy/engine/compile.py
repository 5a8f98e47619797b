"""Compiling a policy's conditions into a durable-rules ruleset.

Every condition of every rule (a *slot*) becomes two durable-rules rules: ``<slot>#H`` matches
records where it holds and ``<slot>#F`` where it fails; when neither fires it is unknown. Slots
that only need to know whether they hold (``Policy.trigger_slots``) get the holds-test alone:
every fired rule costs a round trip carrying the whole fact, so rules nobody reads are not
made. Tests that compile to the same match are one rule deciding each slot test that shares
it, and an ``always`` condition is decided by the catch-all (:func:`compile_rules`). Unknown facts
are absent from the asserted fact (nulls are stripped), so three-valued logic reduces to two
positive tests, pushed through ``all``/``any``/``not`` by De Morgan.

Because of durable-rules' sharp edges (docs/architecture.md): every rule is anchored on the
record's ``kind`` (a rule made only of ``$nex`` would match the session state itself), a catch-all
rule fires last on every record (deleting a session whose fact matched nothing crashes the
process), and ruleset names carry the policy version and digest so versions never collide.
"""

from __future__ import annotations

import json
from typing import Any, Final

from ..model.record import FIELD_ORDER
from ..rules.conditions import All, Always, AnyOf, Condition, Leaf, Not, RuleRef
from ..rules.model import Policy

ANCHOR_KEY: Final = "kind"
ANCHOR: Final = "tp-record"
CATCH_ALL: Final = "$catch-all"
EMPTY_ITEM: Final = ""
"""Asserted in place of an empty list (a list field a ``has`` test reads): durable-rules'
``$iall`` never matches an empty list, and no allowed value is empty."""

Expr = dict[str, Any]


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


def _and(parts: list[Compiled]) -> Compiled:
    kept: list[Expr] = []
    for p in parts:
        if p is FALSE:
            return FALSE
        if p is not TRUE:
            assert isinstance(p, dict)
            kept.append(p)
    if not kept:
        return TRUE
    return kept[0] if len(kept) == 1 else {"$and": kept}


def _or(parts: list[Compiled]) -> Compiled:
    kept: list[Expr] = []
    for p in parts:
        if p is TRUE:
            return TRUE
        if p is not FALSE:
            assert isinstance(p, dict)
            kept.append(p)
    if not kept:
        return FALSE
    return kept[0] if len(kept) == 1 else {"$or": kept}


def _leaf(leaf: Leaf, positive: bool) -> Compiled:
    key = fact_key(leaf.field)
    exists: Expr = {"$ex": {key: 1}}
    if leaf.op == "known":
        return exists if positive == leaf.value else {"$nex": {key: 1}}
    if leaf.op == "has":  # an item equals the value / every item (EMPTY_ITEM for none) differs
        if positive:
            return {"$iany": {key: {"$i": leaf.value}}}
        return _and([exists, {"$iall": {key: {"$neq": {"$i": leaf.value}}}}])
    if leaf.op in ("is", "in"):
        values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
        if positive:
            return _or([{key: v} for v in values])
        return _and([exists, *({"$neq": {key: v}} for v in values)])
    op = leaf.op if positive else {"lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt"}[leaf.op]
    return _and([exists, {f"${op}": {key: leaf.value}}])


def has_fields(policy: Policy) -> tuple[str, ...]:
    """The list fields a ``has`` test of the policy reads (asserted with :data:`EMPTY_ITEM` for
    an empty list)."""
    out: dict[str, None] = {}

    def walk(cond: Condition) -> None:
        if isinstance(cond, Leaf):
            if cond.op == "has":
                out[cond.field] = None
        elif isinstance(cond, (All, AnyOf)):
            for part in cond.parts:
                walk(part)
        elif isinstance(cond, Not):
            walk(cond.part)

    for _, cond in policy.slots:
        walk(cond)
    return tuple(out)


def compile_condition(cond: Condition, positive: bool = True) -> Compiled:
    """The durable-rules test for ``cond`` holding (``positive``) or failing."""
    if isinstance(cond, Leaf):
        return _leaf(cond, positive)
    if isinstance(cond, All):
        parts = [compile_condition(p, positive) for p in cond.parts]
        return _and(parts) if positive else _or(parts)
    if isinstance(cond, AnyOf):
        parts = [compile_condition(p, positive) for p in cond.parts]
        return _or(parts) if positive else _and(parts)
    if isinstance(cond, Not):
        return compile_condition(cond.part, not positive)
    if isinstance(cond, Always):
        return TRUE if positive else FALSE
    assert not isinstance(cond, RuleRef), "rule references are resolved when the policy loads"
    raise TypeError(f"cannot compile {cond!r}")


def _rule(test: Compiled, pri: int) -> dict[str, Any] | None:
    if test is FALSE:
        return None
    anchor: Expr = {ANCHOR_KEY: ANCHOR}
    match = anchor if test is TRUE else {"$and": [anchor, test]}
    return {"all": [{"m": match}], "pri": pri}


Decides = dict[str, tuple[tuple[str, bool], ...]]
"""Rule name → the slots its firing decides, each with whether it means the slot holds."""


def compile_rules(policy: Policy) -> tuple[dict[str, dict[str, Any]], Decides]:
    """The durable-rules ruleset definition and what each of its rules decides.

    Every slot's holds-test (and, for a three-valued slot, its fails-test) is compiled; tests
    that compile to the same durable-rules match are one rule, named after the first slot test
    that has it (``<slot>#H`` or ``<slot>#F``), deciding every slot test that shares it: every
    rule that fires costs a round trip carrying the whole fact, so a match is made once however
    many conditions read it. A test that is the bare anchor (an ``always`` condition) is the
    catch-all's own match, so the catch-all decides it. A test that can never match (``FALSE``)
    makes no rule.
    """
    catch_all: dict[str, Any] = {"all": [{"m": {ANCHOR_KEY: ANCHOR}}], "pri": 1000}
    names: dict[str, str] = {json.dumps(catch_all["all"], sort_keys=True): CATCH_ALL}
    ruleset: dict[str, dict[str, Any]] = {}
    decides: dict[str, list[tuple[str, bool]]] = {CATCH_ALL: []}
    for slot, cond in policy.slots:
        tests = (("#H", True),) if slot in policy.trigger_slots else (("#H", True), ("#F", False))
        for suffix, positive in tests:
            rule = _rule(compile_condition(cond, positive), pri=1)
            if rule is None:
                continue
            key = json.dumps(rule["all"], sort_keys=True)
            name = names.setdefault(key, slot + suffix)
            if name not in decides:
                ruleset[name] = rule
                decides[name] = []
            decides[name].append((slot, positive))
    ruleset[CATCH_ALL] = catch_all
    return ruleset, {name: tuple(slots) for name, slots in decides.items()}


def compile_policy(policy: Policy) -> dict[str, dict[str, Any]]:
    """The durable-rules ruleset definition (rule name → rule) for every slot of the policy."""
    return compile_rules(policy)[0]


def ruleset_name(policy: Policy, instance: str) -> str:
    """A ruleset name unique to this policy version, digest and engine instance."""
    return f"transport-policy:{policy.id}:{policy.version}:{policy.digest[7:23]}:{instance}"
