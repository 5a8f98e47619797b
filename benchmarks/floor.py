"""A plain-Python floor for ``decide()``: policy 2021-01's procedure written by hand over dicts.

The benchmark acceptance point compares ``transport_policy.decide(mapping)`` with "a like-for-like
plain-Python floor": the same procedure hand-written over dicts, plus the input digest and the
JSON of the result, with no rule engine and no rationale. This module is that floor, for policy
version ``2021-01`` only (``rules/2021-01/*.yaml``, ``docs/decision-procedure.md``):

* the record is a plain dict as parsed from JSON and already known to be valid (nothing is
  validated); the facts are read with direct dict access;
* the policy's readings are applied (``policy.yaml``: a recorded "carer's wellbeing not
  considered" reads as unknown, and the conditional readings of an unknown fact);
* every rule's condition (and defeater) is evaluated three-valued (``True`` holds, ``False``
  fails, ``None`` unknown) by ``if``s written out by hand for that rule: the rule files are not
  read, and no condition is interpreted at run time;
* the precedence is the product's (``decision/precedence.py``): scope, then any alternative or
  expectation, then the questions that could still make one hold (pending defeaters first), then
  provision as a last resort with its grounds; the override; charging, provision, support-plan
  actions, appeal route and next steps by the final outcome; temporary and review flags;
* the result has the decision's structure (outcome, recommended outcome, the clause and rule of
  every reason, considered entry, charge, action and appeal entry, each question's field and
  clauses, provision, override, warnings as keys, policy and engine references) but no wording:
  no summaries, no facts cited, no prompts (no rationale);
* the input digest is computed as the product computes it (``model/canonical.py``: ``sha256:``
  over the RFC 8785 canonical JSON of the record with unknown fields left out, its sections as
  the validated model holds them), from the dict: the members put in canonical order by hand
  and written by ``pydantic_core.to_json``, or by the project's canonical-JSON writer
  (``transport_policy.digest.canonical_json``) when a number is outside the plain range, as the
  product does; and the result is serialised with ``json.dumps``'s encoder (compact separators).

``floor(record) -> str`` is the whole per-record path the benchmark times
(``benchmarks/bench_floor.py``); ``decide(record) -> dict`` is the result before JSON, and
:func:`project` reduces a product ``Decision`` to the same structure for the correctness checks
(``tests/test_floor.py`` and the benchmark compare them on every record). When the rule files of
2021-01 change, this file must be changed with them: the test fails on the policy digest first.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pydantic_core

from transport_policy import __version__
from transport_policy.digest import canonical_json

POLICY_ID = "ccc-adults-transport"
POLICY_VERSION = "2021-01"
POLICY_DIGEST = "sha256:02f0d3da4de488b563013d65d4755ef64f0d7e679385b631f2ae0017639c1002"
"""The digest of ``rules/2021-01`` this floor was written from (checked by the test)."""
EFFECTIVE_FROM = "2021-01-14"
NEXT_REVIEW = "2021-12-31"
ENGINE = {"name": "transport-policy", "version": __version__}

PROVIDE = "provide"
DO_NOT_PROVIDE = "do_not_provide"
OUT_OF_SCOPE = "out_of_scope"
NEEDS_INFORMATION = "needs_information"

# An exclusion's state (precedence.RuleState): its status, and for an unknown one whether it is
# open and pending (asked first), open, or settled (defeated whatever its facts: never asked).
HOLDS = "holds"
FAILS = "fails"
DEFEATED = "defeated"
UNKNOWN = "unknown"
PENDING = "pending"
SETTLED = "settled"
STATUS = {HOLDS: HOLDS, FAILS: FAILS, DEFEATED: DEFEATED, UNKNOWN: UNKNOWN, PENDING: UNKNOWN}
STATUS[SETTLED] = UNKNOWN
OPEN = frozenset({UNKNOWN, PENDING})

ABLE = ("independently", "with_support")
PERSON_ILL = ("person", "both")
CARER_ILL = ("carer", "both")
ANY_ILL = ("person", "carer", "both")

FIELD_ORDER = {
    path: i
    for i, path in enumerate(
        (
            "person.age",
            "person.service_area",
            "person.eligible_care_needs",
            "person.needs_transport_to_access_service",
            "destination.purpose",
            "destination.nearest_suitable",
            "destination.nearest_has_place",
            "destination.attended_by_choice",
            "travel.can_mobilise_safely",
            "travel.can_use_public_transport",
            "travel.voluntary_transport_available",
            "travel.mobilise_support_from_unpaid_carer",
            "travel.public_transport_support_from_unpaid_carer",
            "benefits.higher_rate_mobility",
            "benefits.residual_unmet_need",
            "vehicles.private_car",
            "vehicles.motability",
            "vehicles.drives_self",
            "vehicles.shared_community_vehicle",
            "support_network.carer_able_and_willing",
            "support_network.carer_wellbeing_considered",
            "circumstances.temporary_illness",
            "circumstances.ill_carer_relied_on_for",
            "judgement.own_vehicle_use_reasonable",
            "judgement.family_transport_reasonable",
            "judgement.mobilising_reasonable",
            "judgement.public_transport_reasonable",
            "judgement.voluntary_transport_reasonable",
        )
    )
}
"""The fields a question can ask, in the record's field order (``docs/record.md``)."""

