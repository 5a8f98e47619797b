"""The question engine: `next_questions` asks what a decision asks, in the policy's order, and
only questions the verifier proves could change the outcome (the engine confirming each proof)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from interviewing import prove_relevant
from strategies import fact, records, value_strategy, with_facts
from transport_policy import decide, load_case, next_questions
from transport_policy.api import select_policy
from transport_policy.casefile import parse_record
from transport_policy.engine.runtime import policy_fields, record_facts
from transport_policy.errors import RecordError
from transport_policy.model.contradictions import contradictions, values_of
from transport_policy.model.fields import FIELDS
from transport_policy.questions.engine import relevance_of
from transport_policy.rules.conditions import fields_read
from transport_policy.rules.model import Policy

CASES = sorted((Path(__file__).resolve().parents[1] / "cases").glob("*.yaml"))


def _policy(data: Any) -> Policy:
    return select_policy(parse_record(data))


def _same_as_the_decision(data: Any) -> None:
    policy = _policy(data)
    asked = next_questions(data, policy)
    decision = decide(data)
    by_field = {q.field: q for q in decision.questions}
    assert sorted(q.field for q in asked) == sorted(by_field)
    for question in asked:
        assert question.model_dump(exclude={"rules"}) == by_field[question.field].model_dump()
        spec = FIELDS[question.field]
        assert question.answer_type == spec.answer_type
        assert question.allowed_values == (list(spec.answer_values() or ()) or None)
        rules = [r for r in policy.rules if r.id in question.rules]
        assert rules and {r.clause for r in rules} == set(question.clauses)
        assert all(question.field in r.fields for r in rules)
    # in the policy's order: the order of the first rule asking each field
    position = {r.id: n for n, r in enumerate(policy.rules)}
    firsts = [position[q.rules[0]] for q in asked]
    assert firsts == sorted(firsts)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_with_nothing_skipped_the_engine_asks_what_the_golden_decision_asks(path: Path) -> None:
    record, _ = load_case(path)
    _same_as_the_decision(record)


@given(records())
def test_with_nothing_skipped_the_engine_asks_what_the_decision_asks(data: dict[str, Any]) -> None:
    _same_as_the_decision(data)


@st.composite
def partial_with_skips(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """A record, and some of its open deciding facts put to the assessor and left open."""
    data = draw(records())
    policy = _policy(data)
    open_ = [p for p in relevance_of(policy).table_of if fact(data, p) is None]
    skip = draw(st.lists(st.sampled_from(open_), unique=True)) if open_ else []
    return data, skip


@given(partial_with_skips())
def test_every_question_asked_is_proved_relevant_and_the_engine_agrees(
    case: tuple[dict[str, Any], list[str]],
) -> None:
    data, skip = case
    policy = _policy(data)
    asked = next_questions(data, policy, skip=skip)
    assert not {q.field for q in asked} & set(skip)
    for question in asked:
        prove_relevant(data, question.field, policy)


def _settling(policy: Policy, data: dict[str, Any]) -> set[str]:
    """The fields whose answer would settle an open fact through one of the policy's readings."""
    return {
        path
        for read, _, when in policy.conditional_readings
        if fact(data, read) is None
        for path in fields_read(when)
    }


