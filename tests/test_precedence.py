"""The precedence as a typed function of the rules' states, and the explanation pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from strategies import records
from transport_policy import decide, load_case, parse_record
from transport_policy.decision.precedence import (
    Outcome,
    RuleState,
    RuleStatus,
    precedence,
    rule_state,
)
from transport_policy.engine.runtime import policy_fields, record_facts
from transport_policy.rules.conditions import FAILS, HOLDS, UNKNOWN, Reading, can_reach, evaluate
from transport_policy.rules.model import Policy

H, F, U = RuleState(RuleStatus.HOLDS), RuleState(RuleStatus.FAILS), RuleState(RuleStatus.UNKNOWN)


@pytest.mark.parametrize(
    ("condition", "unless", "want"),
    [
        (HOLDS, None, H),
        (UNKNOWN, None, U),
        (FAILS, HOLDS, F),
        (HOLDS, HOLDS, RuleState(RuleStatus.DEFEATED)),
        (UNKNOWN, HOLDS, RuleState(RuleStatus.UNKNOWN, settled=True)),
        (HOLDS, FAILS, H),
        (HOLDS, UNKNOWN, RuleState(RuleStatus.UNKNOWN, pending=True)),
        (UNKNOWN, UNKNOWN, U),
        (UNKNOWN, FAILS, U),
    ],
)
def test_a_rule_state_follows_its_condition_and_defeater(
    condition: str, unless: str | None, want: RuleState
) -> None:
    assert rule_state(condition, unless) == want  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("unless", "can_fail", "want"),
    [
        (None, False, RuleState(RuleStatus.UNKNOWN, pending=True)),
        (FAILS, False, RuleState(RuleStatus.UNKNOWN, pending=True)),
        (UNKNOWN, False, U),  # it could still be defeated: the others may matter
        (HOLDS, False, RuleState(RuleStatus.UNKNOWN, settled=True)),
        (None, True, U),
    ],
)
def test_an_unknown_exclusion_that_cannot_fail_and_cannot_be_defeated_is_pending(
    unless: str | None, can_fail: bool, want: RuleState
) -> None:
    assert rule_state(UNKNOWN, unless, can_fail=can_fail) == want  # type: ignore[arg-type]


def test_whether_a_condition_can_fail_reads_false_as_unknown_where_the_policy_does(
    policy: Policy,
) -> None:
    bus = policy.rule_index["public-transport"].condition
    facts = {
        "travel.can_use_public_transport": "with_support",
        "travel.public_transport_support_from_unpaid_carer": True,
        "judgement.public_transport_reasonable": True,
    }
    assert evaluate(bus, facts) == UNKNOWN
    # the wellbeing can only come to be considered (a recorded false reads as not yet)
    assert not can_reach(bus, facts, FAILS, policy.unknown_if_false)
    assert can_reach(bus, facts, FAILS)
    assert can_reach(bus, facts, HOLDS, policy.unknown_if_false)
    open_judgement = {**facts, "judgement.public_transport_reasonable": None}
    assert can_reach(bus, open_judgement, FAILS, policy.unknown_if_false)


def _states(policy: Policy, **given: RuleState) -> dict[str, RuleState]:
    return {r.id: given.get(r.id.replace("-", "_"), F) for r in policy.rules}


def test_scope_comes_before_any_alternative(policy: Policy) -> None:
    states = _states(policy, under_18=H, can_mobilise=H)
    verdict = precedence(policy, states, None)
    assert verdict.recommendation.outcome is Outcome.OUT_OF_SCOPE
    assert [r.id for r in verdict.recommendation.grounds] == ["under-18"]


def test_a_pending_alternative_is_asked_before_the_others(policy: Policy) -> None:
    pending = RuleState(RuleStatus.UNKNOWN, pending=True)
    states = _states(policy, can_mobilise=pending, private_car=U)
    rec = precedence(policy, states, None).recommendation
    assert rec.outcome is Outcome.NEEDS_INFORMATION
    assert [r.id for r in rec.asked] == ["can-mobilise"]
    states = _states(policy, can_mobilise=U, private_car=U)
    asked = precedence(policy, states, None).recommendation.asked
    assert {r.id for r in asked} == {"can-mobilise", "private-car"}


def test_transport_is_provided_only_when_every_alternative_is_ruled_out(policy: Policy) -> None:
    states = _states(policy, can_mobilise=RuleState(RuleStatus.DEFEATED), health_safety=H)
    verdict = precedence(policy, states, None)
    assert verdict.recommendation.outcome is Outcome.PROVIDE
    assert [r.id for r in verdict.recommendation.grounds] == ["health-safety"]
    considered = dict((r.id, s) for r, s in verdict.recommendation.considered)
    assert considered["can-mobilise"] is RuleStatus.DEFEATED


@given(data=records())
def test_the_explanation_pass_reads_every_condition_as_the_reference_does(
    policy: Policy, data: dict[str, Any]
) -> None:
    facts = record_facts(parse_record(data), policy_fields(policy), policy)
    reading = Reading(facts)
    for slot, cond in policy.slots:
        assert reading.status(cond) == evaluate(cond, facts), slot
        assert reading.status(cond) == evaluate(cond, facts), slot  # remembered, unchanged


CASES = Path(__file__).resolve().parents[1] / "cases"


def test_the_family_driver_reason_shows_whose_car_it_is() -> None:
    """The car fields are shown with the family driver's reason (its evidence), though they never
    decide it."""
    name = "a-man-with-his-own-car-whose-daughter-drives-him-in-hers-pays-no-own-car-costs"
    record, _ = load_case(CASES / f"{name}-and-mileage-is-explored.yaml")
    reason = next(r for r in decide(record).reasons if r.clause == "exclude.family_driver")
    assert reason.facts["support_network.carer_uses_own_car"] is True
    assert reason.facts["vehicles.private_car"] is True
    assert reason.facts["judgement.family_transport_reasonable"] is True