# The fields of each section in the canonical order of their names (RFC 8785: sorted), for the
# input digest.
BENEFITS = ("higher_rate_mobility", "residual_unmet_need", "standard_rate_mobility")
CHOICES = (
    "decision_by_representative",
    "declines_offered_transport",
    "declines_own_arrangements",
    "has_capacity_for_decision",
    "representative_in_best_interests",
)
CIRCUMSTANCES = ("ill_carer_relied_on_for", "temporary_illness", "urgent_or_exceptional")
DESTINATION = (
    "attended_by_choice",
    "distance_miles",
    "name",
    "nearest_has_place",
    "nearest_suitable",
    "public_transport_changes",
    "public_transport_minutes",
    "purpose",
)
JUDGEMENT = (
    "family_transport_reasonable",
    "mobilising_reasonable",
    "notes",
    "own_vehicle_use_reasonable",
    "public_transport_reasonable",
    "voluntary_transport_reasonable",
)
PERSON = (
    "age",
    "eligible_care_needs",
    "has_ehc_plan",
    "needs_transport_to_access_service",
    "service_area",
    "transition_assessment",
)
SUPPORT_NETWORK = ("carer_able_and_willing", "carer_uses_own_car", "carer_wellbeing_considered")
TRAVEL = (
    "can_mobilise_safely",
    "can_use_public_transport",
    "mobilise_support_from_unpaid_carer",
    "needs_supervision",
    "public_transport_support_from_unpaid_carer",
    "specialised_transport_for_health_safety",
    "travel_training_potential",
    "vehicle_needs",
    "voluntary_transport_available",
)
VEHICLES = ("drives_self", "motability", "private_car", "shared_community_vehicle")

_EMPTY: dict[str, Any] = {}

WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
WHITESPACE += "\u2028\u2029\u202f\u205f\u3000"
"""What the record model strips from ``case_id`` and ``override.reason`` (pydantic's
``strip_whitespace``: Unicode White_Space; unlike ``str.strip()``, not U+001C to U+001F)."""


def _entry(clause: str, rule: str | None) -> dict[str, Any]:
    return {"clause": clause, "rule": rule}


# Questions: Reading.questions over each asked rule's effective condition (its condition, and not
# its defeater), written out for each rule. An ``all`` asks its first unknown part; an ``any``
# every unknown part; ``any_in_order`` its first unknown part; a defeater is asked only once the
# condition holds (an unknown condition always has an unknown part to ask first).


def _ask_mobilise_or_bus(
    c: bool | None,
    able: str | None,
    able_path: str,
    support: bool | None,
    support_path: str,
    wellbeing: bool | None,
    judged_path: str,
    ill: str | None,
    relied: list[str] | None,
    relied_item: str,
) -> list[str]:
    """What can-mobilise or public-transport (the same shape over their own facts) asks."""
    if c is None:
        # all(answer is independently or with_support, any_in_order(answer is independently,
        # the support is not an unpaid carer's, the carer's wellbeing considered), judged
        # reasonable): the first unknown part
        if able is None:
            return [able_path]
        if not (able == "independently" or support is False or wellbeing is True):
            return [
                support_path if support is None else "support_network.carer_wellbeing_considered"
            ]
        return [judged_path]
    # The condition holds and its defeater is unknown: any(the person is ill, all(a carer is
    # ill, the answer is with_support, the support is a carer's, the list names it)); every
    # unknown part is asked.
    asked = []
    if ill is None:
        asked.append("circumstances.temporary_illness")
    parts = (
        None if ill is None else ill in CARER_ILL,
        able == "with_support",  # known: the condition holds
        support,
        None if relied is None else relied_item in relied,
    )
    if False not in parts:
        if parts[0] is None:
            first = "circumstances.temporary_illness"
        elif support is None:
            first = support_path
        else:
            first = "circumstances.ill_carer_relied_on_for"
        if first not in asked:
            asked.append(first)
    return asked


