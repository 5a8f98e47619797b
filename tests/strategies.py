"""Hypothesis strategies for assessment records, valid and malformed.

The record's shape comes from the field registry (``model/fields.py``): sections, allowed values,
bounds and text limits are read from it, so a field added to or renamed in the registry is generated
without editing this module.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from transport_policy.model.contradictions import Test, contradictions, values_of
from transport_policy.model.fields import DECLARED_SECTIONS, FIELDS, FieldSpec, sections
from transport_policy.model.record import AssessmentRecord
from transport_policy.rules.conditions import FAILS, HOLDS, evaluate, fields_read
from transport_policy.rules.model import Policy

FIRST_DATE = dt.date(2021, 2, 1)
LAST_DATE = dt.date(2026, 12, 31)

REQUIRED = ("case_id", "assessment_date")
OPTIONAL_SECTIONS = DECLARED_SECTIONS
"""Sections that may be absent or null as a whole (the others are mappings of facts)."""
# records() draws these two by hand; a new optional section must be added there.
assert set(OPTIONAL_SECTIONS) == {"assessor", "override"}, OPTIONAL_SECTIONS

SECTIONS: dict[str, tuple[str, ...]] = {
    name: tuple(f.name for f in specs) for name, specs in sections().items()
}
FACT_SECTIONS = tuple(s for s in SECTIONS if s not in OPTIONAL_SECTIONS)
FACT_PATHS = tuple(f"{s}.{leaf}" for s in FACT_SECTIONS for leaf in SECTIONS[s])

OVERRIDE_OUTCOMES: tuple[str, ...] = FIELDS["override.outcome"].values
MIN_AGE, MAX_AGE = int(FIELDS["person.age"].minimum or 0), int(FIELDS["person.age"].maximum or 0)


def allowed_values(path: str) -> tuple[object, ...] | None:
    """The values a fact may take, or ``None`` when it is free-valued."""
    return FIELDS[path].allowed()


CHOICE_PATHS = tuple(p for p in FACT_PATHS if allowed_values(p) is not None)
BOOL_PATHS = tuple(p for p in CHOICE_PATHS if allowed_values(p) == (True, False))
ENUM_PATHS = tuple(p for p in CHOICE_PATHS if p not in BOOL_PATHS)

_short_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
_one_line = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12)
"""Names and ids: one line, no control characters (the model refuses them)."""
LARGEST_NUMBER = 500.0
"""Numbers without an upper bound are drawn up to this."""


def free_strategy(spec: FieldSpec) -> st.SearchStrategy[Any]:
    """Known values of a field with no fixed set of values, within its registry bounds."""
    if spec.kind == "integer":
        return st.integers(int(spec.minimum or 0), int(spec.maximum or 1000))
    if spec.kind == "number":
        high = LARGEST_NUMBER if spec.maximum is None else spec.maximum
        return st.floats(spec.minimum, high, allow_nan=False, allow_infinity=False)
    if spec.kind == "enum_list":
        return st.lists(st.sampled_from(spec.values), unique=True, max_size=len(spec.values))
    if spec.kind == "text":
        return _one_line if spec.one_line else _short_text
    if spec.kind == "date":
        return st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31))
    raise AssertionError(f"{spec.path}: no strategy for a {spec.kind} fact")


FREE_VALUES: dict[str, st.SearchStrategy[Any]] = {
    p: free_strategy(FIELDS[p]) for p in FACT_PATHS if allowed_values(p) is None
}

# Biases, so that generated records reach every outcome often enough. Each maps a fact to the
# values it is drawn from in that profile (a subset of its allowed values). A profile's scope facts
# are always known, so that records reach the alternatives even when other facts are sparse.
IN_SCOPE: dict[str, st.SearchStrategy[Any]] = {
    "person.age": st.integers(18, MAX_AGE),
    "person.eligible_care_needs": st.just(True),
    "person.needs_transport_to_access_service": st.just(True),
    "person.service_area": st.sampled_from(
        [v for v in allowed_values("person.service_area") or () if v != "other"]
    ),
}
NO_ALTERNATIVE: dict[str, st.SearchStrategy[Any]] = {
    **IN_SCOPE,
    "travel.can_mobilise_safely": st.just("unable"),
    "travel.can_use_public_transport": st.just("unable"),
    "travel.voluntary_transport_available": st.just(False),
    "benefits.residual_unmet_need": st.just(True),
    "vehicles.drives_self": st.just(False),
    "vehicles.shared_community_vehicle": st.just(False),
    "support_network.carer_able_and_willing": st.just(False),
    "destination.attended_by_choice": st.just(False),
}
PROFILES = {"any": {}, "in_scope": IN_SCOPE, "no_alternative": NO_ALTERNATIVE}
for _profile in PROFILES.values():
    assert set(_profile) <= set(FACT_PATHS), set(_profile) - set(FACT_PATHS)


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()
"""A fact left out of its section altogether (as opposed to written as null)."""


def value_strategy(
    path: str, profile: Mapping[str, st.SearchStrategy[Any]] | None = None
) -> st.SearchStrategy[Any]:
    """Known values of one fact."""
    if profile and path in profile:
        return profile[path]
    choices = allowed_values(path)
    return st.sampled_from(choices) if choices is not None else FREE_VALUES[path]


case_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 ._/-]{0,20}", fullmatch=True)
dates = st.dates(FIRST_DATE, LAST_DATE)
reasons = st.tuples(st.characters(categories=("L", "N")), _short_text).map("".join)
"""Override reasons: never blank."""


@st.composite
def overrides(draw: st.DrawFn) -> dict[str, Any]:
    return {"outcome": draw(st.sampled_from(OVERRIDE_OUTCOMES)), "reason": draw(reasons)}


_profile_names = st.sampled_from(list(PROFILES))
_assessors = st.one_of(
    st.just(ABSENT),
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={"id": st.one_of(st.none(), _one_line), "name": st.one_of(st.none(), _one_line)},
    ),
)


# Strategies are built once: building them inside every draw costs more than drawing from them.
def _fact_strategy(path: str, profile: str, every_known: bool) -> st.SearchStrategy[Any]:
    biased = PROFILES[profile]
    known = value_strategy(path, biased)
    if every_known or (path in biased and path in IN_SCOPE):
        return known
    return st.one_of(st.just(ABSENT), st.none(), known)


_FACTS = {
    (profile, every_known): {p: _fact_strategy(p, profile, every_known) for p in FACT_PATHS}
    for profile in PROFILES
    for every_known in (True, False)
}


@st.composite
def records(
    draw: st.DrawFn,
    *,
    profile: str | None = None,
    complete: bool | None = None,
    override: bool | None = None,
) -> dict[str, Any]:
    """A valid assessment-record mapping.

    ``profile`` biases facts (``any``, ``in_scope``, ``no_alternative``; drawn when ``None``);
    ``complete`` makes every fact known (``True``), or lets each be absent or null (``False``,
    except the scope facts of the ``in_scope`` and ``no_alternative`` profiles);
    ``override`` forces an override on or off.
    """
    name = profile if profile is not None else draw(_profile_names)
    every_known = complete if complete is not None else draw(st.booleans())
    facts_of = _FACTS[(name, every_known)]
    date = draw(dates)
    data: dict[str, Any] = {
        "case_id": draw(case_ids),
        "assessment_date": date if draw(st.booleans()) else date.isoformat(),
    }
    assessor = draw(_assessors)
    if assessor is not ABSENT:
        data["assessor"] = assessor
    for section in FACT_SECTIONS:
        facts: dict[str, Any] = {}
        for leaf in SECTIONS[section]:
            value = draw(facts_of[f"{section}.{leaf}"])
            if value is not ABSENT:
                facts[leaf] = value
        empty_written = draw(st.booleans())
        if facts or empty_written:
            data[section] = facts
    with_override = override if override is not None else draw(st.integers(0, 3)) == 0
    if with_override:
        data["override"] = draw(overrides())
    elif override is None and draw(st.integers(0, 7)) == 0:
        data["override"] = None
    return consistent(data)


def _repair(data: dict[str, Any], test: Test) -> None:
    """Make one test of a contradiction fail, keeping the field known."""
    section, _, leaf = test.path.partition(".")
    part = data[section]
    if test.lists is not None:
        part[leaf] = [v for v in part[leaf] if v != test.lists]
    elif test.in_:
        values = FIELDS[test.path].values
        part[leaf] = next(v for v in values if v not in test.in_ and v != "both")
    else:
        part[leaf] = not test.is_


def consistent(data: dict[str, Any], keep: Collection[str] = ()) -> dict[str, Any]:
    """The record mapping with every contradictory combination of facts
    (``model/contradictions.py``) resolved by changing one of its known facts, none made
    unknown (unless ``keep`` leaves no other way) and none of ``keep``
    touched: a list loses the value named, else the first test of a
    plain pair is turned (the second when the first only says a field is recorded)."""
    while found := contradictions(values_of(data)):
        for contradiction in found:
            tests = contradiction.tests
            listed = [t for t in tests if t.lists is not None]
            order = listed or ([tests[1]] if tests[0].given else [tests[0], tests[1]])
            free = [t for t in order if t.path not in keep and not t.given]
            if free:
                _repair(data, free[0])
                break
            recorded = [t for t in tests if t.given and t.path not in keep]
            if recorded:  # what only matters beside a kept fact becomes unknown
                section, _, leaf = recorded[0].path.partition(".")
                data[section][leaf] = None
                break
        else:
            return data  # the caller set the contradiction itself
    return data


def fact(data: Mapping[str, Any], path: str) -> object:
    """The value of a fact in a record mapping (``None`` when absent or null)."""
    section, _, leaf = path.partition(".")
    part = data.get(section)
    return part.get(leaf) if isinstance(part, Mapping) else None


def with_facts(data: Mapping[str, Any], facts: Mapping[str, object]) -> dict[str, Any]:
    """A copy of the record mapping with some facts set."""
    out = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in data.items()}
    for path, value in facts.items():
        section, _, leaf = path.partition(".")
        part = out.get(section)
        out[section] = {**(part if isinstance(part, Mapping) else {}), leaf: value}
    return consistent(out, keep=facts)


def to_json_ready(data: Any) -> Any:
    """The record mapping with dates written as ISO strings (for JSON files)."""
    if isinstance(data, Mapping):
        return {k: to_json_ready(v) for k, v in data.items()}
    if isinstance(data, dt.date):
        return data.isoformat()
    return data


# --- malformed records -------------------------------------------------------------------------

TOP_LEVEL = frozenset(AssessmentRecord.model_fields)
WRONG_BOOLS: tuple[object, ...] = (
    "yes",
    "no",
    "on",
    "off",
    "true",
    "false",
    "True",
    "y",
    1,
    0,
    1.0,
    "1",
)
WRONG_ENUMS: tuple[str, ...] = (
    "with-support",
    "With_Support",
    "sometimes",
    "yes",
    "no",
    "maybe",
    "Independently",
    "UNABLE",
    "n/a",
    "",
    "independently ",
)
NOT_MAPPINGS: tuple[object, ...] = ("yes", 1, True, ["a"], [], 2.5)
BAD_DATES: tuple[object, ...] = (
    "2021-13-01",
    "15/03/2021",
    "2021-3-5",
    "20210315",
    "2021-02-30",
    "yesterday",
    dt.datetime(2021, 3, 15, 9, 30),
    20210315,
)
SENTINELS: tuple[object, ...] = (
    "secret-value-7Qz",
    424242,
    ["private-list-9Xq"],
    {"hidden": "nested-8Wv"},
)
unknown_keys = st.from_regex(r"[a-z][a-z_]{1,20}", fullmatch=True)


@dataclass(frozen=True)
class Malformed:
    """A record that must be rejected, the field path its error names, and the offending value."""

    data: dict[str, Any]
    path: str
    value: object
    kind: str
    echo: tuple[str, ...] = field(default=())
    """Texts that would appear in the error only if it repeated the offending value."""


def _echo(value: object) -> tuple[str, ...]:
    texts = [repr(value)]
    words = ("true", "false")  # the wording of the bool error itself
    if isinstance(value, str) and len(value.strip()) >= 4 and value.lower() not in words:
        texts.append(value)
    if isinstance(value, dt.datetime):
        texts.append(str(value))
    return tuple(texts)


@st.composite
def malformed_records(draw: st.DrawFn) -> Malformed:
    """A valid record with exactly one thing wrong."""
    data = draw(records())
    value: object
    kind = draw(
        st.sampled_from(
            [
                "unknown_top_key",
                "unknown_section_key",
                "wrong_bool_type",
                "age_as_text",
                "age_out_of_range",
                "unknown_enum",
                "missing_required",
                "blank_case_id",
                "bad_date",
                "empty_override_reason",
                "unknown_override_outcome",
                "not_a_mapping",
                "bad_distance",
            ]
        )
    )
    if kind == "unknown_top_key":
        key = draw(unknown_keys.filter(lambda k: k not in TOP_LEVEL))
        value = draw(st.sampled_from(SENTINELS))
        return Malformed({**data, key: value}, key, value, kind, _echo(value))
    if kind == "unknown_section_key":
        section = draw(st.sampled_from((*FACT_SECTIONS, "assessor")))
        key = draw(unknown_keys.filter(lambda k: k not in SECTIONS[section]))
        value = draw(st.sampled_from(SENTINELS))
        base = data.get(section)
        part = dict(base) if isinstance(base, Mapping) else {}
        return Malformed(
            {**data, section: {**part, key: value}}, f"{section}.{key}", value, kind, _echo(value)
        )
    if kind in (
        "wrong_bool_type",
        "unknown_enum",
        "age_as_text",
        "age_out_of_range",
        "bad_distance",
    ):
        if kind == "wrong_bool_type":
            path = draw(st.sampled_from(BOOL_PATHS))
            value = draw(st.sampled_from(WRONG_BOOLS))
        elif kind == "unknown_enum":
            path = draw(st.sampled_from(ENUM_PATHS))
            others = [v for p in ENUM_PATHS for v in allowed_values(p) or ()]
            allowed = [str(v) for v in allowed_values(path) or ()]
            # Not a word of the error's own text (the path, the allowed values it lists): "person"
            # (a value of temporary_illness) would be found in "person.service_area" anyway.
            value = draw(
                st.sampled_from(sorted({*WRONG_ENUMS, *map(str, others)})).filter(
                    lambda v: v not in path and not any(v in a for a in allowed)
                )
            )
        elif kind == "age_as_text":
            path = "person.age"
            value = draw(
                st.one_of(
                    st.integers(MIN_AGE, MAX_AGE).map(str),
                    st.just(True),
                    st.integers(18, 99).map(float),
                )
            )
        elif kind == "age_out_of_range":
            path = "person.age"
            value = draw(
                st.one_of(st.integers(MAX_AGE + 1, 10**6), st.integers(-(10**6), MIN_AGE - 1))
            )
        else:
            path = "destination.distance_miles"
            value = draw(st.sampled_from((float("nan"), float("inf"), -1.5, "3 miles")))
        return Malformed(with_facts(data, {path: value}), path, value, kind, _echo(value))
    if kind == "missing_required":
        key = draw(st.sampled_from(REQUIRED))
        return Malformed({k: v for k, v in data.items() if k != key}, key, None, kind)
    if kind == "blank_case_id":
        value = draw(st.sampled_from(("", " ", "\t", "   ")))
        return Malformed({**data, "case_id": value}, "case_id", value, kind)
    if kind == "bad_date":
        value = draw(st.sampled_from(BAD_DATES))
        return Malformed(
            {**data, "assessment_date": value}, "assessment_date", value, kind, _echo(value)
        )
    if kind == "empty_override_reason":
        value = draw(st.sampled_from(("", " ", "\n\t ")))
        outcome = draw(st.sampled_from(OVERRIDE_OUTCOMES))
        return Malformed(
            {**data, "override": {"outcome": outcome, "reason": value}},
            "override.reason",
            value,
            kind,
        )
    if kind == "unknown_override_outcome":
        value = draw(
            st.sampled_from(("refuse", "Provide", "needs_information", "out_of_scope", "yes"))
        )
        return Malformed(
            {**data, "override": {"outcome": value, "reason": "Exceptional need"}},
            "override.outcome",
            value,
            kind,
            _echo(value),
        )
    section = draw(st.sampled_from((*FACT_SECTIONS, *OPTIONAL_SECTIONS)))
    value = draw(st.sampled_from(NOT_MAPPINGS))
    return Malformed({**data, section: value}, section, value, kind, _echo(value))


# --- facts that make an alternative hold --------------------------------------------------------


def _combinations(paths: list[str]) -> Iterator[dict[str, object]]:
    choices = [allowed_values(p) for p in paths]
    if any(c is None for c in choices):
        return
    for combo in itertools.product(*(c or () for c in choices)):
        yield dict(zip(paths, combo, strict=True))


def alternative_assignments(policy: Policy) -> dict[str, list[dict[str, object]]]:
    """For each exclusion, the settings of its facts under which it holds and defeats nothing.

    A defeater's fact is set to a value under which no exclusion's defeater holds, so that making
    one more alternative hold never disables an alternative that already held. Facts the scope rules
    or another exclusion's own condition read are never touched.
    """
    exclusions = [r for r in policy.rules if r.kind == "exclusion"]
    scope_fields = {f for r in policy.rules if r.kind == "scope" for f in fields_read(r.effective)}
    condition_fields = {r.id: set(fields_read(r.condition)) for r in exclusions}

    def reads(facts: Mapping[str, object]) -> dict[str, object]:
        unknown = policy.unknown_if_false
        return {p: (None if v is False and p in unknown else v) for p, v in facts.items()}

    out: dict[str, list[dict[str, object]]] = {}
    for rule in exclusions:
        own = fields_read(rule.condition)
        defeater = [f for f in fields_read(rule.unless) if f not in own] if rule.unless else []
        found = []
        for combo in _combinations(own + defeater):
            facts = reads(combo)
            if evaluate(rule.effective, facts) != HOLDS or scope_fields & set(combo):
                continue
            if any(
                condition_fields[other] & set(combo)
                for other in condition_fields
                if other != rule.id
            ):
                continue  # it would change what another alternative reads
            if all(
                evaluate(other.unless, facts) == FAILS
                for other in exclusions
                if other.unless is not None and set(fields_read(other.unless)) <= set(combo)
            ):
                found.append(combo)
        if found:
            out[rule.id] = found
    return out


# --- drawing examples outside a test --------------------------------------------------------------


def sample(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """``count`` examples of a strategy (at most), the same ones on every run."""
    drawn: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def collect(example: Any) -> None:
        drawn.append(example)

    collect()
    return drawn
