"""The engine: compile a policy for durable-rules and decide records with it."""

from __future__ import annotations

import os
from typing import Final

import rfc8785

from .. import __version__
from ..model.decision import Decision, EngineRef
from ..model.record import AssessmentRecord
from ..rules.model import Policy
from .procedure import decide_statuses
from .runtime import DurableEvaluator, Evaluator, PythonEvaluator, policy_fields, record_facts

ENGINE_REF: Final = EngineRef(name="transport-policy", version=__version__)


def input_digest(record: AssessmentRecord) -> str:
    """``sha256:`` over the RFC 8785 canonical JSON of the record, unknown (null) fields omitted."""
    import hashlib

    canonical = rfc8785.dumps(record.model_dump(mode="json", exclude_none=True))
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


class Engine:
    """One policy version, compiled and ready to decide records in this process."""

    def __init__(self, policy: Policy, evaluator: Evaluator | None = None) -> None:
        self.policy = policy
        self.evaluator: Evaluator = evaluator if evaluator is not None else DurableEvaluator(policy)
        self.fields = policy_fields(policy)

    def decide(
        self, record: AssessmentRecord, *, selected: str = "given by the caller"
    ) -> Decision:
        """Decide one validated record; ``selected`` says why this policy version was used."""
        raw = {p: _value(record, p) for p in self.fields}
        facts = record_facts(record, self.fields, self.policy)
        statuses = self.evaluator.statuses(facts)
        return decide_statuses(
            record,
            self.policy,
            statuses,
            facts,
            raw,
            engine=ENGINE_REF,
            input_digest=input_digest(record),
            selected=selected,
        )


def _value(record: AssessmentRecord, path: str) -> object:
    section, _, leaf = path.partition(".")
    part = getattr(record, section)
    return getattr(part, leaf) if part is not None else None


_engines: dict[tuple[int, str, str], Engine] = {}


def engine_for(policy: Policy) -> Engine:
    """The process's engine for a policy version (compiled once per process)."""
    key = (os.getpid(), policy.directory, policy.digest)
    engine = _engines.get(key)
    if engine is None:
        engine = _engines[key] = Engine(policy)
    return engine


__all__ = ["Engine", "PythonEvaluator", "engine_for", "input_digest"]
