"""An exception raised while a durable-rules session is open (Ctrl-C, a timeout, a cancelled
request) never leaks the session: durable-rules allows 1,024 live sessions per ruleset, and a
leak past that breaks every later decision in the process."""

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


@pytest.mark.parametrize("where", ["assert_fact", "start_action_for_state", "delete_state"])
def test_an_interruption_at_any_engine_call_leaks_no_session(
    policy: Policy, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    engine = Engine(policy, DurableEvaluator(policy))
    records = _records(policy)
    expected = [engine.decide(r).model_dump_json() for r in records]
    real = getattr(durable_rules_engine, where)

    def interrupted_after(*args: Any) -> Any:
        real(*args)  # the call completes, then the exception arrives (as a signal would)
        raise Interrupted

    monkeypatch.setattr(durable_rules_engine, where, interrupted_after)
    for i in range(SESSION_CAP + 100):
        with pytest.raises(Interrupted):
            engine.decide(records[i % len(records)])
    monkeypatch.undo()
    assert [engine.decide(r).model_dump_json() for r in records] == expected


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
