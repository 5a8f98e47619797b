"""The durable-rules evaluator reads every condition exactly as the plain-Python reference does,
and the wrapper around durable-rules stays safe to use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from pydantic import BaseModel, ValidationError

from conftest import POLICY_2021, ROOT
from strategies import FACT_PATHS, allowed_values, records
from transport_policy import decide
from transport_policy.casefile import load_case, parse_record
from transport_policy.decision.wording import _cited
from transport_policy.engine import Engine
from transport_policy.engine.compile import (
    ANCHOR,
    ANCHOR_KEY,
    CATCH_ALL,
    _rule,
    compile_condition,
    compile_policy,
    compile_rules,
)
from transport_policy.engine.runtime import (
    _ENCODER,
    DurableEvaluator,
    PythonEvaluator,
    _encode,
    policy_fields,
    record_facts,
)
from transport_policy.errors import EngineError
from transport_policy.model.decision import Decision, Reason
from transport_policy.rules.conditions import Always
from transport_policy.rules.model import Policy

ANCHORED = {ANCHOR_KEY: ANCHOR}
DURABLE_RULES_PER_NODE_LIMIT = 512
"""durable-rules hangs creating a ruleset with more rules than this on one condition node."""


@pytest.fixture(scope="module")
def durable(policy: Policy) -> DurableEvaluator:
    return DurableEvaluator(policy)


@pytest.fixture(scope="module")
def reference(policy: Policy) -> PythonEvaluator:
    return PythonEvaluator(policy)


def facts_of(data: dict[str, Any], policy: Policy) -> dict[str, object]:
    return record_facts(parse_record(data), policy_fields(policy), policy)


@given(records())
def test_durable_rules_agree_with_the_reference_on_every_slot(
    policy: Policy, durable: DurableEvaluator, reference: PythonEvaluator, data: dict[str, Any]
) -> None:
    facts = facts_of(data, policy)
    assert durable.statuses(facts) == reference.statuses(facts)


@given(records(complete=True))
def test_durable_rules_agree_when_every_fact_is_known(
    policy: Policy, durable: DurableEvaluator, reference: PythonEvaluator, data: dict[str, Any]
) -> None:
    facts = facts_of(data, policy)
    assert all(
        value is not None
        for path, value in facts.items()
        if path in FACT_PATHS and path not in policy.unknown_if_false
    )
    assert durable.statuses(facts) == reference.statuses(facts)


def test_durable_rules_agree_when_every_fact_is_unknown(
    policy: Policy, durable: DurableEvaluator, reference: PythonEvaluator
) -> None:
    facts = facts_of({"case_id": "C-1", "assessment_date": "2021-06-01"}, policy)
    assert set(facts.values()) == {None}
    statuses = durable.statuses(facts)
    assert statuses == reference.statuses(facts)
    assert "unknown" in statuses.values()


def _one_fact_at_a_time(policy: Policy) -> Iterator[tuple[str, object]]:
    for path in policy_fields(policy):
        values = allowed_values(path)
        if values is None and path == "person.age":
            values = (0, 17, 18, 19, 64, 65, 130)
        yield from ((path, v) for v in values or ())


def test_durable_rules_agree_on_each_value_of_each_fact_alone(
    policy: Policy, durable: DurableEvaluator, reference: PythonEvaluator
) -> None:
    cases = list(_one_fact_at_a_time(policy))
    assert len(cases) > len(policy_fields(policy))
    empty = dict.fromkeys(policy_fields(policy))
    for path, value in cases:
        facts = {**empty, path: value}
        assert durable.statuses(facts) == reference.statuses(facts), (path, value)


def test_a_policy_compiled_twice_gets_two_working_rulesets(policy: Policy) -> None:
    first, second = DurableEvaluator(policy), DurableEvaluator(policy)
    assert first.name != second.name
    reference = PythonEvaluator(policy)
    data = {
        "case_id": "C-2",
        "assessment_date": "2022-01-10",
        "person": {
            "age": 40,
            "eligible_care_needs": True,
            "needs_transport_to_access_service": True,
            "service_area": "older_people",
        },
        "travel": {"can_mobilise_safely": "unable", "can_use_public_transport": "with_support"},
        "circumstances": {"temporary_illness": "none"},
    }
    facts = facts_of(data, policy)
    assert first.statuses(facts) == second.statuses(facts) == reference.statuses(facts)
    record = parse_record(data)
    one, two = Engine(policy, first), Engine(policy, second)
    assert one.decide(record).to_json() == two.decide(record).to_json()


FORKED_CHILD = r"""
import os, sys
from transport_policy.casefile import parse_record
from transport_policy.engine.runtime import DurableEvaluator, PythonEvaluator
from transport_policy.engine.runtime import policy_fields, record_facts
from transport_policy.errors import EngineError
from transport_policy.rules.loader import load_policy

policy = load_policy(sys.argv[1])
durable = DurableEvaluator(policy)
record = parse_record({"case_id": "C-3", "assessment_date": "2021-06-01"})
facts = record_facts(record, policy_fields(policy), policy)
durable.statuses(facts)
read_end, write_end = os.pipe()
pid = os.fork()
if pid == 0:  # the child: report what happened through the pipe, then leave at once
    try:
        os.close(read_end)
        try:
            durable.statuses(facts)
            outcome = b"no error"
        except EngineError:
            outcome = b"EngineError"
        except BaseException as exc:
            outcome = type(exc).__name__.encode()
        os.write(write_end, outcome)
    finally:
        os._exit(0)
os.close(write_end)
with os.fdopen(read_end, "rb") as pipe:
    reported = pipe.read()
