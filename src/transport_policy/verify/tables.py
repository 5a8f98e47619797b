"""The tables a component is explored through (see :mod:`.component`, ``docs/verification.md``).

Per rule, a :class:`RuleTable` holds, for every combination of the classes of the fields the
rule reads (hub and private):

* the rule's state (:func:`.decision.precedence.rule_state`, through :func:`.space.state_of`) and
  the fields it would ask (the condition's own reading order);
* ``reach``: the rule summaries (holds, unknown, neither) its private completions can reach with
  its hub fields as they are;
* ``pairs``: for each open field and each answer to it, the pairs (summary before, summary after
  answering) over the private completions that keep the field open.

Summaries and sets of them are small integers here, and joining two independent parts' sets
(:func:`join_sets`, :func:`join_pairs`) is what folding across the rules does.
:class:`ComponentTables` lays a component out: its fields, hub fields and per-rule tables, and
where a point of the component falls in each rule's table.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from functools import cache

from ..decision.precedence import RuleState, RuleStatus, pending
from ..model.contradictions import contradictions
from ..rules.conditions import Reading
from ..rules.model import Rule
from .space import SUMMARY_HOLDS, SUMMARY_NONE, SUMMARY_UNKNOWN, Facts, Space, state_of

LETTERS = (SUMMARY_HOLDS, SUMMARY_UNKNOWN, SUMMARY_NONE)
"""Summaries in join order: a rule that holds wins, then one that is unknown."""
BIT = {SUMMARY_HOLDS: 1, SUMMARY_UNKNOWN: 2, SUMMARY_NONE: 4}
LETTER_INDEX = {s: k for k, s in enumerate(LETTERS)}
"""A summary's place in :data:`LETTERS` (0 holds, 1 unknown, 2 neither)."""

Point = tuple[int, ...]
"""A point of a component: a class index (0 = unknown) for each of its fields, in order."""


def letter(state: RuleState) -> str:
    if state.status is RuleStatus.HOLDS:
        return SUMMARY_HOLDS
    return SUMMARY_UNKNOWN if state.open else SUMMARY_NONE


def pair_bit(before: int, after: int) -> int:
    return 1 << (3 * before + after)


H_SWITCH = sum(pair_bit(b, a) for b in range(3) for a in range(3) if (b == 0) != (a == 0))
"""Pairs (before, after) where "a rule holds" switches."""
U_SWITCH = pair_bit(1, 2) | pair_bit(2, 1)
"""Pairs where neither holds and "a rule is unknown" switches."""


@cache
def join_sets(m1: int, m2: int) -> int:
    """The summaries of two independent parts joined (sets as bits of :data:`BIT`)."""
    out = 0
    for i in range(3):
        for j in range(3):
            if m1 >> i & 1 and m2 >> j & 1:
                out |= 1 << min(i, j)
    return out


