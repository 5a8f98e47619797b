"""The engine: compile a policy for durable-rules and decide records with it."""

from __future__ import annotations

from typing import Final

from .. import __version__
from ..decision.build import SlotReader, assemble
from ..model.canonical import input_digest, record_json
from ..model.decision import Decision, EngineRef
from ..model.record import AssessmentRecord
from ..rules.model import Policy
from .cache import CACHE
from .runtime import (
    DurableEvaluator,
    Evaluator,
    PythonEvaluator,
    apply_readings,
    field_plan,
    policy_fields,
    read_plan,
)

ENGINE_REF: Final = EngineRef(name="transport-policy", version=__version__)


class Engine:
    """One policy version, compiled and ready to decide records in this process."""

    def __init__(self, policy: Policy, evaluator: Evaluator | None = None) -> None:
        self.policy = policy
        self.evaluator: Evaluator = evaluator if evaluator is not None else DurableEvaluator(policy)
        self.fields = policy_fields(policy)
        self._plan = field_plan(self.fields)
        self.slots = SlotReader(policy)

    def close(self) -> None:
        """Release the evaluator's engine resources (its durable-rules ruleset)."""
        close = getattr(self.evaluator, "close", None)
        if close is not None:
            close()

    def decide(
        self, record: AssessmentRecord, *, selected: str = "given by the caller"
    ) -> Decision:
        """Decide one validated record; ``selected`` says why this policy version was used."""
        raw = read_plan(record, self._plan)
        facts = apply_readings(raw, self.policy)
        statuses = self.evaluator.statuses(facts)
        verdict, wording = self.slots.decide(record, statuses, facts, raw)
        return assemble(
            record,
            verdict,
            wording,
            engine=ENGINE_REF,
            input_digest=input_digest(record),
            selected=selected,
        )


def engine_for(policy: Policy) -> Engine:
    """The process's engine for a policy version (compiled once per folder and content; see
    :mod:`transport_policy.engine.cache`)."""
    return CACHE.engine(policy, Engine)


__all__ = ["Engine", "PythonEvaluator", "engine_for", "input_digest", "record_json"]
