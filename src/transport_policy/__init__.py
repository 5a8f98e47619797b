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
from .questions import next_questions
from .rules.model import Policy
from .rules.versions import PolicyStore

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
