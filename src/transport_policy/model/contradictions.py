"""Contradictory facts: combinations of established values that no assessment can hold.

A record holding one of them is an input error, never a decision: it is rejected with one error
entry per field path involved, each message naming the other paths. Only established values count
(an unknown field contradicts nothing), and the record keeps what was recorded: how the rules read
an unknown field beside a known one (a Motability car read as a private car, say) is a reading of
the rules, not a correction of the record.

The table is declarative: each contradiction is a conjunction of tests of field values, so the
record model checks it (:func:`record_errors`, the table compiled once into a function over the
model's sections) and the JSON Schema states it (:func:`schema_rules`) from the same entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import FieldError

Values = Mapping[str, object]
"""Field path → established value (``None`` or absent: unknown)."""


def _always(value: object) -> bool:
    return True


@dataclass(frozen=True)
class Test:
    """One test of one field: it holds only for an established value."""

    path: str
    is_: object = None
    in_: tuple[str, ...] = ()
    lists: str | None = None
    """For a list field: the list names this value."""
    given: bool = False
    """The field is established, whatever its value (an empty list included)."""

    def holds(self, values: Values) -> bool:
        value = values.get(self.path)
        if value is None:
            return False
        if self.given:
            return True
        if self.lists is not None:
            return isinstance(value, list) and self.lists in value
        if self.in_:
            return value in self.in_
        return value is self.is_ if isinstance(self.is_, bool) else value == self.is_

    def predicate(self) -> Callable[[object], bool]:
        """This test of an established (not ``None``) value, as one call: :meth:`holds` less
        the lookup and the unknown check."""
        if self.given:
            return _always
        if self.lists is not None:
            named = self.lists
            return lambda value: isinstance(value, list) and named in value
        if self.in_:
            return self.in_.__contains__
        expected = self.is_
        if isinstance(expected, bool):
            return lambda value: value is expected
        return lambda value: value == expected

    def words(self) -> str:
        if self.given:
            return "is recorded"
        if self.lists is not None:
            return f"lists {self.lists}"
        if self.in_:
            return "is " + " or ".join(self.in_)
        if self.is_ is True:
            return "holds"
        if self.is_ is False:
            return "fails"
        return f"is {self.is_}"

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of a record in which this test holds."""
        if self.given:
            leaf: dict[str, Any] = {"not": {"type": "null"}}
        elif self.lists is not None:
            leaf = {"type": "array", "contains": {"const": self.lists}}
        elif self.in_:
            leaf = {"enum": list(self.in_)}
        else:
            leaf = {"const": self.is_}
        section, _, name = self.path.partition(".")
        return {
            "required": [section],
            "properties": {
                section: {"type": "object", "required": [name], "properties": {name: leaf}}
            },
        }


@dataclass(frozen=True)
class Contradiction:
    """Facts that cannot all hold: every test established at once is an input error."""

    tests: tuple[Test, ...]
    why: str
    """Why they cannot hold together, in words."""

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.path for t in self.tests))

    def holds(self, values: Values) -> bool:
        return all(test.holds(values) for test in self.tests)

    def errors(self) -> list[FieldError]:
        """One error per field path involved, each naming the other paths."""
        out = []
        for test in self.tests:
            others = [f"{t.path} {t.words()}" for t in self.tests if t.path != test.path]
            out.append(
                FieldError(
                    test.path,
                    f"{test.words()} while {' and '.join(others)}: {self.why}",
                )
            )
        return out


def _is(path: str, value: object) -> Test:
    return Test(path, is_=value)


def _in(path: str, *values: str) -> Test:
    return Test(path, in_=values)


def _lists(path: str, value: str) -> Test:
    return Test(path, lists=value)


def _given(path: str) -> Test:
    return Test(path, given=True)


_NOT_WITH_SUPPORT = ("independently", "unable")
_LIST = "circumstances.ill_carer_relied_on_for"
_WALK = "travel.can_mobilise_safely"
_BUS = "travel.can_use_public_transport"
_WALK_HELP = "travel.mobilise_support_from_unpaid_carer"
_BUS_HELP = "travel.public_transport_support_from_unpaid_carer"
_CARER = "support_network.carer_able_and_willing"
_CARER_CAR = "support_network.carer_uses_own_car"

CONTRADICTIONS: tuple[Contradiction, ...] = (
    Contradiction(
        (_is("vehicles.motability", True), _is("vehicles.private_car", False)),
        "a Motability car is a private car",
    ),
    Contradiction(
        (_is("travel.needs_supervision", True), _is(_BUS, "independently")),
        "someone who needs supervision to travel cannot use public transport independently",
    ),
    Contradiction(
        (_is(_WALK_HELP, True), _in(_WALK, *_NOT_WITH_SUPPORT)),
        "the support is given only to someone who walks or wheels there with support",
    ),
    Contradiction(
        (_is(_BUS_HELP, True), _in(_BUS, *_NOT_WITH_SUPPORT)),
        "the support is given only to someone who uses public transport with support",
    ),
    Contradiction(
        (_given(_CARER_CAR), _is(_CARER, False)),
        "whose car an unpaid carer drives is recorded only when a carer is able and willing",
    ),
    Contradiction(
        (_is(_CARER_CAR, False), _is("vehicles.private_car", False)),
        "the carer drives the person's car, but the person has no car",
    ),
    Contradiction(
        (_is("benefits.standard_rate_mobility", True), _is("benefits.higher_rate_mobility", True)),
        "the standard and the higher rate of the mobility component are never paid together",
    ),
    Contradiction(
        (_given(_LIST), _in("circumstances.temporary_illness", "none", "person")),
        "what the ill carer usually gives is recorded only when a carer is temporarily ill",
    ),
    Contradiction(
        (_lists(_LIST, "walking"), _is(_WALK_HELP, False)),
        "the ill carer gives the support to walk or wheel, so that support is an unpaid carer's",
    ),
    Contradiction(
        (_lists(_LIST, "walking"), _in(_WALK, *_NOT_WITH_SUPPORT)),
        "the ill carer's support to walk or wheel is given only to someone who does so with "
        "support",
    ),
    Contradiction(
        (_lists(_LIST, "public_transport"), _is(_BUS_HELP, False)),
        "the ill carer gives the support on public transport, so that support is an unpaid carer's",
    ),
    Contradiction(
        (_lists(_LIST, "public_transport"), _in(_BUS, *_NOT_WITH_SUPPORT)),
        "the ill carer's support on public transport is given only to someone who uses it with "
        "support",
    ),
    Contradiction(
        (_lists(_LIST, "driving"), _is(_CARER, False)),
        "the ill carer usually drives them, so a carer is able and willing",
    ),
)
"""Every contradiction, in record field order of their first field."""


