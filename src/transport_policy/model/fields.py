"""The field registry: the one place that knows the assessment record's fields.

Every field of the record has one :class:`FieldSpec` here, in the order of ``docs/record.md``: its
path, type, allowed values, bounds, whether rules may test it (a *fact*) or it is only recorded, and
its words for people (the label shown beside a decision's facts, and a description that the JSON
Schema carries). The record model (``model/record.py``), the rule parser, the verifier, the
renderer and the test strategies all read it, so adding a record field is one entry here plus the
rules that use it (``docs/writing-rules.md``, "Adding a record field").
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from .field_spec import ANSWER_TYPES as ANSWER_TYPES
from .field_spec import AnswerType as AnswerType
from .field_spec import FieldSpec as FieldSpec
from .field_spec import Kind as Kind

ABILITY = ("independently", "with_support", "unable")


def _b(path: str, description: str, label: str = "", fact: bool = True) -> FieldSpec:
    return FieldSpec(path, "bool", description, label=label, fact=fact)


def _e(path: str, values: tuple[str, ...], description: str, label: str = "") -> FieldSpec:
    return FieldSpec(path, "enum", description, values=values, label=label)


def _t(path: str, description: str, max_length: int = 500, one_line: bool = True) -> FieldSpec:
    return FieldSpec(
        path, "text", description, max_length=max_length, one_line=one_line, fact=False
    )


REGISTRY: tuple[FieldSpec, ...] = (
    FieldSpec(
        "case_id", "text", "Unique within a corpus.", max_length=100, one_line=True, fact=False
    ),
    FieldSpec("assessment_date", "date", "Selects the policy version in force.", fact=False),
    _t("assessor.id", "Recorded in the decision, never used to decide."),
    _t("assessor.name", "Recorded in the decision, never used to decide."),
    FieldSpec(
        "person.age",
        "integer",
        "Age in years; the policy covers adults (18+).",
        minimum=0,
        maximum=130,
    ),
    _e(
        "person.service_area",
        (
            "older_people",
            "physical_disability_sensory",
            "mental_health",
            "learning_disability",
            "adult_autism",
            "other",
        ),
        "The service area; other is outside the policy.",
    ),
    _b("person.eligible_care_needs", "Care Act eligible needs established by a needs assessment."),
    _b("person.needs_transport_to_access_service", "Transport is needed to access the service."),
    _b(
        "person.transition_assessment",
        "A Care Act (s58) transition assessment for an adult service is under way or done: with "
        "it, a 17-year-old is assessed as an adult for the service from their 18th birthday.",
        "has a transition assessment for adult services",
    ),
    _b(
        "person.has_ehc_plan",
        "Has an Education, Health and Care plan (this and an age of 18 to 24 may mean the "
        "education transport duty applies first).",
        "has an EHC plan",
    ),
    _e(
        "destination.purpose",
        ("day_opportunity", "respite", "community_activity", "education", "employment", "other"),
        "What the person travels for.",
    ),
    _t("destination.name", "The destination, free text."),
    _b(
        "destination.nearest_suitable",
        "It is the nearest available suitable resource.",
        "attends the nearest suitable service",
    ),
    _b(
        "destination.nearest_has_place",
        "The nearest suitable resource has a place for them.",
        "nearest suitable service has a place",
    ),
    _b(
        "destination.attended_by_choice",
        "They chose it over the nearest suitable one.",
        "chose this service",
    ),
    FieldSpec(
        "destination.distance_miles",
        "number",
        "Distance in miles; informs the assessor's reasonableness judgement only.",
        minimum=0,
    ),
    FieldSpec(
        "destination.public_transport_minutes",
        "integer",
        "Public transport journey time in minutes, one way, door to door; evidence for the "
        "reasonableness judgement only.",
        minimum=0,
        maximum=1440,
        label="public transport minutes one way",
    ),
    FieldSpec(
        "destination.public_transport_changes",
        "integer",
        "Changes of bus or train on that journey, one way; evidence for the reasonableness "
        "judgement only.",
        minimum=0,
        maximum=20,
        label="public transport changes one way",
    ),
    _e(
        "travel.can_mobilise_safely",
        ABILITY,
        "Walking, aids or wheelchair, to the destination; with_support means support that is "
        "actually available and willing.",
        "can walk or wheel there safely",
    ),
    _e("travel.can_use_public_transport", ABILITY, "Whether they can use public transport."),
    _b(
        "travel.voluntary_transport_available",
        "Voluntary or community transport that meets the need is available.",
    ),
    _b(
        "travel.needs_supervision",
        "Cannot access transport services without supervision or support.",
    ),
    _b(
        "travel.specialised_transport_for_health_safety",
        "Identified health and safety concerns need specialised transport.",
        "needs specialised transport for safety",
    ),
    _b(
        "travel.travel_training_potential",
        "Could learn road safety and orientation (Independent Travel Training).",
    ),
    _b(
        "travel.mobilise_support_from_unpaid_carer",
        "The support behind a with_support answer to walking or wheeling there is given by an "
        "unpaid carer, family member or friend (not a paid worker or volunteer).",
        "support to walk or wheel there is from an unpaid carer",
    ),
    _b(
        "travel.public_transport_support_from_unpaid_carer",
        "The support behind a with_support answer to public transport is given by an unpaid "
        "carer, family member or friend (not a paid worker or volunteer).",
        "support on public transport is from an unpaid carer",
    ),
    FieldSpec(
        "travel.vehicle_needs",
        "enum_list",
        "What Council transport would need to provide, if it is provided; never changes whether "
        "a taxi may be used.",
        values=("wheelchair_accessible", "passenger_assistant", "travel_alone"),
        label="what the transport needs",
    ),
    _b(
        "benefits.higher_rate_mobility",
        "DLA higher rate or PIP enhanced rate mobility component.",
        "gets the higher rate mobility component",
    ),
    _b(
        "benefits.residual_unmet_need",
        "A transport need remains after fully using that benefit.",
        "need remains after using the mobility component",
    ),
    _b(
        "benefits.standard_rate_mobility",
        "PIP standard rate or DLA lower rate mobility component.",
        "gets the standard rate mobility component",
    ),
    _b("vehicles.private_car", "Access to a private car (Motability included)."),
    _b("vehicles.motability", "The car is a Motability vehicle.", "Motability car"),
    _b("vehicles.drives_self", "The person normally drives it.", "drives the car themselves"),
    _b(
        "vehicles.shared_community_vehicle",
        "Contributes to a shared community vehicle usable for this trip.",
    ),
    _b(
        "support_network.carer_able_and_willing",
        "An unpaid carer, family member or friend is able and willing to drive them.",
        "carer able and willing to drive",
    ),
    _b(
        "support_network.carer_wellbeing_considered",
        "The impact on every unpaid carer relied on (to drive them, or as the support behind a "
        "with_support answer) has been considered and recorded (false is read as not yet "
        "considered).",
        "carer's wellbeing considered",
    ),
    _b(
        "support_network.carer_uses_own_car",
        "The unpaid carer who drives them uses the carer's own car (false: the person's car).",
        "carer drives their own car",
    ),
    _e(
        "circumstances.temporary_illness",
        ("none", "person", "carer", "both"),
        "A temporary illness of the person, of an important carer or family member, or of both; "
        "every other fact describes the usual arrangement, illness aside.",
    ),
    _b(
        "circumstances.urgent_or_exceptional",
        "Urgent or exceptional: only then may a taxi be used.",
    ),
    FieldSpec(
        "circumstances.ill_carer_relied_on_for",
        "enum_list",
        "What the temporarily ill carer usually gives: support to walk or wheel there, support on "
        "public transport, driving them ([] for none of these).",
        values=("walking", "public_transport", "driving"),
        label="the ill carer usually helps with",
    ),
    _b("choices.declines_own_arrangements", "Assessed able to arrange own transport but declines."),
    _b("choices.has_capacity_for_decision", "Recorded; informs the rationale."),
    _b("choices.decision_by_representative", "The decision is being made on the person's behalf."),
    _b("choices.representative_in_best_interests", "Recorded; informs the rationale."),
    _b(
        "choices.declines_offered_transport",
        "The person (or someone on their behalf) declines the transport the Council offers.",
        "declines the transport offered",
    ),
    _b(
        "finance.assessed_to_contribute",
        "Financial assessment says they contribute to the cost of care.",
    ),
    _b("finance.self_funds_day_opportunities", "They fund their own day opportunities."),
    _b(
        "current_provision.receives_council_transport",
        "The person receives Council transport for this journey now (the assessment is a review).",
        "receives Council transport now",
    ),
    FieldSpec(
        "current_provision.since",
        "date",
        "Since when they have received it; recorded only.",
        fact=False,
    ),
    _b(
        "judgement.own_vehicle_use_reasonable",
        "The assessor's judgement: reasonable to expect them to use their own car.",
        "reasonable to use own car",
    ),
    _b(
        "judgement.family_transport_reasonable",
        "The assessor's judgement, carer's needs considered.",
        "reasonable for family or friends to drive",
    ),
    _b(
        "judgement.mobilising_reasonable",
        "The assessor's judgement: reasonable for this person to walk or wheel there.",
        "reasonable to walk or wheel there",
    ),
    _b(
        "judgement.public_transport_reasonable",
        "The assessor's judgement: reasonable for this person to use public transport for this "
        "journey (time, changes, distance, cost).",
        "reasonable to use public transport",
    ),
    _b(
        "judgement.voluntary_transport_reasonable",
        "The assessor's judgement: reasonable for this person to use the voluntary or community "
        "service for this journey.",
        "reasonable to use voluntary transport",
    ),
    _t("judgement.notes", "Copied into the decision.", max_length=10_000, one_line=False),
    FieldSpec(
        "override.outcome",
        "enum",
        "The assessor decides differently from the recommendation.",
        values=("provide", "do_not_provide"),
        fact=True,
    ),
    FieldSpec(
        "override.reason",
        "text",
        "Why the assessor decides differently.",
        max_length=2000,
        fact=False,
    ),
)

DECLARED_SECTIONS = ("assessor", "override")
LATER_SECTIONS = ("current_provision",)
"""Sections added after the record's first revision. One is absent (``None``), not an empty
section, when nothing in it is known, so that the input digest of a record written before the
section existed does not change."""
"""Sections declared by hand in ``model/record.py`` (code reads them directly); the registry
still describes their fields, and a check at import keeps the two in step."""


def by_path(fields: Iterable[FieldSpec] = REGISTRY) -> dict[str, FieldSpec]:
    return {f.path: f for f in fields}


FIELDS: dict[str, FieldSpec] = by_path()


def sections(fields: Iterable[FieldSpec] = REGISTRY) -> dict[str, tuple[FieldSpec, ...]]:
    """The record's sections in order, each with its fields (top-level fields left out)."""
    out: dict[str, tuple[FieldSpec, ...]] = {}
    for f in fields:
        if "." in f.path:
            out[f.section] = (*out.get(f.section, ()), f)
    return out