def decide(record: dict[str, Any]) -> dict[str, Any]:
    """The decision for one valid record (a JSON-shaped dict), without wording."""
    date = record["assessment_date"]
    if date < EFFECTIVE_FROM:  # an earlier version decides it (not this floor's)
        raise ValueError(f"{date} is before policy {POLICY_VERSION} came into force")
    get = record.get
    person = get("person") or _EMPTY
    destination = get("destination") or _EMPTY
    travel = get("travel") or _EMPTY
    benefits = get("benefits") or _EMPTY
    vehicles = get("vehicles") or _EMPTY
    support_network = get("support_network") or _EMPTY
    circumstances = get("circumstances") or _EMPTY
    choices = get("choices") or _EMPTY
    finance = get("finance") or _EMPTY
    judgement = get("judgement") or _EMPTY
    current = get("current_provision") or _EMPTY
    override = get("override")

    age = person.get("age")
    service_area = person.get("service_area")
    eligible = person.get("eligible_care_needs")
    needs_transport = person.get("needs_transport_to_access_service")
    transition = person.get("transition_assessment")
    ehc_plan = person.get("has_ehc_plan")
    purpose = destination.get("purpose")
    nearest = destination.get("nearest_suitable")
    has_place = destination.get("nearest_has_place")
    by_choice = destination.get("attended_by_choice")
    mobilise = travel.get("can_mobilise_safely")
    bus = travel.get("can_use_public_transport")
    voluntary = travel.get("voluntary_transport_available")
    supervision = travel.get("needs_supervision")
    health_safety = travel.get("specialised_transport_for_health_safety")
    training = travel.get("travel_training_potential")
    mobilise_carer = travel.get("mobilise_support_from_unpaid_carer")
    bus_carer = travel.get("public_transport_support_from_unpaid_carer")
    higher_rate = benefits.get("higher_rate_mobility")
    residual_need = benefits.get("residual_unmet_need")
    standard_rate = benefits.get("standard_rate_mobility")
    car = vehicles.get("private_car")
    motability = vehicles.get("motability")
    drives_self = vehicles.get("drives_self")
    shared = vehicles.get("shared_community_vehicle")
    carer_able = support_network.get("carer_able_and_willing")
    wellbeing = support_network.get("carer_wellbeing_considered")
    carers_car = support_network.get("carer_uses_own_car")
    ill = circumstances.get("temporary_illness")
    urgent = circumstances.get("urgent_or_exceptional")
    relied = circumstances.get("ill_carer_relied_on_for")
    declines_own = choices.get("declines_own_arrangements")
    capacity = choices.get("has_capacity_for_decision")
    representative = choices.get("decision_by_representative")
    declines_offered = choices.get("declines_offered_transport")
    own_car_ok = judgement.get("own_vehicle_use_reasonable")
    family_ok = judgement.get("family_transport_reasonable")
    mobilise_ok = judgement.get("mobilising_reasonable")
    bus_ok = judgement.get("public_transport_reasonable")
    voluntary_ok = judgement.get("voluntary_transport_reasonable")

    # The policy's readings (policy.yaml): each ``when`` over the facts before any of them.
    if wellbeing is False:
        wellbeing = None  # the carer's wellbeing must be considered: not yet established
    if mobilise_carer is None and relied is not None and "walking" in relied:
        mobilise_carer = True
    if bus_carer is None and relied is not None and "public_transport" in relied:
        bus_carer = True
    recorded_car = car
    if car is None and motability is True:
        car = True
    if motability is None and recorded_car is False:
        motability = False
    if higher_rate is None and standard_rate is True:
        higher_rate = False

    # A child's decision (appeal.yaml): an established age under 17, or 17 without a transition
    # assessment holding, or 17 with one and the journey to education; three-valued.
    if age is None or age >= 18:
        child: bool | None = False
    elif age < 17 or transition is not True:
        child = True
    else:
        child = None if purpose is None else purpose == "education"

    # family-driver (exclusions.yaml), defeated by a carer's illness when the ill carer usually
    # drives them. Read whatever the stage: an action refers to it on needs_information too.
    parts: tuple[bool | None, ...] = (carer_able, wellbeing, family_ok)
    c_family = False if False in parts else None if None in parts else True
    parts = (
        None if ill is None else ill in CARER_ILL,
        None if relied is None else "driving" in relied,
    )
    u_family = False if False in parts else None if None in parts else True
    family_driver = c_family and u_family is False  # the rule holds

    # 1. Scope (scope.yaml), in order: the first that holds settles out of scope.
    if age is None:
        under_18: bool | None = None
    elif age < 17:
        under_18 = True
    elif age >= 18:
        under_18 = False
    elif transition is not True:
        under_18 = True
    else:
        under_18 = None if purpose is None else purpose == "education"
    no_needs = None if eligible is None else eligible is False
    no_journey = None if needs_transport is None else needs_transport is False
    other_area = None if service_area is None else service_area == "other"

    reasons: list[dict[str, Any]] = []
    considered: list[dict[str, Any]] = []
    questions: list[dict[str, Any]] = []
    temporary = review = False
    not_nearest = mobility_benefit = private_car = person_ill = None

    if under_18:
        recommended = OUT_OF_SCOPE
        reasons.append(_entry("scope.adults", "under-18"))
        if purpose == "education":
            reasons.append(_entry("scope.school_transport", "under-18"))
    elif no_needs:
        recommended = OUT_OF_SCOPE
        reasons.append(_entry("scope.adults", "no-eligible-needs"))
        reasons.append(_entry("legal.care_act", "no-eligible-needs"))
    elif no_journey:
        recommended = OUT_OF_SCOPE
        reasons.append(_entry("scope.adults", "no-transport-need"))
    elif other_area:
        recommended = OUT_OF_SCOPE
        reasons.append(_entry("scope.service_areas", "other-service-area"))
    elif under_18 is None or no_needs is None or no_journey is None or other_area is None:
        # every unknown scope fact is asked at once
        recommended = NEEDS_INFORMATION
        asked: dict[str, list[str]] = {}
        if under_18 is None:
            path = "person.age" if age is None else "destination.purpose"
            asked[path] = ["scope.adults"]
        if no_needs is None:
            asked["person.eligible_care_needs"] = ["scope.adults"]
        if no_journey is None:
            asked["person.needs_transport_to_access_service"] = ["scope.adults"]
        if other_area is None:
            asked["person.service_area"] = ["scope.service_areas"]
        for path in sorted(asked, key=FIELD_ORDER.__getitem__):
            questions.append({"field": path, "clauses": asked[path]})
    else:
        # 2. Alternatives and expectations (exclusions.yaml): condition c, defeater u.

        # can-mobilise
        p1 = None if mobilise is None else mobilise in ABLE
        # any_in_order(independently, the support is not an unpaid carer's, the carer's
        # wellbeing considered): never fails, as a recorded false wellbeing reads as unknown
        p2 = (
            True
            if mobilise == "independently" or mobilise_carer is False or wellbeing is True
            else None
        )
        parts = (p1, p2, mobilise_ok)
        c = False if False in parts else None if None in parts else True
        if c is False:
            can_mobilise = FAILS
        else:
            a = None if ill is None else ill in PERSON_ILL
            parts = (
                None if ill is None else ill in CARER_ILL,
                None if mobilise is None else mobilise == "with_support",
                mobilise_carer,
                None if relied is None else "walking" in relied,
            )
            b = False if False in parts else None if None in parts else True
            u = True if (a or b) else None if (a is None or b is None) else False
            if c:
                can_mobilise = DEFEATED if u else HOLDS if u is False else PENDING
            elif u:
                can_mobilise = SETTLED
            elif u is False and mobilise is not None and mobilise_ok is not None:
                # unknown only for want of the carer's wellbeing, which cannot fail
                can_mobilise = PENDING
            else:
                can_mobilise = UNKNOWN
        c_mobilise = c

        # public-transport (the first branch of exclude.public_transport)
        p1 = None if bus is None else bus in ABLE
        p2 = True if bus == "independently" or bus_carer is False or wellbeing is True else None
        parts = (p1, p2, bus_ok)
        c = False if False in parts else None if None in parts else True
        if c is False:
            public_transport = FAILS
        else:
            a = None if ill is None else ill in PERSON_ILL
            parts = (
                None if ill is None else ill in CARER_ILL,
                None if bus is None else bus == "with_support",
                bus_carer,
                None if relied is None else "public_transport" in relied,
            )
            b = False if False in parts else None if None in parts else True
            u = True if (a or b) else None if (a is None or b is None) else False
            if c:
                public_transport = DEFEATED if u else HOLDS if u is False else PENDING
            elif u:
                public_transport = SETTLED
            elif u is False and bus is not None and bus_ok is not None:
                public_transport = PENDING
            else:
                public_transport = UNKNOWN
        c_bus = c

        # voluntary-transport (the second branch of exclude.public_transport)
        parts = (voluntary, voluntary_ok)
        c = False if False in parts else None if None in parts else True
        if c is False:
            voluntary_transport = FAILS
        else:
            u = None if ill is None else ill in PERSON_ILL
            if c:
                voluntary_transport = DEFEATED if u else HOLDS if u is False else PENDING
            else:
                voluntary_transport = SETTLED if u else UNKNOWN

        # mobility-benefit (an expectation; no defeater)
        parts = (
            higher_rate,
            None if residual_need is None else not residual_need,
            None if motability is None else not motability,
        )
        mobility_benefit = False if False in parts else None if None in parts else True
        benefit = HOLDS if mobility_benefit else FAILS if mobility_benefit is False else UNKNOWN

        # private-car
        parts = (car, drives_self, own_car_ok)
        private_car = False if False in parts else None if None in parts else True
        person_ill = None if ill is None else ill in PERSON_ILL
        if private_car is False:
            own_car = FAILS
        elif private_car:
            own_car = DEFEATED if person_ill else HOLDS if person_ill is False else PENDING
        else:
            own_car = SETTLED if person_ill else UNKNOWN

        # shared-vehicle
        if shared is False:
            shared_vehicle = FAILS
        elif shared:
            shared_vehicle = DEFEATED if person_ill else HOLDS if person_ill is False else PENDING
        else:
            shared_vehicle = SETTLED if person_ill else UNKNOWN

        # family-driver (evaluated above)
        c, u = c_family, u_family
        if c is False:
            family = FAILS
        elif c:
            family = DEFEATED if u else HOLDS if u is False else PENDING
        elif u:
            family = SETTLED
        elif u is False and carer_able is not None and family_ok is not None:
            family = PENDING  # unknown only for want of the carer's wellbeing
        else:
            family = UNKNOWN

        # not-nearest (an expectation; no defeater)
        parts = (None if nearest is None else not nearest, by_choice, has_place)
        not_nearest = False if False in parts else None if None in parts else True
        nearest_state = HOLDS if not_nearest else FAILS if not_nearest is False else UNKNOWN

        states = (
            ("exclude.can_mobilise", "can-mobilise", can_mobilise, True),
            ("exclude.public_transport", "public-transport", public_transport, True),
            ("exclude.public_transport", "voluntary-transport", voluntary_transport, True),
            ("exclude.mobility_benefit", "mobility-benefit", benefit, False),
            ("exclude.private_car", "private-car", own_car, True),
            ("exclude.shared_vehicle", "shared-vehicle", shared_vehicle, True),
            ("exclude.family_driver", "family-driver", family, True),
            ("exclude.not_nearest", "not-nearest", nearest_state, False),
        )
        held = [s for s in states if s[2] == HOLDS]
        if held:
            recommended = DO_NOT_PROVIDE
            clauses = set()
            alternative = False
            for clause, rule, _, is_alternative in held:
                if clause not in clauses:  # one reason per clause, citing its first branch
                    clauses.add(clause)
                    reasons.append(_entry(clause, rule))
                alternative = alternative or is_alternative
            if transition is True and age == 17:
                reasons.insert(0, _entry("scope.transition", None))
            if alternative:
                reasons.insert(0, _entry("intro.no_alternative", None))
            considered = [e for e in _exclusions_considered(states) if e["clause"] not in clauses]
        else:
            open_ = [s for s in states if s[2] in OPEN]
            exclusions_considered = _exclusions_considered(states)
            if open_:
                # 3. Ask what could still make an alternative hold: pending ones first.
                recommended = NEEDS_INFORMATION
                considered = exclusions_considered
                pending = [s for s in open_ if s[2] == PENDING]
                asked = {}
                for clause, rule, _, _ in pending or open_:
                    if rule == "can-mobilise":
                        fields = _ask_mobilise_or_bus(
                            c_mobilise,
                            mobilise,
                            "travel.can_mobilise_safely",
                            mobilise_carer,
                            "travel.mobilise_support_from_unpaid_carer",
                            wellbeing,
                            "judgement.mobilising_reasonable",
                            ill,
                            relied,
                            "walking",
                        )
                    elif rule == "public-transport":
                        fields = _ask_mobilise_or_bus(
                            c_bus,
                            bus,
                            "travel.can_use_public_transport",
                            bus_carer,
                            "travel.public_transport_support_from_unpaid_carer",
                            wellbeing,
                            "judgement.public_transport_reasonable",
                            ill,
                            relied,
                            "public_transport",
                        )
                    elif rule == "voluntary-transport":
                        if voluntary is None:
                            fields = ["travel.voluntary_transport_available"]
                        elif voluntary_ok is None:
                            fields = ["judgement.voluntary_transport_reasonable"]
                        else:
                            fields = ["circumstances.temporary_illness"]
                    elif rule == "mobility-benefit":
                        if higher_rate is None:
                            fields = ["benefits.higher_rate_mobility"]
                        elif residual_need is None:
                            fields = ["benefits.residual_unmet_need"]
                        else:
                            fields = ["vehicles.motability"]
                    elif rule == "private-car":
                        if car is None:
                            fields = ["vehicles.private_car"]
                        elif drives_self is None:
                            fields = ["vehicles.drives_self"]
                        elif own_car_ok is None:
                            fields = ["judgement.own_vehicle_use_reasonable"]
                        else:
                            fields = ["circumstances.temporary_illness"]
                    elif rule == "shared-vehicle":
                        if shared is None:
                            fields = ["vehicles.shared_community_vehicle"]
                        else:
                            fields = ["circumstances.temporary_illness"]
                    elif rule == "family-driver":
                        if carer_able is None:
                            fields = ["support_network.carer_able_and_willing"]
                        elif wellbeing is None:
                            fields = ["support_network.carer_wellbeing_considered"]
                        elif family_ok is None:
                            fields = ["judgement.family_transport_reasonable"]
                        elif ill is None:
                            fields = ["circumstances.temporary_illness"]
                        else:
                            fields = ["circumstances.ill_carer_relied_on_for"]
                    else:  # not-nearest
                        if nearest is None:
                            fields = ["destination.nearest_suitable"]
                        elif by_choice is None:
                            fields = ["destination.attended_by_choice"]
                        else:
                            fields = ["destination.nearest_has_place"]
                    for path in fields:
                        by = asked.get(path)
                        if by is None:
                            asked[path] = [clause]
                        elif clause not in by:
                            by.append(clause)
                for path in sorted(asked, key=FIELD_ORDER.__getitem__):
                    questions.append({"field": path, "clauses": asked[path]})
            else:
                # 4. Every alternative is ruled out: provide as a last resort (provide.yaml).
                recommended = PROVIDE
                grounds_temporary = grounds = 0
                provide_considered = []
                if health_safety:
                    reasons.append(_entry("provide.health_safety", "health-safety"))
                    grounds += 1
                else:
                    status = UNKNOWN if health_safety is None else FAILS
                    provide_considered.append(
                        _considered("provide.health_safety", "health-safety", "provide", status)
                    )
                if supervision:
                    reasons.append(_entry("provide.supervision", "supervision"))
                    grounds += 1
                else:
                    status = UNKNOWN if supervision is None else FAILS
                    provide_considered.append(
                        _considered("provide.supervision", "supervision", "provide", status)
                    )
                # no-means: no way of travelling, even leaving illness aside
                parts = (
                    True
                    if mobilise == "unable" or mobilise_ok is False
                    else None
                    if mobilise is None or mobilise_ok is None
                    else False,
                    True
                    if bus == "unable" or bus_ok is False
                    else None
                    if bus is None or bus_ok is None
                    else False,
                    True
                    if voluntary is False or voluntary_ok is False
                    else None
                    if voluntary is None or voluntary_ok is None
                    else False,
                    None if private_car is None else not private_car,
                    None if shared is None else not shared,
                    None if c_family is None else not c_family,
                )
                no_means = False if False in parts else None if None in parts else True
                # also cited: reasonableness.individual, when a judgement rules out a means the
                # person could use (after the grounds, in clause order)
                judged = False
                if no_means:
                    reasons.append(_entry("provide.no_means", "no-means"))
                    grounds += 1
                    judged = (
                        (mobilise_ok is False and mobilise is not None and mobilise != "unable")
                        or (bus_ok is False and bus is not None and bus != "unable")
                        or (voluntary_ok is False and voluntary is True)
                    )
                else:
                    status = UNKNOWN if no_means is None else FAILS
                    provide_considered.append(
                        _considered("provide.no_means", "no-means", "provide", status)
                    )
                parts = (
                    None if nearest is None else not nearest,
                    None if has_place is None else not has_place,
                )
                no_local_place = False if False in parts else None if None in parts else True
                if no_local_place:
                    reasons.append(_entry("provide.no_local_place", "no-local-place"))
                    grounds += 1
                    grounds_temporary += 1
                else:
                    status = UNKNOWN if no_local_place is None else FAILS
                    provide_considered.append(
                        _considered("provide.no_local_place", "no-local-place", "provide", status)
                    )
                if ill is not None and ill in ANY_ILL:
                    reasons.append(_entry("provide.temporary_illness", "temporary-illness"))
                    grounds += 1
                    grounds_temporary += 1
                else:
                    status = UNKNOWN if ill is None else FAILS
                    provide_considered.append(
                        _considered(
                            "provide.temporary_illness", "temporary-illness", "provide", status
                        )
                    )
                # the procedure's own reasons, in clause order around the grounds
                if judged:
                    reasons.append(_entry("reasonableness.individual", "no-means"))
                head = []
                if transition is True and age == 17:
                    head.append(_entry("scope.transition", None))
                head.append(_entry("eligibility.last_resort", None))
                reasons[:0] = head
                reasons.append(_entry("guidance.none_feasible", None))
                considered = provide_considered + exclusions_considered
                out_of_use = DEFEATED in (
                    can_mobilise,
                    public_transport,
                    voluntary_transport,
                    own_car,
                    shared_vehicle,
                    family,
                )
                temporary = out_of_use or (grounds > 0 and grounds_temporary == grounds)
                review = grounds_temporary > 0

    # The assessor's override (override.yaml).
    final = recommended
    applied = None
    warnings = []
    if override is not None:
        if recommended in (PROVIDE, DO_NOT_PROVIDE):
            final = override["outcome"]
            applied = {
                "outcome": final,
                "reason": override["reason"].strip(WHITESPACE),
                "clause": "reasonableness.individual",
                "rule": "override-applied",
            }
        elif recommended == NEEDS_INFORMATION:
            warnings.append("override-needs-answers-first")
        else:
            warnings.append("override-out-of-scope")

    # Charging (charging.yaml), by the final outcome.
    charging = []
    if final == PROVIDE:
        charging.append(_entry("charging.policy", "charging-policy"))
        if finance.get("assessed_to_contribute") is True:
            charging.append(_entry("charging.assessed_contribution", "assessed-contribution"))
        if finance.get("self_funds_day_opportunities") is True:
            charging.append(_entry("charging.self_funder", "self-funder"))
        if not_nearest:
            charging.append(_entry("charging.additional_cost", "additional-cost"))
    elif final == DO_NOT_PROVIDE:
        if (private_car and person_ill is False) or (
            family_driver and (carers_car is False or (carers_car is None and car is True))
        ):
            charging.append(_entry("charging.own_vehicle_costs", "own-vehicle-costs"))
        if not_nearest:
            charging.append(_entry("charging.additional_cost", "additional-cost"))

    # Support-plan actions (actions.yaml), by the final outcome, in clause order.
    actions = []
    education = purpose == "education" and (
        age == 18
        or (age is not None and 19 <= age <= 24 and ehc_plan is True)
        or (age == 17 and transition is True and ehc_plan is True)
    )
    if education:
        actions.append(_entry("legal.education_transport", "education-transport-duty-first"))
    if final != OUT_OF_SCOPE:
        if final == DO_NOT_PROVIDE:
            if mobility_benefit:
                actions.append(
                    _entry("exclude.mobility_benefit", "use-mobility-benefit-for-this-journey")
                )
            if not_nearest:
                actions.append(_entry("exclude.not_nearest", "choose-nearest-or-meet-the-cost"))
        if training is True:
            actions.append(_entry("guidance.travel_training", "explore-travel-training"))
            if final == PROVIDE and recommended == PROVIDE:
                review = True  # a Progressive Support Plan keeps access while they train
        elif training is None and final == PROVIDE:
            actions.append(_entry("guidance.travel_training", "travel-training-not-assessed"))
        if higher_rate is True or standard_rate is True:
            actions.append(_entry("guidance.mobility_benefit_use", "record-mobility-benefit-use"))
        if motability is True and drives_self is False:
            actions.append(
                _entry("guidance.motability_drivers", "explore-motability-named-drivers")
            )
        if carer_able is True or mobilise_carer is True or bus_carer is True:
            actions.append(_entry("guidance.carer_wellbeing", "record-carer-wellbeing"))
        carers_own = carers_car is True or (carers_car is None and car is False)
        if family_driver and carers_own:
            actions.append(_entry("guidance.mileage_allowance", "consider-mileage-allowance"))
        elif (
            final == PROVIDE
            and carer_able is True
            and carers_own
            and not (ill in CARER_ILL and relied is not None and "driving" in relied)
            and family_ok is False
        ):
            actions.append(
                _entry(
                    "guidance.mileage_allowance",
                    "mileage-allowance-to-make-family-transport-workable",
                )
            )
        if final == DO_NOT_PROVIDE and declines_own is True:
            if capacity is not False:
                actions.append(_entry("refusal.declining_services", "declining-services"))
            actions.append(_entry("refusal.capacity", "check-capacity"))
            if representative is True:
                actions.append(_entry("refusal.best_interests", "check-best-interests"))
        elif final == PROVIDE and declines_offered is True:
            if capacity is not False:
                actions.append(_entry("refusal.declining_services", "declining-offered-transport"))
            actions.append(_entry("refusal.capacity", "check-capacity-offered-transport"))
            if representative is True:
                actions.append(
                    _entry("refusal.best_interests", "check-best-interests-offered-transport")
                )
    if current.get("receives_council_transport") is True:
        if final in (DO_NOT_PROVIDE, OUT_OF_SCOPE):
            actions.append(_entry("review.withdrawal", "withdrawal-with-notice"))
        elif final == NEEDS_INFORMATION:
            actions.append(_entry("review.withdrawal", "withdrawal-pending-decision"))

    if not (recommended == PROVIDE and final == PROVIDE):
        temporary = review = False

    # Provision (provision.yaml) on a final provide.
    provision = None
    if final == PROVIDE:
        provision = {
            "taxi_permitted": urgent is True,
            "clause": "intro.provision_modes",
            "rule": "taxi-only-when-urgent",
            "requirements": list(travel.get("vehicle_needs") or ()),
        }

    # Appeal route and next steps (appeal.yaml), by the final outcome.
    appeal = []
    next_steps = []
    if final == NEEDS_INFORMATION:
        next_steps.append({"clause": "legal.care_act"})
    else:
        if child is False:
            appeal.append(_entry("appeals.assessor_first", "raise-with-assessor"))
            appeal.append(_entry("appeals.complaints", "complaints-procedure"))
        elif child and final == OUT_OF_SCOPE:
            if purpose == "education":
                next_steps.append({"clause": "scope.school_transport"})
            else:
                next_steps.append({"clause": "scope.adults"})

    if final == DO_NOT_PROVIDE and health_safety is True:
        warnings.append("provide.health_safety")
    if date > NEXT_REVIEW:
        warnings.append("governance.review")

    assessor = get("assessor")
    return {
        "case_id": record["case_id"].strip(WHITESPACE),
        "assessment_date": date,
        "journey": {
            "purpose": purpose,
            "destination_name": destination.get("name"),
            "distance_miles": destination.get("distance_miles"),
        },
        "outcome": final,
        "recommended_outcome": recommended,
        "temporary": temporary,
        "review_required": review,
        "reasons": reasons,
        "considered": considered,
        "questions": questions,
        "next_steps": next_steps,
        "charging": charging,
        "provision": provision,
        "actions": actions,
        "appeal": appeal,
        "override": applied,
        "assessor": None
        if assessor is None
        else {"id": assessor.get("id"), "name": assessor.get("name")},
        "notes": judgement.get("notes") or "",
        "warnings": warnings,
        "policy": {
            "id": POLICY_ID,
            "version": POLICY_VERSION,
            "digest": POLICY_DIGEST,
            "effective_from": EFFECTIVE_FROM,
            "selected": f"in force on the assessment date {date}",
        },
        "engine": ENGINE,
        "input_digest": input_digest(record),
    }


