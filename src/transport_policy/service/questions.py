"""The next questions for a partial record (``POST /v1/questions``).

One small function, meant to be replaced by the interview's question engine: today it takes the
questions a decision already carries (field, clauses, prompt) and adds the answer type and
allowed values from the record model.
"""

from __future__ import annotations

from typing import Any

from ..model.decision import Decision
from ..model.record import field_values


def next_questions(decision: Decision) -> list[dict[str, Any]]:
    """Each question of the decision with its answer type and allowed values."""
    out = []
    for question in decision.questions:
        values = field_values(question.field)
        answer = "boolean" if values == (True, False) else "choice" if values else "value"
        out.append(
            {
                "field": question.field,
                "answer_type": answer,
                "allowed_values": list(values) if values else None,
                "prompt": question.prompt,
                "clauses": list(question.clauses),
            }
        )
    return out
