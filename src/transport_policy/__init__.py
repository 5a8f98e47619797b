"""transport-policy: Cambridgeshire County Council's Adults' Transport Policy as declarative rules.

>>> from transport_policy import decide
>>> decision = decide({"case_id": "C-1", "assessment_date": "2021-03-15", ...})  # doctest: +SKIP
>>> decision.outcome  # doctest: +SKIP

``decide`` accepts a mapping (validated strictly) or an :class:`AssessmentRecord` and returns a
:class:`Decision`, whose ``model_dump(mode="json")`` is what the CLI prints. ``next_questions``
returns, for a partial record and a policy version, the next questions that could change its
outcome.

The names below are imported on first use (PEP 562), so that importing the package, or its
command line, costs nothing until a name is read: the command line starts by pausing the garbage
collector while it imports what a command needs (:mod:`transport_policy.cli`).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .api import decide, load_case, load_policy, parse_record
    from .errors import (
        EngineError,
        FieldError,
        PolicyVersionError,
        RecordError,
        RuleError,
        TransportPolicyError,
    )
    from .model.decision import Decision
    from .model.record import AssessmentRecord
    from .questions.engine import next_questions
    from .rules.model import Policy
    from .rules.versions import PolicyStore

_HOMES: dict[str, str] = {
    "decide": ".api",
    "load_case": ".api",
    "load_policy": ".api",
    "parse_record": ".api",
    "EngineError": ".errors",
    "FieldError": ".errors",
    "PolicyVersionError": ".errors",
    "RecordError": ".errors",
    "RuleError": ".errors",
    "TransportPolicyError": ".errors",
    "Decision": ".model.decision",
    "AssessmentRecord": ".model.record",
    "next_questions": ".questions.engine",
    "Policy": ".rules.model",
    "PolicyStore": ".rules.versions",
}
"""Each public name → the module that defines it."""


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home, __name__), name)
    globals()[name] = value  # read once: later reads are plain attribute lookups
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


__all__ = [
    "AssessmentRecord",
    "Decision",
    "EngineError",
    "FieldError",
    "Policy",
    "PolicyStore",
    "PolicyVersionError",
    "RecordError",
    "RuleError",
    "TransportPolicyError",
    "__version__",
    "decide",
    "load_case",
    "load_policy",
    "next_questions",
    "parse_record",
]