def _considered(clause: str, rule: str, kind: str, state: str) -> dict[str, Any]:
    return {"clause": clause, "rule": rule, "kind": kind, "status": STATUS[state]}


def _exclusions_considered(states: tuple[tuple[str, str, str, bool], ...]) -> list[dict[str, Any]]:
    """The considered entry of every exclusion clause, in clause order: exclude.public_transport
    is one entry for its two branches (citing the first), with their combined status."""
    out = []
    for clause, rule, state, _ in states:
        if rule == "public-transport":
            out.append(_considered(clause, rule, "exclusion", _combined(state, states[2][2])))
        elif rule != "voluntary-transport":
            out.append(_considered(clause, rule, "exclusion", state))
    return out


def _combined(public_transport: str, voluntary_transport: str) -> str:
    """exclude.public_transport's status when neither branch holds (combined_status)."""
    if public_transport in OPEN or voluntary_transport in OPEN:
        return UNKNOWN
    if DEFEATED in (public_transport, voluntary_transport):
        return DEFEATED
    if public_transport == FAILS and voluntary_transport == FAILS:
        return FAILS
    return UNKNOWN


def _known(part: dict[str, Any] | None, leaves: tuple[str, ...]) -> dict[str, Any]:
    """A section's known facts, in the canonical (sorted) order of their names."""
    if not part:
        return {}
    return {leaf: value for leaf in leaves if (value := part.get(leaf)) is not None}


