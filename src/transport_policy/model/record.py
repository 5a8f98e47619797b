"""The assessment record: the input contract (``docs/record.md``).

The fact sections are built from the field registry (:mod:`.fields`), so a field added there is
validated, documented in the JSON Schema and readable by rules without an edit here. Every fact
except ``case_id`` and ``assessment_date`` may be absent or ``None``, meaning *not yet
established*. Validation is strict: no unknown keys, no coercion (``"yes"`` is not ``True``,
``"70"`` is not ``70``), enum values exactly as documented, a section written as ``null`` is all
unknown.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    field_validator,
    model_validator,
)

from ..errors import RecordError
from .contradictions import record_errors
from .fields import DECLARED_SECTIONS, FIELDS, LATER_SECTIONS, REGISTRY, FieldSpec, sections

OverrideOutcome = Literal["provide", "do_not_provide"]

ShortText = Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")]
"""Text on one line, without control characters (names and ids shown in headings)."""
NonEmptyText = Annotated[
    str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True, pattern=r"\S")
]
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"


def _iso_date(value: Any) -> Any:
    """Accept a ``date`` (YAML) or an ISO ``YYYY-MM-DD`` string (JSON); nothing else."""
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, str):
        try:
            if not _DATE.fullmatch(value):
                raise ValueError
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError("must be a date written YYYY-MM-DD") from None
    return value


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


def _no_repeats(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("must not list a value twice")
    return values


def annotation(spec: FieldSpec) -> Any:
    """The pydantic type of one registry field (without ``None``)."""
    if spec.kind == "bool":
        return bool
    if spec.kind in ("enum", "enum_list"):
        item: Any = Literal[spec.values]  # values known at run time
        if spec.kind == "enum":
            return item
        return Annotated[list[item], AfterValidator(_no_repeats)]
    if spec.kind == "integer":
        return Annotated[int, Field(ge=spec.minimum, le=spec.maximum)]
    if spec.kind == "number":
        return Annotated[float, Field(ge=spec.minimum, le=spec.maximum, allow_inf_nan=False)]
    if spec.kind == "date":
        return IsoDate
    pattern = ONE_LINE if spec.one_line else None
    return Annotated[str, StringConstraints(max_length=spec.max_length, pattern=pattern)]


class _Section(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def section_model(name: str, specs: tuple[FieldSpec, ...]) -> type[_Section]:
    """A section's model: every field optional, ``None`` meaning not yet established."""
    title = "".join(part.capitalize() for part in name.split("_"))
    fields: dict[str, Any] = {
        s.name: (annotation(s) | None, Field(None, description=s.description)) for s in specs
    }
    return create_model(title, __base__=_Section, **fields)


class Assessor(_Section):
    id: ShortText | None = Field(None, description=FIELDS["assessor.id"].description)
    name: ShortText | None = Field(None, description=FIELDS["assessor.name"].description)


class Override(_Section):
    outcome: OverrideOutcome = Field(description=FIELDS["override.outcome"].description)
    reason: NonEmptyText = Field(description=FIELDS["override.reason"].description)


def _none_is_empty(value: Any) -> Any:
    """A section written as ``null`` (e.g. every line under it commented out) is all unknown."""
    return {} if value is None else value


FACT_SECTIONS: tuple[str, ...] = tuple(s for s in sections() if s not in DECLARED_SECTIONS)
_FILLED_SECTIONS = tuple(s for s in FACT_SECTIONS if s not in LATER_SECTIONS)


def _empty_is_absent(value: Any) -> Any:
    """A later section with nothing known is absent, however it was written."""
    if isinstance(value, BaseModel) and all(v is None for v in value.__dict__.values()):
        return None
    return value


if TYPE_CHECKING:

    class _Person(Protocol):
        service_area: str | None

    class _Judgement(Protocol):
        notes: str | None


class _RecordBase(_Section):
    """The declared part of the record; the fact sections are added from the registry."""

    @field_validator(*_FILLED_SECTIONS, mode="before", check_fields=False)
    @classmethod
    def _null_section(cls, value: Any) -> Any:
        return _none_is_empty(value)

    @field_validator(*LATER_SECTIONS, mode="after", check_fields=False)
    @classmethod
    def _empty_section(cls, value: Any) -> Any:
        return _empty_is_absent(value)

    @model_validator(mode="after")
    def _no_contradiction(self) -> Any:
        """Contradictory facts (:mod:`.contradictions`) are an input error: one entry per
        field path involved, each naming the others."""
        errors = record_errors(self)
        if errors:
            raise RecordError(errors, case_id=self.case_id)
        return self

    case_id: Annotated[
        str,
        StringConstraints(
            min_length=1, max_length=100, strip_whitespace=True, pattern=r"^[^\x00-\x1f\x7f]+$"
        ),
    ] = Field(description=FIELDS["case_id"].description)
    assessment_date: IsoDate = Field(description=FIELDS["assessment_date"].description)
    assessor: Assessor | None = None

    if TYPE_CHECKING:  # added below, after the fact sections; typed for the code that reads them
        override: Override | None
        person: _Person
        judgement: _Judgement


def record_model(fields: tuple[FieldSpec, ...] = REGISTRY) -> type[_RecordBase]:
    """The record model of a registry (``REGISTRY``, or another one in tests)."""
    by_section = sections(fields)
    declared: dict[str, type[BaseModel]] = {"assessor": Assessor, "override": Override}
    for name in DECLARED_SECTIONS:
        model_names = tuple(declared[name].model_fields)
        spec_names = tuple(s.name for s in by_section[name])
        assert model_names == spec_names, f"{name}: registry {spec_names} != model {model_names}"
    added: dict[str, Any] = {}
    for name, specs in by_section.items():
        if name in LATER_SECTIONS:
            added[name] = (section_model(name, specs) | None, None)
        elif name not in DECLARED_SECTIONS:
            model = section_model(name, specs)
            added[name] = (model, Field(default_factory=model))
    added["override"] = (Override | None, None)
    return create_model(
        "AssessmentRecord",
        __base__=_RecordBase,
        __doc__="One adult's transport need at one assessment.",
        **added,
    )


if TYPE_CHECKING:
    AssessmentRecord = _RecordBase
else:
    AssessmentRecord = record_model()


FIELD_PATHS: tuple[str, ...] = tuple(f.path for f in REGISTRY)
"""Every field path of the record, in the order of ``docs/record.md``."""

FIELD_ORDER: dict[str, int] = {p: i for i, p in enumerate(FIELD_PATHS)}


def field_values(path: str) -> tuple[object, ...] | None:
    """The allowed values of an enum or boolean field, or ``None`` for free-valued fields
    (numbers, text, dates, lists, and the top-level ``case_id`` and ``assessment_date``)."""
    spec = FIELDS.get(path)
    return spec.allowed() if spec is not None and "." in path else None