_, status = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(status) == 0, "the child crashed"
assert durable.statuses(facts) == PythonEvaluator(policy).statuses(facts), "the parent changed"
print(reported.decode())
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="this platform has no fork")
def test_the_engine_refuses_to_run_in_a_forked_child() -> None:
    """Run in a fresh interpreter, so no thread of another test is running when it forks."""
    done = subprocess.run(
        [sys.executable, "-c", FORKED_CHILD, str(POLICY_2021)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "EngineError"


def _anchored(match: dict[str, Any]) -> bool:
    return match == ANCHORED or ANCHORED in match.get("$and", [])


def test_every_compiled_rule_is_anchored_and_a_catch_all_fires_last(policy: Policy) -> None:
    ruleset = compile_policy(policy)
    assert len(ruleset) < DURABLE_RULES_PER_NODE_LIMIT
    for name, rule in ruleset.items():
        (condition,) = rule["all"]
        assert _anchored(condition["m"]), name
    catch_all = ruleset[CATCH_ALL]
    assert catch_all["all"] == [{"m": ANCHORED}]
    assert all(
        catch_all["pri"] > rule["pri"] >= 0 for name, rule in ruleset.items() if name != CATCH_ALL
    )
    _, decides = compile_rules(policy)
    assert set(decides) == set(ruleset)
    decided = [entry for slots in decides.values() for entry in slots]
    assert len(decided) == len(set(decided))
    for slot, _ in policy.slots:
        assert (slot, True) in decided, slot
        if slot not in policy.trigger_slots:
            assert (slot, False) in decided, slot


def test_rules_with_the_same_match_are_one_rule(policy: Policy) -> None:
    """Slot tests that compile to the same match share one rule (one round trip when it fires),
    and an ``always`` condition is decided by the catch-all."""
    ruleset, decides = compile_rules(policy)
    matches = [json.dumps(rule["all"], sort_keys=True) for rule in ruleset.values()]
    assert len(matches) == len(set(matches))
    for name, slots in decides.items():
        for slot, holds in slots:
            cond = dict(policy.slots)[slot]
            rule = _rule(compile_condition(cond, holds), pri=1)
            assert rule is not None
            assert rule["all"] == ruleset[name]["all"], (name, slot)
    always = [slot for slot, cond in policy.slots if isinstance(cond, Always)]
    assert all((slot, True) in decides[CATCH_ALL] for slot in always)


def _models(value: object) -> Iterator[BaseModel]:
    if isinstance(value, BaseModel):
        yield value
        for name in type(value).model_fields:
            yield from _models(getattr(value, name))
    elif isinstance(value, list):
        for item in value:
            yield from _models(item)


def _same_as_validated(decision: Decision) -> None:
    validated = Decision.model_validate(decision.model_dump())
    assert validated == decision
    assert validated.model_dump_json() == decision.model_dump_json() == decision.to_json()
    for made, checked in zip(_models(decision), _models(validated), strict=True):
        assert type(made) is type(checked)
        assert list(made.__dict__) == list(checked.__dict__)  # field order: the JSON's order
        assert made.model_fields_set == checked.model_fields_set
        for name, value in made.__dict__.items():
            assert type(value) is type(checked.__dict__[name]), (type(made).__name__, name)


def test_decisions_made_without_validation_are_those_validation_makes() -> None:
    cases = sorted((ROOT / "cases").glob("*.yaml"))
    assert len(cases) > 40
    for path in cases:
        _same_as_validated(decide(load_case(path)[0]))


@given(records())
def test_decisions_of_any_record_are_those_validation_makes(data: dict[str, Any]) -> None:
    _same_as_validated(decide(data))


def test_a_fact_that_is_not_a_fact_value_is_refused_as_before() -> None:
    reason = {"clause": "1", "rule": "r", "summary": "s"}
    with pytest.raises(ValidationError):
        _cited(Reason, reason["clause"], reason["rule"], reason["summary"], {"a.b": [1]})
    with pytest.raises(ValidationError):
        _cited(Reason, reason["clause"], reason["rule"], reason["summary"], {"a.b": {"x": 1}})
    made = _cited(Reason, reason["clause"], reason["rule"], reason["summary"], {"a.b": 1.5})
    assert made == Reason(**reason, facts={"a.b": 1.5})
    # a list field a ``has`` test reads is shown as the values it holds (validated)
    listed = _cited(Reason, reason["clause"], reason["rule"], reason["summary"], {"a.b": ["x"]})
    assert listed == Reason(**reason, facts={"a.b": ["x"]})


@pytest.mark.parametrize(
    "fact",
    [
        {"a": 17, "b": True, "c": "unable", "d": ["walking", "driving"], "kind": "tp-record"},
        {"a": "é", "b": 1.5, "c": 1e16, "d": -0.0, "e": 2**60},
        {"a": "NaN", "b": "Infinity", "c": 'quote " and \\ and \n'},
    ],
)
def test_the_fact_is_written_as_the_standard_encoder_reads_it(fact: dict[str, object]) -> None:
    assert json.loads(_encode(fact)) == json.loads(_ENCODER.encode(fact))
    assert _encode(fact).isascii()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), [float("nan")]])
def test_a_fact_that_is_not_finite_is_an_engine_error(policy: Policy, bad: object) -> None:
    with pytest.raises(EngineError, match="not a finite JSON value"):
        _encode({"a": bad})
    evaluator = DurableEvaluator(policy)
    try:
        with pytest.raises(EngineError, match="not a finite JSON value"):
            evaluator.statuses({"person.age": bad})
    finally:
        evaluator.close()