def canonical_record(record: dict[str, Any]) -> dict[str, Any]:
    """The record as the product digests it (``model.canonical._plain``: the validated record's
    ``model_dump(mode="json", exclude_none=True)`` with every member in RFC 8785 order): unknown
    facts left out, every fact section but ``current_provision`` present (``{}`` when nothing in
    it is known), ``current_provision`` only when something in it is known, ``case_id`` and the
    override's reason stripped as the model strips them, the distance a number (the only one
    that is not a bounded whole number)."""
    get = record.get
    out: dict[str, Any] = {"assessment_date": record["assessment_date"]}
    assessor = get("assessor")
    if assessor is not None:
        out["assessor"] = _known(assessor, ("id", "name"))
    out["benefits"] = _known(get("benefits"), BENEFITS)
    out["case_id"] = record["case_id"].strip(WHITESPACE)
    out["choices"] = _known(get("choices"), CHOICES)
    out["circumstances"] = _known(get("circumstances"), CIRCUMSTANCES)
    current = _known(get("current_provision"), ("receives_council_transport", "since"))
    if current:
        out["current_provision"] = current
    out["destination"] = destination = _known(get("destination"), DESTINATION)
    distance = destination.get("distance_miles")
    if distance is not None:
        destination["distance_miles"] = float(distance)  # the model's type
    out["finance"] = _known(
        get("finance"), ("assessed_to_contribute", "self_funds_day_opportunities")
    )
    out["judgement"] = _known(get("judgement"), JUDGEMENT)
    override = get("override")
    if override is not None:
        out["override"] = {
            "outcome": override["outcome"],
            "reason": override["reason"].strip(WHITESPACE),
        }
    out["person"] = _known(get("person"), PERSON)
    out["support_network"] = _known(get("support_network"), SUPPORT_NETWORK)
    out["travel"] = _known(get("travel"), TRAVEL)
    out["vehicles"] = _known(get("vehicles"), VEHICLES)
    return out


