"""The question engine (:func:`next_questions`) and the guided interview built on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import next_questions


def __getattr__(name: str) -> Any:
    # Imported on first use: deciding reads only .selection, and a one-shot `decide` starts
    # quicker without the question engine.
    if name == "next_questions":
        from .engine import next_questions

        return next_questions
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["next_questions"]
