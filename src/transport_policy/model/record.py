"""The assessment record: the input contract (docs/record.md).

Every fact except ``case_id`` and ``assessment_date`` may be absent or ``None``, meaning *not yet
established*. Validation is strict: no unknown keys, no coercion (``"yes"`` is not ``True``,
``"70"`` is not ``70``), enum values exactly as documented.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

Ability = Literal["independently", "with_support", "unable"]
ServiceArea = Literal[
    "older_people",
    "physical_disability_sensory",
    "mental_health",
    "learning_disability",
    "adult_autism",
    "other",
]
Purpose = Literal[
    "day_opportunity", "respite", "community_activity", "education", "employment", "other"
]
TemporaryIllness = Literal["none", "person", "carer"]
OverrideOutcome = Literal["provide", "do_not_provide"]

ShortText = Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")]
"""Text on one line, without control characters (names and ids shown in headings)."""
NonEmptyText = Annotated[
    str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True, pattern=r"\S")
]


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


class _Section(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Assessor(_Section):
    id: ShortText | None = None
    name: ShortText | None = None


class Person(_Section):
    age: Annotated[int, Field(ge=0, le=130)] | None = None
    service_area: ServiceArea | None = None
    eligible_care_needs: bool | None = None
    needs_transport_to_access_service: bool | None = None


class Destination(_Section):
    purpose: Purpose | None = None
    name: ShortText | None = None
    nearest_suitable: bool | None = None
    nearest_has_place: bool | None = None
    attended_by_choice: bool | None = None
    distance_miles: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None


class Travel(_Section):
    can_mobilise_safely: Ability | None = None
    can_use_public_transport: Ability | None = None
    voluntary_transport_available: bool | None = None
    needs_supervision: bool | None = None
    specialised_transport_for_health_safety: bool | None = None
    travel_training_potential: bool | None = None


class Benefits(_Section):
    higher_rate_mobility: bool | None = None
    residual_unmet_need: bool | None = None


class Vehicles(_Section):
    private_car: bool | None = None
    motability: bool | None = None
    drives_self: bool | None = None
    shared_community_vehicle: bool | None = None


class SupportNetwork(_Section):
    carer_able_and_willing: bool | None = None
    carer_wellbeing_considered: bool | None = None


class Circumstances(_Section):
    temporary_illness: TemporaryIllness | None = None
    urgent_or_exceptional: bool | None = None


class Choices(_Section):
    declines_own_arrangements: bool | None = None
    has_capacity_for_decision: bool | None = None
    decision_by_representative: bool | None = None
    representative_in_best_interests: bool | None = None


class Finance(_Section):
    assessed_to_contribute: bool | None = None
    self_funds_day_opportunities: bool | None = None


class Judgement(_Section):
    own_vehicle_use_reasonable: bool | None = None
    family_transport_reasonable: bool | None = None
    notes: Annotated[str, StringConstraints(max_length=10_000)] | None = None


class Override(_Section):
    outcome: OverrideOutcome
    reason: NonEmptyText


def _none_is_empty(value: Any) -> Any:
    """A section written as ``null`` (e.g. every line under it commented out) is all unknown."""
    return {} if value is None else value


class AssessmentRecord(_Section):
    """One adult's transport need at one assessment."""

    @field_validator(
        "person",
        "destination",
        "travel",
        "benefits",
        "vehicles",
        "support_network",
        "circumstances",
        "choices",
        "finance",
        "judgement",
        mode="before",
    )
    @classmethod
    def _null_section(cls, value: Any) -> Any:
        return _none_is_empty(value)

    case_id: Annotated[
        str,
        StringConstraints(
            min_length=1, max_length=100, strip_whitespace=True, pattern=r"^[^\x00-\x1f\x7f]+$"
        ),
    ]
    assessment_date: IsoDate
    assessor: Assessor | None = None
    person: Person = Field(default_factory=Person)
    destination: Destination = Field(default_factory=Destination)
    travel: Travel = Field(default_factory=Travel)
    benefits: Benefits = Field(default_factory=Benefits)
    vehicles: Vehicles = Field(default_factory=Vehicles)
    support_network: SupportNetwork = Field(default_factory=SupportNetwork)
    circumstances: Circumstances = Field(default_factory=Circumstances)
    choices: Choices = Field(default_factory=Choices)
    finance: Finance = Field(default_factory=Finance)
    judgement: Judgement = Field(default_factory=Judgement)
    override: Override | None = None


def _field_paths() -> tuple[str, ...]:
    paths: list[str] = []
    for name, info in AssessmentRecord.model_fields.items():
        ann = info.annotation
        section = next(
            (
                t
                for t in getattr(ann, "__args__", (ann,))
                if isinstance(t, type) and issubclass(t, _Section)
            ),
            None,
        )
        if section is None:
            paths.append(name)
            continue
        paths.extend(f"{name}.{sub}" for sub in section.model_fields)
    return tuple(paths)


FIELD_PATHS: tuple[str, ...] = _field_paths()
"""Every field path of the record, in the order of assessment-record.md."""

FIELD_ORDER: dict[str, int] = {p: i for i, p in enumerate(FIELD_PATHS)}


def field_values(path: str) -> tuple[object, ...] | None:
    """The allowed values of an enum or boolean field, or ``None`` for free-valued fields
    (numbers, text, dates, and the top-level ``case_id`` and ``assessment_date``)."""
    section, _, leaf = path.partition(".")
    if not leaf:
        return None
    info = AssessmentRecord.model_fields[section]
    model = next(
        t
        for t in get_args(info.annotation) or (info.annotation,)
        if isinstance(t, type) and issubclass(t, _Section)
    )
    ann = model.model_fields[leaf].annotation
    args = [ann] if get_origin(ann) is Literal else [a for a in get_args(ann) or (ann,)]
    args = [a for a in args if a is not type(None)]
    if args == [bool]:
        return (True, False)
    if len(args) == 1 and get_origin(args[0]) is Literal:
        return tuple(get_args(args[0]))
    return None