_SAFE_INT = 2**53 - 1


def record_json(record: dict[str, Any]) -> bytes:
    """The RFC 8785 canonical JSON of the record, unknown fields left out, written as the product
    writes it (``model.canonical.record_json``): ``pydantic_core.to_json`` over the members in
    canonical order when every value prints as RFC 8785 prints it (a distance with a whole value
    as an integer, others between 1e-4 and 1e16), the project's general writer otherwise."""
    canonical = canonical_record(record)
    destination = canonical["destination"]
    distance = destination.get("distance_miles")
    if distance is not None:
        if distance.is_integer():
            plain = int(distance) if abs(distance) <= _SAFE_INT else None
        else:
            plain = distance if 1e-4 <= abs(distance) < 1e16 else None
        if plain is None:
            return canonical_json(canonical)
        destination["distance_miles"] = plain
    try:
        return pydantic_core.to_json(canonical)
    except pydantic_core.PydanticSerializationError:  # text that is not valid UTF-8
        if distance is not None:
            destination["distance_miles"] = distance
        return canonical_json(canonical)


def input_digest(record: dict[str, Any]) -> str:
    """``sha256:`` over the RFC 8785 canonical JSON of the record, unknown fields left out."""
    return "sha256:" + hashlib.sha256(record_json(record)).hexdigest()


