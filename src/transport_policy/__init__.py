"""transport-policy: Cambridgeshire County Council's Adults' Transport Policy as declarative rules.

>>> from transport_policy import decide
>>> decision = decide({"case_id": "C-1", "assessment_date": "2021-03-15", ...})  # doctest: +SKIP
>>> decision.outcome  # doctest: +SKIP

``decide`` accepts a mapping (validated strictly) or an :class:`AssessmentRecord` and returns a
:class:`Decision`, whose ``model_dump(mode="json")`` is what the CLI prints. ``next_questions``
returns, for a partial record and a policy version, the next questions that could change its
outcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

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
from .rules.model import Policy
from .rules.versions import PolicyStore

if TYPE_CHECKING:
    from .questions import next_questions


def __getattr__(name: str) -> Any:
    # The question engine is imported on first use, so a one-shot `decide` starts quicker.
    if name == "next_questions":
        from .questions.engine import next_questions

        return next_questions
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
