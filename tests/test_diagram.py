"""How a condition's test is compiled for durable-rules: its decision diagram's paths are disjoint
and match exactly where the reference reading says the test holds (so a rule fires at most once
for a record); a test on one fact is one durable-rules test; and every slot of the policy
compiles within durable-rules' limits."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transport_policy.engine.compile import compile_condition, compile_rules, fact_key
from transport_policy.engine.diagram import Diagram, Formula, Join, Pred
from transport_policy.engine.matches import MAX_GROUPS, groups
from transport_policy.rules.conditions import FAILS, HOLDS, AnyOf, Leaf, Not, evaluate
from transport_policy.rules.model import Policy

PURPOSE = "destination.purpose"
CAN_MOBILISE = "travel.can_mobilise_safely"
PRIVATE_CAR = "vehicles.private_car"


def _value(f: Formula, atoms: dict[int, int]) -> bool:
    if isinstance(f, bool):
        return f
    if isinstance(f, Pred):
        return atoms[f.var] in f.atoms
    assert isinstance(f, Join)
    parts = (_value(p, atoms) for p in f.parts)
    return all(parts) if f.meet else any(parts)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_paths_are_disjoint_and_match_where_the_reference_says(
    policy: Policy, data: st.DataObject
) -> None:
    for slot, cond in policy.slots:
        diagram = Diagram(cond)
        atoms = {
            i: data.draw(st.integers(0, len(v.atoms) - 1), label=v.path)
            for i, v in enumerate(diagram.vars)
        }
        facts = {
            v.path: list(value) if isinstance(value, tuple) else value
            for v, value in ((v, v.atoms[atoms[i]]) for i, v in enumerate(diagram.vars))
        }
        status = evaluate(cond, facts)
        for positive, want in ((True, HOLDS), (False, FAILS)):
            f = diagram.formula(positive)
            assert _value(f, atoms) == (status == want), (slot, positive, facts)
            if isinstance(f, bool):
                continue
            every = diagram.paths(f, limit=100_000)
            matched = [p for p in every if all(atoms[t.var] in t.atoms for t in p)]
            assert len(matched) == (status == want), (slot, positive, facts, matched)


def test_every_slot_compiles_within_durable_rules_limits(policy: Policy) -> None:
    """At most 15 groups in a rule, and no ``$mt`` pattern (durable-rules does not free a
    pattern's state machine with its ruleset: engines replaced after rule edits would leak)."""
    ruleset, _ = compile_rules(policy)
    for name, rule in ruleset.items():
        assert groups(rule["all"][0]["m"]) <= MAX_GROUPS, name
        assert "$mt" not in json.dumps(rule), name


def test_a_test_of_one_fact_is_one_durable_rules_test() -> None:
    purpose, mobilise, car = fact_key(PURPOSE), fact_key(CAN_MOBILISE), fact_key(PRIVATE_CAR)
    # Two values of six: two equalities (a record matches one at most); all but one known
    # value: one inequality; all but two: two inequalities (no pattern: see below).
    either = AnyOf((Leaf(PURPOSE, "is", "education"), Leaf(PURPOSE, "is", "employment")))
    assert compile_condition(either) == {"$or": [{purpose: "education"}, {purpose: "employment"}]}
    assert compile_condition(Not(either)) == {
        "$and": [{"$neq": {purpose: "education"}}, {"$neq": {purpose: "employment"}}]
    }
    able = Leaf(CAN_MOBILISE, "in", ("independently", "with_support"))
    assert compile_condition(able) == {"$neq": {mobilise: "unable"}}
    # "Not recorded as true" is unknown (the fact absent) or false: no third branch.
    not_true = AnyOf((Leaf(PRIVATE_CAR, "known", False), Leaf(PRIVATE_CAR, "is", False)))
    assert compile_condition(not_true) == {"$or": [{"$nex": {car: 1}}, {car: False}]}
    assert compile_condition(Not(not_true)) == {car: True}


def test_an_any_of_two_facts_is_compiled_as_disjoint_branches() -> None:
    """A record for which both branches hold matches one of them (one firing, not two)."""
    car = fact_key(PRIVATE_CAR)
    mobilise = fact_key(CAN_MOBILISE)
    either = AnyOf((Leaf(PRIVATE_CAR, "is", True), Leaf(CAN_MOBILISE, "is", "unable")))
    test = compile_condition(either)
    assert isinstance(test, dict)
    branches = sorted(json.dumps(b, sort_keys=True) for b in test["$or"])
    assert branches == sorted(
        json.dumps(b, sort_keys=True)
        for b in (
            {car: True},
            {"$and": [{"$or": [{"$nex": {car: 1}}, {car: False}]}, {mobilise: "unable"}]},
        )
    )


@pytest.mark.parametrize("age", [0, 16, 17, 18, 64, 65, 120])
def test_number_ranges_agree_with_the_reference(age: int) -> None:
    cond = AnyOf((Leaf("person.age", "lt", 17), Leaf("person.age", "gte", 65)))
    diagram = Diagram(cond)
    f = diagram.formula(True)
    status = evaluate(cond, {"person.age": age})
    (var,) = diagram.vars
    inside = [
        i
        for i, (low, low_in, high, high_in) in enumerate(var.ranges, start=1)
        if (low is None or age > low or (low_in and age == low))
        and (high is None or age < high or (high_in and age == high))
    ]
    assert len(inside) == 1
    assert _value(f, {0: inside[0]}) == (status == HOLDS)