_DUMPS = json.JSONEncoder(separators=(",", ":")).encode
"""``json.dumps(result, separators=(",", ":"))``, its encoder made once."""


def floor(record: dict[str, Any]) -> str:
    """The whole floor for one record: the decision, its input digest, its JSON."""
    return _DUMPS(decide(record))


def project(decision: Any) -> dict[str, Any]:
    """A product :class:`~transport_policy.Decision` reduced to the floor's structure (for the
    checks: never on the timed path)."""
    d = decision.model_dump(mode="json")
    warnings = []
    for text in d["warnings"]:
        if "Answer the questions first" in text:
            warnings.append("override-needs-answers-first")
        elif "this policy does not apply" in text:
            warnings.append("override-out-of-scope")
        elif "(provide.health_safety)" in text:
            warnings.append("provide.health_safety")
        elif "(governance.review)" in text:
            warnings.append("governance.review")
        else:
            warnings.append(text)
    provision = d["provision"]
    if provision is not None:
        provision = {k: provision[k] for k in ("taxi_permitted", "clause", "rule", "requirements")}
    return {
        "case_id": d["case_id"],
        "assessment_date": d["assessment_date"],
        "journey": d["journey"],
        "outcome": d["outcome"],
        "recommended_outcome": d["recommended_outcome"],
        "temporary": d["temporary"],
        "review_required": d["review_required"],
        "reasons": [_entry(r["clause"], r["rule"]) for r in d["reasons"]],
        "considered": [
            {k: c[k] for k in ("clause", "rule", "kind", "status")} for c in d["considered"]
        ],
        "questions": [{"field": q["field"], "clauses": q["clauses"]} for q in d["questions"]],
        "next_steps": [{"clause": s["clause"]} for s in d["next_steps"]],
        "charging": [_entry(c["clause"], c["rule"]) for c in d["charging"]],
        "provision": provision,
        "actions": [_entry(a["clause"], a["rule"]) for a in d["actions"]],
        "appeal": [_entry(a["clause"], a["rule"]) for a in d["appeal"]],
        "override": d["override"],
        "assessor": d["assessor"],
        "notes": d["notes"],
        "warnings": warnings,
        "policy": d["policy"],
        "engine": d["engine"],
        "input_digest": d["input_digest"],
    }
