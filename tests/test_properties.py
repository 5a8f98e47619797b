"""Properties every decision has, checked over generated assessment records."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from strategies import (
    FACT_PATHS,
    Malformed,
    alternative_assignments,
    fact,
    malformed_records,
    records,
    sample,
    to_json_ready,
    value_strategy,
    with_facts,
)
from transport_policy import decide
from transport_policy.api import select_policy
from transport_policy.casefile import parse_record
from transport_policy.engine import Engine, PythonEvaluator, engine_for
from transport_policy.errors import RecordError
from transport_policy.model.contradictions import contradictions, values_of
from transport_policy.model.decision import Decision
from transport_policy.model.record import FIELD_ORDER
from transport_policy.rules.model import Policy


def policy_of(data: Mapping[str, Any]) -> Policy:
    """The policy version a record is decided under (the one in force at its date)."""
    return select_policy(parse_record(data))


_alternatives: dict[str, dict[str, list[dict[str, object]]]] = {}


def alternatives(policy: Policy) -> dict[str, list[dict[str, object]]]:
    if policy.digest not in _alternatives:
        _alternatives[policy.digest] = alternative_assignments(policy)
    return _alternatives[policy.digest]


def answers(path: str, policy: Policy) -> st.SearchStrategy[Any]:
    """Real answers to a question: its allowed values, less any the policy reads as unknown.

    ``support_network.carer_wellbeing_considered`` false means "not yet considered" and is read as
    unknown (decision-procedure.md), so answering false leaves that question open by design.
    """
    values = value_strategy(path)
    if path in policy.unknown_if_false:
        return values.filter(lambda v: v is not False)
    return values


# --- determinism ---------------------------------------------------------------------------------


@given(records())
def test_the_same_record_decided_twice_gives_identical_json(data: dict[str, Any]) -> None:
    first = decide(data).to_json()
    assert decide(data).to_json() == first
    reordered = {
        k: (dict(reversed(v.items())) if isinstance(v, dict) else v)
        for k, v in reversed(data.items())
    }
    assert decide(reordered).to_json() == first


@given(records())
def test_explanations_remembered_from_other_records_are_those_worked_out_afresh(
    data: dict[str, Any],
) -> None:
    """The process's engine remembers each rule's explanation across records (those of every
    example before this one); an engine that has seen no other record words the same decision."""
    record = parse_record(data)
    engine = engine_for(select_policy(record))
    fresh = Engine(engine.policy, PythonEvaluator(engine.policy))
    assert engine.decide(record).to_json() == fresh.decide(record).to_json()


_DECIDE_FILE = """
import json, sys
from transport_policy import decide
for record in json.load(open(sys.argv[1], encoding="utf-8")):
    print(decide(record).to_json())