@given(partial_with_skips(), st.data())
def test_an_open_fact_not_asked_never_changes_the_recommendation(
    case: tuple[dict[str, Any], list[str]], draw: st.DataObject
) -> None:
    """When the engine asks nothing more about a record (the outcome settled, or every fact that
    could matter put to the assessor and left open), answering any open fact it did not ask
    leaves the recommendation as it is.

    The record is completed first (its open facts, the skipped ones too, drawn as known or
    open) and the engine is asked about that record: a question the policy orders after
    another (whether a carer's wellbeing was considered, after whether the support is an unpaid
    carer's) is asked only once the first is answered, so while the first is open the second
    is rightly not asked, and may matter once it is answered.

    Not asked either, and left out here: a fact that matters only through one of the policy's
    readings of another, open one (receiving the standard rate of the mobility component reads
    an unknown higher rate as not received). The engine asks the fact the rules read; when that
    one is left open it does not offer the fact that would settle it (docs/command-line.md)."""
    data, skip = case
    policy = _policy(data)
    facts = record_facts(parse_record(data), policy_fields(policy), policy)
    open_ = [p for p in relevance_of(policy).table_of if facts.get(p) is None]
    assume(open_)
    others = {p: draw.draw(st.one_of(st.none(), value_strategy(p)), label=p) for p in open_}
    target = draw.draw(st.sampled_from(open_), label="answered")
    completed = with_facts(data, {**others, target: None})
    # the facts drawn are kept as drawn: a contradictory combination makes no record
    assume(not contradictions(values_of(completed)))
    asked = next_questions(completed, policy, skip=skip)
    while asked:  # every question asked is put to the assessor and left open, until none is
        skip = [*skip, *(q.field for q in asked)]
        asked = next_questions(completed, policy, skip=skip)
    assume(target not in skip)
    assume(target not in _settling(policy, completed))
    answer = draw.draw(value_strategy(target), label="answer")
    answered = with_facts(data, {**others, target: answer})
    assume(not contradictions(values_of(answered)))
    # and the two records differ in the answer alone: resolving a contradiction the answer made
    # may have turned one of the record's own facts, which is not answering one question
    left, right = values_of(completed), values_of(answered)
    assume(all(left[p] == right[p] for p in left if p != target))
    before = decide(completed).recommended_outcome
    assert decide(answered).recommended_outcome == before


def test_a_skipped_fact_moves_the_questions_on_in_the_policy_order(policy: Policy) -> None:
    """Age skipped: the other scope facts; every scope fact skipped: the alternatives, which
    still could change the outcome once scope is answered."""
    blank = {"case_id": "Q-1", "assessment_date": "2021-03-15"}
    first = [q.field for q in next_questions(blank, policy)]
    assert first[0] == "person.age"
    assert [q.field for q in next_questions(blank, policy, skip=["person.age"])] == first[1:]
    later = next_questions(blank, policy, skip=first)
    assert later and all(q.field not in first for q in later)
    assert {r.kind for q in later for r in policy.rules if r.id in q.rules} == {"exclusion"}
    for question in later:
        prove_relevant(blank, question.field, policy)


def test_a_settled_outcome_asks_nothing(policy: Policy) -> None:
    child = {"case_id": "Q-2", "assessment_date": "2021-03-15", "person": {"age": 12}}
    assert decide(child, policy=policy).outcome == "out_of_scope"
    assert next_questions(child, policy) == []


def test_a_skip_that_is_not_a_field_is_an_error_naming_it(policy: Policy) -> None:
    blank = {"case_id": "Q-3", "assessment_date": "2021-03-15"}
    with pytest.raises(RecordError) as caught:
        next_questions(blank, policy, skip=["person.age", "person.agge"])
    assert [e.field for e in caught.value.errors] == ["skip[1]"]
    assert "person.age" in caught.value.errors[0].message


def test_the_policy_defaults_to_the_version_in_force_and_can_be_named() -> None:
    blank = {"case_id": "Q-4", "assessment_date": "2021-03-15"}
    in_force = next_questions(blank)
    assert in_force == next_questions(blank, select_policy(parse_record(blank)))
    assert [q.field for q in next_questions(blank, "2016")] == [q.field for q in in_force]


def test_the_relevance_tables_are_made_once_per_policy(policy: Policy) -> None:
    assert relevance_of(policy) is relevance_of(policy)


def test_the_transition_assessment_is_never_asked(policy: Policy) -> None:
    """Whatever is skipped, person.transition_assessment is never a question; a 17-year-old's
    purpose is asked once the assessment is recorded, and not before."""
    seventeen = {"case_id": "Q-4", "assessment_date": "2024-09-02", "person": {"age": 17}}
    for record in ({"case_id": "Q-4", "assessment_date": "2024-09-02"}, seventeen):
        skipped: list[str] = []
        while asked := [q.field for q in next_questions(record, policy, skip=skipped)]:
            assert "person.transition_assessment" not in asked
            if record is seventeen:
                assert "destination.purpose" not in asked
            skipped += asked
    person = {"age": 17, "transition_assessment": True}
    asked = [q.field for q in next_questions({**seventeen, "person": person}, policy)]
    assert asked[0] == "destination.purpose" and "person.transition_assessment" not in asked