@cache
def join_pairs(m1: int, m2: int) -> int:
    """Pairs (before, after) of two independent parts joined (9 bits: 3 * before + after)."""
    out = 0
    for x in range(9):
        if not m1 >> x & 1:
            continue
        for y in range(9):
            if m2 >> y & 1:
                out |= pair_bit(min(x // 3, y // 3), min(x % 3, y % 3))
    return out


@cache
def diagonal(m: int) -> int:
    """The pairs of a part that does not change: (s, s) for each summary it can reach."""
    return sum(pair_bit(k, k) for k in range(3) if m >> k & 1)


def _product(sizes: Sequence[int]) -> int:
    out = 1
    for n in sizes:
        out *= n
    return out


class RuleTable:
    """One rule at every combination of the classes of the fields it reads."""

    def __init__(self, space: Space, rule: Rule, hubs: set[str]) -> None:
        self.rule = rule
        self.fields = space.fields(rule)
        self.sizes = tuple(len(space.classes[p]) for p in self.fields)
        strides = [1] * len(self.sizes)
        for k in range(len(self.sizes) - 2, -1, -1):
            strides[k] = strides[k + 1] * self.sizes[k + 1]
        self.strides = tuple(strides)
        self.private = tuple(k for k, p in enumerate(self.fields) if p not in hubs)
        self.states: list[RuleState] = []
        self.questions: list[tuple[str, ...]] = []
        self.consistent: list[bool] = []
        """Per index: whether the rule's facts there can be recorded together (no contradiction
        among them, :mod:`..model.contradictions`); witnesses are made of consistent points."""
        for combo in itertools.product(*(range(n) for n in self.sizes)):
            recorded = {p: space.classes[p][c] for p, c in zip(self.fields, combo, strict=True)}
            self.consistent.append(not contradictions(recorded))
            facts = space.read(recorded)
            state = state_of(rule, facts, space.policy.unknown_if_false)
            unknown = state.open
            self.states.append(state)
            self.questions.append(
                tuple(Reading(facts).questions(rule.effective)) if unknown else ()
            )
        self.letters = [LETTER_INDEX[letter(s)] for s in self.states]
        """The rule's summary at each index (0 holds, 1 unknown, 2 neither)."""
        self.pend = [bool(pending([rule], {rule.id: s})) for s in self.states]
        n = len(self.states)
        points = [self.point(t) for t in range(n)]
        order = sorted(range(n), key=lambda t: sum(points[t][k] == 0 for k in self.private))
        self.reach = [0] * n
        self.pairs: list[dict[int, list[int]]] = [{} for _ in range(n)]
        """Per index: for each open field (position), per answer (class - 1), the pairs."""
        for t in order:
            point = points[t]
            children = [
                (k, t + a * self.strides[k])
                for k in self.private
                if point[k] == 0
                for a in range(1, self.sizes[k])
            ]
            reach = 1 << self.letters[t]
            for _, c in children:
                reach |= self.reach[c]
            self.reach[t] = reach
            here = self.letters[t]
            for k, p in enumerate(point):
                if p != 0:
                    continue
                masks = []
                for a in range(1, self.sizes[k]):
                    mask = pair_bit(here, self.letters[t + a * self.strides[k]])
                    for j, c in children:
                        if j != k:
                            mask |= self.pairs[c][k][a - 1]
                    masks.append(mask)
                self.pairs[t][k] = masks

    def __len__(self) -> int:
        return len(self.states)

    def point(self, t: int) -> Point:
        return tuple((t // s) % n for s, n in zip(self.strides, self.sizes, strict=True))


class ComponentTables:
    """A component's layout: its fields, hub fields and per-rule tables, and the arithmetic from
    a point of the component to each rule's index in its table."""

    def __init__(self, space: Space, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        self.stage = rules[0].kind
        self.fields = tuple(dict.fromkeys(p for r in rules for p in space.fields(r)))
        self.position = {p: k for k, p in enumerate(self.fields)}
        self.domains = tuple(space.classes[p] for p in self.fields)
        self.sizes = tuple(len(d) for d in self.domains)
        counts = Counter(p for r in rules for p in space.fields(r))
        self.hubs = tuple(p for p in self.fields if counts[p] > 1)
        self.hub_pos = tuple(self.position[p] for p in self.hubs)
        self.hub_sizes = tuple(self.sizes[k] for k in self.hub_pos)
        self.tables = [RuleTable(space, r, set(self.hubs)) for r in rules]
        # where each rule's fields lie: hub strides (per hub, 0 when the rule does not read it)
        # and, for its private fields, (component position, stride)
        self._hub_strides = [
            tuple(t.strides[t.fields.index(p)] if p in t.fields else 0 for p in self.hubs)
            for t in self.tables
        ]
        self._private = [
            tuple((self.position[t.fields[k]], t.strides[k]) for k in t.private)
            for t in self.tables
        ]
        self.owner = {t.fields[k]: j for j, t in enumerate(self.tables) for k in t.private}
        """The rule (table number) each private field belongs to."""
        self._all_offsets: dict[int, list[tuple[tuple[int, ...], int]]] = {}

    # -- sizes ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        """The number of points the component stands for (the product of its fields' classes)."""
        return _product(self.sizes)

    @property
    def entries(self) -> int:
        """The entries of the per-rule tables actually built."""
        return sum(len(t) for t in self.tables)

    @property
    def hub_count(self) -> int:
        return _product(self.hub_sizes)

    # -- points --------------------------------------------------------------------------------

    def hub_points(self) -> Iterator[Point]:
        return itertools.product(*(range(n) for n in self.hub_sizes))

    def hub_of(self, x: Point) -> Point:
        return tuple(x[k] for k in self.hub_pos)

    def hub_completions(self, h0: Point, keep: str | None = None) -> list[Point]:
        """Every hub point answering some (or none) of the open hub fields of ``h0``, leaving
        ``keep`` open; ``h0`` itself first."""
        choices = [
            range(n) if c == 0 and p != keep else (c,)
            for p, c, n in zip(self.hubs, h0, self.hub_sizes, strict=True)
        ]
        return list(itertools.product(*choices))

    def hub_offset(self, j: int, h: Point) -> int:
        return sum(c * s for c, s in zip(h, self._hub_strides[j], strict=True))

    def private_points(self, j: int, within: Point | None = None) -> list[tuple[int, ...]]:
        """The private points of rule ``j`` (those completing ``within``'s, if given)."""
        sizes = [self.sizes[k] for k, _ in self._private[j]]
        if within is None:
            return list(itertools.product(*(range(n) for n in sizes)))
        own = [within[k] for k, _ in self._private[j]]
        return list(
            itertools.product(
                *(range(n) if c == 0 else (c,) for c, n in zip(own, sizes, strict=True))
            )
        )

    def _offsets(
        self, j: int, privates: Sequence[tuple[int, ...]] | None = None
    ) -> list[tuple[tuple[int, ...], int]]:
        """Private points of rule ``j`` (all, or ``privates``) with their offsets in its table."""
        if privates is not None:
            return [(p, self.private_offset(j, p)) for p in privates]
        found = self._all_offsets.get(j)
        if found is None:
            found = self._all_offsets[j] = [
                (p, self.private_offset(j, p)) for p in self.private_points(j)
            ]
        return found

    def private_offset(self, j: int, priv: Sequence[int]) -> int:
        return sum(c * s for c, (_, s) in zip(priv, self._private[j], strict=True))

    def privates_of(self, x: Point) -> list[tuple[int, ...]]:
        return [tuple(x[k] for k, _ in where) for where in self._private]

    def indices(self, x: Point, h: Point | None = None) -> list[int]:
        """Each rule's index in its table at ``x`` (with the hub point ``h``, if given)."""
        hub = self.hub_of(x) if h is None else h
        return [
            self.hub_offset(j, hub) + self.private_offset(j, priv)
            for j, priv in enumerate(self.privates_of(x))
        ]

    def assemble(self, h: Point, privates: Sequence[Sequence[int]]) -> Point:
        point = [0] * len(self.fields)
        for k, c in zip(self.hub_pos, h, strict=True):
            point[k] = c
        for where, priv in zip(self._private, privates, strict=True):
            for (k, _), c in zip(where, priv, strict=True):
                point[k] = c
        return tuple(point)

    def facts(self, x: Point) -> Facts:
        return {p: d[c] for p, d, c in zip(self.fields, self.domains, x, strict=True)}

    def point_of(self, space: Space, facts: Mapping[str, object]) -> Point:
        """The point of a record's facts (as the rules read them)."""
        return tuple(space.class_index(p, facts.get(p)) for p in self.fields)
