"""The question engine (:func:`next_questions`) and the guided interview built on it."""

from .engine import next_questions

__all__ = ["next_questions"]
