"""An exception raised while a durable-rules session is in use (Ctrl-C, a timeout, a cancelled
request) never leaks the session, nor leaves a fact in it for the next decision: durable-rules
allows 1,024 live sessions per ruleset, and a leak past that breaks every later decision in the
process."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Any

import durable_rules_engine
import pytest

from transport_policy.casefile import load_case
from transport_policy.engine import Engine
from transport_policy.engine.runtime import DurableEvaluator
from transport_policy.model.record import AssessmentRecord
from transport_policy.rules.model import Policy

CASES = sorted((Path(__file__).resolve().parents[1] / "cases").glob("*.yaml"))
SESSION_CAP = 1024


class Interrupted(Exception):
    """Stands for KeyboardInterrupt, a timeout or a cancellation."""


def _records(policy: Policy) -> list[AssessmentRecord]:
    records = [load_case(path)[0] for path in CASES]
    return [r for r in records if r.assessment_date >= policy.effective_from][:5]


@pytest.mark.parametrize(
    ("where", "renew_every"),
    [
        ("assert_fact", None),
        ("start_action_for_state", None),
        ("complete_and_start_action", None),
        ("retract_fact", None),
        # a new session before every decision: the deletion of each is interrupted
        ("delete_state", 1),
    ],
)
def test_an_interruption_at_any_engine_call_leaks_no_session(
    policy: Policy, monkeypatch: pytest.MonkeyPatch, where: str, renew_every: int | None
) -> None:
    evaluator = DurableEvaluator(policy)
    if renew_every is not None:
        evaluator.session_decisions = renew_every
    engine = Engine(policy, evaluator)
    records = _records(policy)
    expected = [engine.decide(r).model_dump_json() for r in records]
    real = getattr(durable_rules_engine, where)

    def interrupted_after(*args: Any) -> Any:
        real(*args)  # the call completes, then the exception arrives (as a signal would)
        raise Interrupted

    monkeypatch.setattr(durable_rules_engine, where, interrupted_after)
    interruptions = 0
    for i in range(2 * SESSION_CAP + 200):
        try:
            decided = engine.decide(records[i % len(records)])
        except Interrupted:
            interruptions += 1
            continue
        # only a retried deletion (of a session already deleted) is not interrupted
        assert where == "delete_state"
        assert decided.model_dump_json() == expected[i % len(records)]
    assert interruptions > SESSION_CAP
    monkeypatch.undo()
    assert [engine.decide(r).model_dump_json() for r in records] == expected


def test_one_session_serves_many_decisions_and_is_replaced_when_due(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluator = DurableEvaluator(policy)
    evaluator.session_decisions = 7
    engine = Engine(policy, evaluator)
    records = _records(policy)
    expected = [engine.decide(r).model_dump_json() for r in records]
    calls = {"assert_fact": 0, "retract_fact": 0, "delete_state": 0}
    for name in calls:
        real = getattr(durable_rules_engine, name)

        def counted(*args: Any, _real: Any = real, _name: str = name) -> Any:
            calls[_name] += 1
            return _real(*args)

        monkeypatch.setattr(durable_rules_engine, name, counted)
    decided = [engine.decide(records[i % len(records)]).model_dump_json() for i in range(70)]
    assert decided == [expected[i % len(records)] for i in range(70)]
    assert calls["assert_fact"] == calls["retract_fact"] == 70
    assert calls["delete_state"] == 10  # every 7 decisions (5 were made before counting)


def test_a_session_left_holding_a_fact_is_deleted_and_never_reused(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluator = DurableEvaluator(policy)
    engine = Engine(policy, evaluator)
    records = _records(policy)
    expected = [engine.decide(r).model_dump_json() for r in records]
    deleted: list[str] = []
    real_delete = durable_rules_engine.delete_state

    def delete(handle: int, sid: str) -> Any:
        deleted.append(sid)
        return real_delete(handle, sid)

    monkeypatch.setattr(durable_rules_engine, "delete_state", delete)
    monkeypatch.setattr(durable_rules_engine, "retract_fact", lambda handle, payload: (0, 0))
    with_fact = evaluator._sid
    assert engine.decide(records[0]).model_dump_json() == expected[0]
    # the fact was not retracted, but no action is pending: the session counts as clean
    monkeypatch.setattr(durable_rules_engine, "retract_fact", lambda handle, payload: (1, 0))
    assert engine.decide(records[1]).model_dump_json() == expected[1]
    assert deleted == []  # a failed retraction: deleted before the next decision, not now
    assert engine.decide(records[2]).model_dump_json() == expected[2]
    assert deleted == [with_fact] and evaluator._sid != with_fact


def test_decisions_stay_correct_after_thousands_of_signal_interruptions(policy: Policy) -> None:
    engine = Engine(policy, DurableEvaluator(policy))
    records = _records(policy)
    expected = [engine.decide(r).model_dump_json() for r in records]
    armed = False
    interruptions = 0

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        nonlocal armed
        if armed:  # disarmed here, so no alarm can escape the loop's own try
            armed = False
            raise Interrupted

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 0.0002, 0.0002)
    try:
        for i in range(6_000):
            try:
                armed = True
                engine.decide(records[i % len(records)])
                armed = False
            except Interrupted:
                interruptions += 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert interruptions > 0
    assert [engine.decide(r).model_dump_json() for r in records] == expected
