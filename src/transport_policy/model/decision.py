"""The decision: the output contract (docs/decision-output.md).

``Decision.model_dump(mode="json")`` is exactly what ``transport-policy decide --format json``
prints. Lists are in clause-catalogue order (questions in record field order).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from .fields import AnswerType

Outcome = Literal["provide", "do_not_provide", "out_of_scope", "needs_information"]
FactValue = str | int | float | bool | list[str] | None
"""A fact a reason shows: a list for a list field a ``has`` test reads (the values it holds)."""


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reason(_Out):
    clause: str
    rule: str | None
    summary: str
    facts: dict[str, FactValue]


class Considered(_Out):
    clause: str
    rule: str
    kind: Literal["exclusion", "provide"]
    """An alternative (exclusion) or a ground for provision (provide criterion)."""
    status: Literal["fails", "defeated", "unknown"]
    summary: str
    facts: dict[str, FactValue]


class Question(_Out):
    field: str
    clauses: list[str]
    prompt: str
    answer_type: AnswerType
    """How it is answered: ``boolean``, ``choice`` (one of ``allowed_values``), ``choices``
    (several of them), ``integer``, ``number``, ``text`` or ``date``."""
    allowed_values: list[str | bool] | None
    """The values an answer is chosen from; ``None`` for free-valued fields."""


class NextQuestion(Question):
    """A question of the question engine (:func:`transport_policy.next_questions`): a decision's
    question, with the rules its answer feeds."""

    rules: list[str]


class Entry(_Out):
    """A charge, support-plan action or appeal step."""

    clause: str
    rule: str
    summary: str


VehicleNeed = Literal["wheelchair_accessible", "passenger_assistant", "travel_alone"]


class NextStep(_Out):
    """What happens next where no appeal route is given: what is needed (needs information), or
    the route that applies instead (a child's out of scope)."""

    clause: str
    summary: str


class Journey(_Out):
    """The journey decided, as recorded (each ``None`` when unknown)."""

    purpose: str | None
    destination_name: str | None
    distance_miles: float | None


class Provision(_Out):
    taxi_permitted: bool
    clause: str
    rule: str
    summary: str
    requirements: list[VehicleNeed] = Field(
        default_factory=list,
        description="What the transport provided must offer (the record's travel.vehicle_needs); "
        "it never changes whether a taxi may be used.",
    )


class AppliedOverride(_Out):
    outcome: Literal["provide", "do_not_provide"]
    reason: str
    clause: str
    rule: str


class Assessor(_Out):
    id: str | None
    name: str | None


class PolicyRef(_Out):
    id: str
    version: str
    digest: str
    effective_from: str
    selected: str
    """Why this version was used: in force at the assessment date, or requested."""


class EngineRef(_Out):
    name: str
    version: str


class Decision(_Out):
    """What the policy recommends for one record, and how that conclusion was reached."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_serialization_defaults_required=True
    )

    case_id: str
    assessment_date: dt.date | None = None
    """From the record (``None`` only in a decision made before the key existed)."""
    journey: Journey | None = None
    """The journey decided (``None`` only in a decision made before the key existed)."""
    outcome: Outcome
    recommended_outcome: Outcome
    temporary: bool
    review_required: bool
    reasons: list[Reason]
    considered: list[Considered]
    questions: list[Question]
    next_steps: list[NextStep] = Field(default_factory=list)
    """Empty unless the outcome is needs_information or a child's out of scope."""
    charging: list[Entry]
    provision: Provision | None
    actions: list[Entry]
    appeal: list[Entry]
    override: AppliedOverride | None
    assessor: Assessor | None
    notes: str
    warnings: list[str]
    policy: PolicyRef
    engine: EngineRef
    input_digest: str

    def to_json(self) -> str:
        """The canonical one-line JSON of this decision (what the CLI prints)."""
        return self.model_dump_json()


_M = TypeVar("_M", bound=_Out)
_FACT_TYPES = frozenset({str, int, float, bool, type(None)})
_set = object.__setattr__
_new = object.__new__  # no output model defines ``__new__``
_slots = BaseModel.__dict__
_set_fields_set = _slots["__pydantic_fields_set__"].__set__
_set_extra = _slots["__pydantic_extra__"].__set__
_set_private = _slots["__pydantic_private__"].__set__


def trusted(cls: type[_M], *values: object) -> _M:
    """An output model made from values that already have its fields' types, in field order.

    The engine words a decision from the validated record and the loaded policy only, so each
    value already has its field's type and pydantic's validation would only copy it: this makes
    the instance ``cls(**fields)`` would make (what ``BaseModel.model_construct`` does, without
    its defaults and aliases, which output models do not have): the same ``__dict__`` in field
    order, which serialisation follows, and every field set. ``tests/test_engine.py`` compares
    such decisions with validated ones; :func:`facts_are_values` guards the one kind of value
    taken from a record as it is.
    """
    names = _NAMES.get(cls) or _names(cls)
    return _made(cls, dict(zip(names, values, strict=True)), names)


def trusted_named(cls: type[_M], **values: object) -> _M:
    """:func:`trusted`, with the values named: every field of ``cls`` exactly once."""
    names = _names(cls)
    if tuple(values) != names:  # not every field once, in field order
        if len(values) != len(names):
            raise TypeError(f"{cls.__name__}: fields {sorted(set(names) ^ set(values))} differ")
        return trusted(cls, *map(values.__getitem__, names))
    return _made(cls, values, names)  # the keyword arguments: a new dict in field order


def _made(cls: type[_M], fields: dict[str, object], names: tuple[str, ...]) -> _M:
    """The instance of ``cls`` whose fields are ``fields`` (every one of ``names``, in order)."""
    made = _new(cls)
    _set(made, "__dict__", fields)
    _set_fields_set(made, set(names))
    _set_extra(made, None)
    _set_private(made, None)
    return made


_NAMES: dict[type[_Out], tuple[str, ...]] = {}


def _names(cls: type[_Out]) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(cls.model_fields)
    return names


def facts_are_values(facts: dict[str, object]) -> bool:
    """Whether every value is a plain :data:`FactValue` as it is (a date, which a reason's
    validation refuses, is not; nor is a list, which is validated)."""
    return _FACT_TYPES.issuperset(map(type, facts.values()))