"""


def test_decisions_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    generated = [to_json_ready(r) for r in sample(records(), 40)]
    path = tmp_path / "records.json"
    path.write_text(json.dumps(generated), encoding="utf-8")
    outputs = []
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _DECIDE_FILE, str(path)],
            env=env,
            capture_output=True,
            check=True,
            timeout=120,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    here = "".join(decide(r).to_json() + "\n" for r in generated).encode("utf-8")
    assert outputs[0] == here
    assert len(here.splitlines()) == len(generated)


# --- transport is the last resort ----------------------------------------------------------------


@given(records(profile="in_scope"), st.data())
def test_one_more_alternative_always_gives_do_not_provide(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    """Transport is the last resort: once any alternative holds, the recommendation is
    do_not_provide whatever else is unknown, and a do_not_provide stays one."""
    before = decide(data)
    options = alternatives(policy_of(data))
    rule_id = draw.draw(st.sampled_from(sorted(options)), label="alternative")
    facts = draw.draw(st.sampled_from(options[rule_id]), label="facts")
    changed = with_facts(data, facts)
    after = decide(changed)
    assert after.recommended_outcome == "do_not_provide"
    assert after.questions == []
    # one reason per clause (two rules may be the branches of one clause)
    held_before = {r.clause for r in before.reasons if r.rule}
    held_after = {r.clause for r in after.reasons if r.rule}
    clause = policy_of(data).rule_index[rule_id].clause
    # what held before still holds when the alternative only adds facts: its own facts may
    # turn a known one (``vehicles.motability: false`` beside a Motability car), and so may
    # the repair of a contradiction they make; either takes a fact away, not adds one
    known = [(p, fact(data, p)) for p in FACT_PATHS if fact(data, p) is not None]
    only_added = all(fact(changed, p) == value for p, value in known)
    if before.recommended_outcome == "do_not_provide" and only_added:
        assert after.outcome == before.outcome
        assert held_before | {clause} <= held_after
    else:
        assert clause in held_after


# --- answering a question settles it -------------------------------------------------------------


@given(records(complete=False), st.data())
def test_answering_a_question_never_asks_it_again(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    before = decide(data)
    assume(before.recommended_outcome == "needs_information")
    policy = policy_of(data)
    question = draw.draw(st.sampled_from(before.questions), label="question")
    value = draw.draw(answers(question.field, policy), label="answer")
    after = decide(with_facts(data, {question.field: value}))
    assert question.field not in [q.field for q in after.questions]


@given(records(profile="in_scope"), st.data())
def test_answering_every_question_reaches_a_decision(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    policy = policy_of(data)
    decision = decide(data)
    for _ in FACT_PATHS:
        if decision.recommended_outcome != "needs_information":
            break
        for q in decision.questions:  # one at a time: an answer that contradicts an earlier
            # one changes that earlier answer (with_facts keeps only the fact it sets); one that
            # cannot be recorded beside the others is not given (it is asked again)
            answered = with_facts(data, {q.field: draw.draw(answers(q.field, policy))})
            if not contradictions(values_of(answered)):
                data = answered
        decision = decide(data)
    assert decision.recommended_outcome != "needs_information"


# --- the shape of every decision -----------------------------------------------------------------


def cited_clauses(decision: Decision) -> list[str]:
    cited = [r.clause for r in decision.reasons] + [c.clause for c in decision.considered]
    cited += [clause for q in decision.questions for clause in q.clauses]
    cited += [e.clause for e in (*decision.charging, *decision.actions, *decision.appeal)]
    if decision.provision is not None:
        cited.append(decision.provision.clause)
    if decision.override is not None:
        cited.append(decision.override.clause)
    return cited


def in_order(keys: list[int], *, strictly: bool = False) -> bool:
    pairs = list(itertools.pairwise(keys))
    return all(a < b for a, b in pairs) if strictly else all(a <= b for a, b in pairs)


@given(records())
def test_every_decision_keeps_the_output_contract(data: dict[str, Any]) -> None:
    decision = decide(data)
    policy = policy_of(data)
    order = policy.clause_order
    asking = decision.recommended_outcome == "needs_information"

    if not asking:
        assert decision.reasons, "a settled outcome always gives its reasons"
    assert bool(decision.questions) == asking
    assert all(clause in policy.clauses for clause in cited_clauses(decision))
    rules = {r.id for r in policy.rules}
    assert all(r.rule is None or r.rule in rules for r in decision.reasons)

    for entries in (
        decision.reasons,
        decision.considered,
        decision.charging,
        decision.actions,
        decision.appeal,
    ):
        assert in_order([order[e.clause] for e in entries])
    assert in_order([FIELD_ORDER[q.field] for q in decision.questions], strictly=True)
    for question in decision.questions:
        assert question.clauses and in_order([order[c] for c in question.clauses], strictly=True)
        assert question.prompt == policy.prompts[question.field]

    if decision.override is None:
        assert decision.outcome == decision.recommended_outcome
    if "provide" not in (decision.recommended_outcome, decision.outcome) or (
        decision.recommended_outcome != decision.outcome
    ):
        assert not decision.temporary and not decision.review_required
    assert (decision.provision is not None) == (decision.outcome == "provide")
    if decision.recommended_outcome == "out_of_scope":
        # only the withdrawal with notice and the education transport duty
        assert decision.considered == []
        assert {a.clause for a in decision.actions} <= {
            "review.withdrawal",
            "legal.education_transport",
        }


# --- bad input -----------------------------------------------------------------------------------


@given(malformed_records())
def test_malformed_records_are_rejected_naming_the_field(bad: Malformed) -> None:
    with pytest.raises(RecordError) as caught:
        decide(bad.data)
    error = caught.value
    assert [e.field for e in error.errors] == [bad.path], bad.kind
    assert error.path == bad.path
    message = str(error)
    for text in bad.echo:
        assert text not in message, f"the error repeats the offending value ({bad.kind})"
