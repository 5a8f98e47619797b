"""Answers typed at the interview: the numbered choices of a question, and reading a line back
as a value of the field.

A line is read only as far as its type needs (a number for a choice, a whole number, text); the
bounds and formats are then checked by the record model itself, so the interview and a case file
accept exactly the same values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model.fields import FieldSpec

DONT_KNOW = "don't know yet"
"""How "leave this fact unknown for now" is offered."""

_DONT_KNOW_WORDS = frozenset({"-", "dk", "don't know", "dont know", "don't know yet", "unknown"})
"""Typed for "don't know yet" to any question; a question with numbered choices also takes 0."""


LIST_HINT = "type the number of each that applies, separated by commas (1,3), or none"
"""How a question with several answers (a list field) is answered."""


class AnswerError(ValueError):
    """A line that is not an answer to the question (the message says what would be)."""


@dataclass(frozen=True)
class Unknown:
    """The answer "don't know yet": the fact stays unknown."""


UNKNOWN = Unknown()


def value_words(value: object) -> str:
    """A value as an assessor reads it."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "not known yet"
    if isinstance(value, list):
        return ", ".join(value_words(v) for v in value) or "none"
    return str(value).replace("_", " ")


def choices(spec: FieldSpec) -> list[tuple[str, str | bool]]:
    """The numbered choices of a question (number, value), ``[]`` for free answers; 0 is
    "don't know yet"."""
    values = spec.answer_values()
    return [(str(n), v) for n, v in enumerate(values or (), start=1)]


def _key(text: str) -> str:
    return re.sub(r"[\s_-]+", "_", text.strip().lower())


def _choice(spec: FieldSpec, word: str) -> str | bool:
    numbered = choices(spec)
    for number, value in numbered:
        if word == number or _key(word) == _key(value_words(value)) or word == str(value):
            return value
    if spec.kind == "bool" and _key(word) in ("y", "true", "n", "false"):
        return _key(word) in ("y", "true")
    raise AnswerError(f"type a number from 1 to {len(numbered)} (0: {DONT_KNOW})")


def parse(spec: FieldSpec, line: str, *, required: bool = False) -> object:
    """The value a typed line gives a field, or :data:`UNKNOWN` ("don't know yet", unless the
    field is ``required``)."""
    text = line.strip()
    numbered = spec.kind in ("bool", "enum", "enum_list")
    if not text:
        hint = "" if required else f" ({'0' if numbered else '-'}: {DONT_KNOW})"
        raise AnswerError("type an answer" + hint)
    if not required and (text.lower() in _DONT_KNOW_WORDS or (numbered and text == "0")):
        return UNKNOWN
    if spec.kind in ("bool", "enum"):
        return _choice(spec, text)
    if spec.kind == "enum_list":
        words = [w for w in re.split(r"[,\s]+", text) if w]
        if [w.lower() for w in words] == ["none"]:
            return []
        try:
            return list(dict.fromkeys(_choice(spec, w) for w in words))
        except AnswerError:
            raise AnswerError(f"{LIST_HINT} (0: {DONT_KNOW})") from None
    if spec.kind == "integer":
        if not re.fullmatch(r"[+-]?[0-9]+", text):
            raise AnswerError("type a whole number")
        return int(text)
    if spec.kind == "number":
        try:
            return float(text)
        except ValueError:
            raise AnswerError("type a number") from None
    return text
