"""What the registry says of one record field (:class:`FieldSpec`): its path, type, allowed
values, bounds, whether rules may test it, its words for people, and how a question about it is
answered. The registry itself, every field's entry, is :mod:`.fields`, which re-exports these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["bool", "enum", "enum_list", "integer", "number", "text", "date"]

AnswerType = Literal["boolean", "choice", "choices", "integer", "number", "text", "date"]

ANSWER_TYPES: dict[Kind, AnswerType] = {
    "bool": "boolean",
    "enum": "choice",
    "enum_list": "choices",
    "integer": "integer",
    "number": "number",
    "text": "text",
    "date": "date",
}
"""How a question about a field of each kind is answered: yes or no, one of the allowed values,
several of them, a whole number, a number, text or a date."""


@dataclass(frozen=True)
class FieldSpec:
    """One field of the record."""

    path: str
    """``section.field`` (or a top-level name such as ``case_id``)."""
    kind: Kind
    description: str
    """What the field means, for people; also the JSON Schema ``description``."""
    values: tuple[str, ...] = ()
    """The allowed values of an ``enum`` or ``enum_list`` field, in documented order."""
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    """Longest text accepted (``text`` fields)."""
    one_line: bool = False
    """Text shown in headings: one line, without control characters."""
    fact: bool = True
    """Whether rules may test it; otherwise it is only recorded in the decision."""
    label: str = ""
    """The words shown beside its value in a decision's facts (default: the last path part)."""

    @property
    def section(self) -> str:
        return self.path.partition(".")[0]

    @property
    def name(self) -> str:
        return self.path.rpartition(".")[2]

    @property
    def words(self) -> str:
        return self.label or self.name.replace("_", " ")

    def allowed(self) -> tuple[object, ...] | None:
        """The allowed values of a boolean or enum field, ``None`` for free-valued ones."""
        if self.kind == "bool":
            return (True, False)
        if self.kind == "enum":
            return self.values
        return None

    @property
    def answer_type(self) -> AnswerType:
        """How a question about this field is answered (:data:`ANSWER_TYPES`)."""
        return ANSWER_TYPES[self.kind]

    def answer_values(self) -> tuple[str | bool, ...] | None:
        """The values an answer is chosen from (a boolean's, an enum's, or those a list may hold),
        ``None`` for free-valued fields."""
        if self.kind == "bool":
            return (True, False)
        return self.values if self.kind in ("enum", "enum_list") else None
