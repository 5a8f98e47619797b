"""Compiling a policy's conditions into a durable-rules ruleset.

Every condition of every rule (a *slot*) becomes two durable-rules rules: ``<slot>#H`` matches
records where it holds and ``<slot>#F`` where it fails; when neither fires it is unknown. Slots
that only need to know whether they hold (``Policy.trigger_slots``) get the holds-test alone:
every fired rule costs a round trip carrying the whole fact, so rules nobody reads are not
made. Tests that compile to the same match are one rule deciding each slot test that shares
it, and an ``always`` condition is decided by the catch-all (:func:`compile_rules`). Each test
is compiled by :mod:`.matches`.

Because of durable-rules' sharp edges (docs/architecture.md): every rule is anchored on the
record's ``kind`` (a rule made only of ``$nex`` would match the session state itself), a catch-all
rule fires last on every record (deleting a session whose fact matched nothing crashes the
process), and ruleset names carry the policy version and digest so versions never collide.
"""

from __future__ import annotations

import json
from typing import Any, Final

from ..rules.conditions import Condition, leaves_of
from ..rules.model import Policy
from .matches import ANCHOR_KEY, FALSE, TRUE, Compiled, Expr, compile_condition, fact_key

__all__ = [
    "ANCHOR",
    "ANCHOR_KEY",
    "CATCH_ALL",
    "EMPTY_ITEM",
    "compile_condition",
    "compile_policy",
    "compile_rules",
    "fact_key",
    "has_fields",
    "ruleset_name",
]

ANCHOR: Final = "tp-record"
CATCH_ALL: Final = "$catch-all"
EMPTY_ITEM: Final = ""
"""Asserted in place of an empty list (a list field a ``has`` test reads): durable-rules'
``$iall`` never matches an empty list, and no allowed value is empty."""


def has_fields(policy: Policy) -> tuple[str, ...]:
    """The list fields a ``has`` test of the policy reads (asserted with :data:`EMPTY_ITEM` for
    an empty list)."""
    return tuple(
        dict.fromkeys(
            leaf.field for _, cond in policy.slots for leaf in leaves_of(cond) if leaf.op == "has"
        )
    )


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
    made: dict[tuple[Condition, bool], Compiled] = {}  # a condition read by several slots
    for slot, cond in policy.slots:
        tests = (("#H", True),) if slot in policy.trigger_slots else (("#H", True), ("#F", False))
        for suffix, positive in tests:
            test = made.get((cond, positive))
            if test is None:
                test = made[cond, positive] = compile_condition(cond, positive)
            rule = _rule(test, pri=1)
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
