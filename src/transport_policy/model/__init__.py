"""Data models: the assessment record (input) and the decision (output)."""

from .decision import Decision
from .record import AssessmentRecord

__all__ = ["AssessmentRecord", "Decision"]