def contradictions(
    values: Values, table: tuple[Contradiction, ...] = CONTRADICTIONS
) -> list[Contradiction]:
    """The contradictions these values hold."""
    return [c for c in table if c.holds(values)]


_Check = tuple[tuple[str, str, Callable[[object], bool]], ...]
"""A contradiction's tests after its first, as (section, field, predicate of an established
value)."""


def _split(path: str) -> tuple[str, str]:
    section, _, name = path.partition(".")
    return section, name


def _compile(
    table: tuple[Contradiction, ...],
) -> Callable[[object], list[Contradiction]]:
    """The contradictions a validated record model holds, as one function made once per table.

    The entries are grouped by the field of their first test: a group whose field is unknown
    (the common case: most records leave most of these fields unknown or hold a value no entry
    tests) is passed over at one read, and an entry is tested only until its first test that
    fails. Each section's attributes are read once. The entries found are in table order."""
    sections = tuple(dict.fromkeys(_split(t.path)[0] for c in table for t in c.tests))
    groups: dict[tuple[str, str], list[tuple[int, Callable[[object], bool], _Check]]] = {}
    for index, c in enumerate(table):
        first, *rest = c.tests
        groups.setdefault(_split(first.path), []).append(
            (index, first.predicate(), tuple((*_split(t.path), t.predicate()) for t in rest))
        )
    plan = tuple((section, name, tuple(entries)) for (section, name), entries in groups.items())
    empty: dict[str, object] = {}

    def found(record: object) -> list[Contradiction]:
        attrs = record.__dict__
        parts: dict[str, dict[str, object]] = {}
        for name in sections:
            part = attrs.get(name)
            parts[name] = part.__dict__ if part is not None else empty
        hits: list[int] = []
        for section, name, entries in plan:
            first = parts[section].get(name)
            if first is None:
                continue
            for index, holds_first, rest in entries:
                if not holds_first(first):
                    continue
                for other_section, other, holds in rest:
                    value = parts[other_section].get(other)
                    if value is None or not holds(value):
                        break
                else:
                    hits.append(index)
        if not hits:
            return []
        return [table[i] for i in sorted(hits)]

    return found


model_contradictions = _compile(CONTRADICTIONS)
"""The contradictions a validated record model holds (:func:`contradictions` of its
:func:`values_of`, without building them): run on every record validated."""


def record_errors(record: object) -> list[FieldError]:
    """The field-path errors of every contradiction a validated record model holds (none:
    consistent)."""
    found = model_contradictions(record)
    if not found:  # the common case, on every record validated
        return []
    return list(dict.fromkeys(e for c in found for e in c.errors()))


def _part(data: object, key: str) -> object:
    if isinstance(data, Mapping):
        return data.get(key)
    return getattr(data, key, None)


def values_of(data: object) -> dict[str, object]:
    """The values the contradictions read, from a record (a model or a mapping)."""
    out: dict[str, object] = {}
    for section, leaves in _BY_SECTION:
        part = _part(data, section)
        for path, name in leaves:
            out[path] = _part(part, name) if part is not None else None
    return out


CONTRADICTION_PATHS: tuple[str, ...] = tuple(
    dict.fromkeys(p for c in CONTRADICTIONS for p in c.paths)
)
_BY_SECTION: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = tuple(
    (
        section,
        tuple((p, p.partition(".")[2]) for p in CONTRADICTION_PATHS if p.startswith(section + ".")),
    )
    for section in dict.fromkeys(p.partition(".")[0] for p in CONTRADICTION_PATHS)
)


def contradicted(values: Values, path: str) -> list[tuple[str, str]]:
    """The other fields whose established values contradict ``path``'s in ``values`` (a
    :func:`values_of` mapping), each with why they cannot hold together: the answers an
    interview clears when an answer to ``path`` is changed to contradict them."""
    return [
        (other, c.why)
        for c in CONTRADICTIONS
        if path in c.paths and c.holds(values)
        for other in c.paths
        if other != path
    ]


def schema_rules() -> list[dict[str, Any]]:
    """The contradictions as JSON Schema ``if``/``then`` pairs: if the first fact holds, the
    others must not all hold."""
    out = []
    for c in CONTRADICTIONS:
        first, *rest = c.tests
        rest_schema = rest[0].schema() if len(rest) == 1 else {"allOf": [t.schema() for t in rest]}
        out.append(
            {
                "description": f"{', '.join(c.paths)}: {c.why}",
                "if": first.schema(),
                "then": {"not": rest_schema},
            }
        )
    return out