def field_words(path: str) -> str:
    """A record field in words, as shown beside its value in a decision's facts."""
    spec = FIELDS.get(path)
    return spec.words if spec else path.rpartition(".")[2].replace("_", " ")


def _closest_name(name: str, choices: Iterable[str]) -> str | None:
    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return match[0] if match else None


def closest(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest valid name, or an empty string."""
    match = _closest_name(name, choices)
    return f" (did you mean {match!r}?)" if match else ""


TOP_LEVEL: tuple[str, ...] = tuple(dict.fromkeys(f.section for f in REGISTRY))
"""The record's top-level keys: ``case_id``, ``assessment_date`` and the sections."""


def suggest_key(loc: Sequence[object]) -> str:
    """The closest field for a key the record does not have (``loc`` is where it was written):
    a misspelt section or field, a field under the wrong section, or a ``section.field`` path
    written as one key at the top level (which must be nested under its section)."""
    names = [str(part) for part in loc]
    key = names[-1]
    elsewhere = [f.path for f in REGISTRY if f.name == key and "." in f.path]
    if len(names) == 1 and "." in key:
        paths = [f.path for f in REGISTRY if "." in f.path]
        match = difflib.get_close_matches(key, paths, n=1, cutoff=0.6)
        if not match:
            return ""
        section, _, leaf = match[0].partition(".")
        return f" (write {leaf!r} nested under {section + ':'!r})"
    if len(names) == 1:
        return closest(key, TOP_LEVEL) or closest(key, elsewhere)
    if len(names) == 2 and names[0] in TOP_LEVEL:
        section = names[0]
        near = _closest_name(key, [f.name for f in REGISTRY if f.section == section])
        if near is None:
            return closest(key, elsewhere)
        return f" (did you mean {section + '.' + near!r}?)"
    return ""
