"""One component of the deciding rules, explored factorised (see ``docs/verification.md``).

A component is a set of deciding rules linked by the fields they read. Its *hub* fields are the
fields that two or more of its rules read; every other field of a rule is *private* to it. Once
the hub fields take a value (a *hub point*, unknown included), the rules read disjoint facts, so
they vary independently: the component's points are the hub points times the product of the
rules' private points, and every question about the component is answered by folding per-rule
data across the rules, for each hub point, instead of enumerating that product.

Per rule, a :class:`RuleTable` holds, for every combination of the classes of the fields the
rule reads (hub and private):

* the rule's state (:func:`.decision.precedence.rule_state`, through :func:`.space.state_of`) and
  the fields it would ask (the condition's own reading order);
* ``reach``: the rule summaries (holds, unknown, neither) its private completions can reach with
  its hub fields as they are;
* ``pairs``: for each open field and each answer to it, the pairs (summary before, summary after
  answering) over the private completions that keep the field open.

The component's summary at a point is the *join* of the rules' summaries (a rule holds, else one
is unknown, else neither), so reachable summaries and switching pairs combine across rules as
products of sets, and across the hub fields as a union over the hub point's completions.
"""

from __future__ import annotations

import functools
import itertools
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from ..decision.precedence import RuleState, RuleStatus, pending, rules_to_ask
from ..model.contradictions import contradictions
from ..rules.conditions import Reading
from ..rules.model import Rule
from .space import SUMMARY_HOLDS, SUMMARY_NONE, SUMMARY_UNKNOWN, Facts, Space, state_of

LETTERS = (SUMMARY_HOLDS, SUMMARY_UNKNOWN, SUMMARY_NONE)
"""Summaries in join order: a rule that holds wins, then one that is unknown."""
BIT = {SUMMARY_HOLDS: 1, SUMMARY_UNKNOWN: 2, SUMMARY_NONE: 4}
_INDEX = {s: k for k, s in enumerate(LETTERS)}

Point = tuple[int, ...]
"""A point of a component: a class index (0 = unknown) for each of its fields, in order."""

K = TypeVar("K", bound=Hashable)
S = TypeVar("S", bound=Hashable)


def letter(state: RuleState) -> str:
    if state.status is RuleStatus.HOLDS:
        return SUMMARY_HOLDS
    return SUMMARY_UNKNOWN if state.open else SUMMARY_NONE


def _pair_bit(before: int, after: int) -> int:
    return 1 << (3 * before + after)


H_SWITCH = sum(_pair_bit(b, a) for b in range(3) for a in range(3) if (b == 0) != (a == 0))
"""Pairs (before, after) where "a rule holds" switches."""
U_SWITCH = _pair_bit(1, 2) | _pair_bit(2, 1)
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
                out |= _pair_bit(min(x // 3, y // 3), min(x % 3, y % 3))
    return out


@cache
def diagonal(m: int) -> int:
    """The pairs of a part that does not change: (s, s) for each summary it can reach."""
    return sum(_pair_bit(k, k) for k in range(3) if m >> k & 1)


_KEPT = 100_000
"""Points whose reach is remembered (the question engine asks of many records in turn)."""


SWITCH_TRIES = 64
"""Hub points that show a switch tried for one made of consistent facts (:meth:`switching`)."""


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
        self.letters = [_INDEX[letter(s)] for s in self.states]
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
                    mask = _pair_bit(here, self.letters[t + a * self.strides[k]])
                    for j, c in children:
                        if j != k:
                            mask |= self.pairs[c][k][a - 1]
                    masks.append(mask)
                self.pairs[t][k] = masks

    def __len__(self) -> int:
        return len(self.states)

    def point(self, t: int) -> Point:
        return tuple((t // s) % n for s, n in zip(self.strides, self.sizes, strict=True))


@dataclass(frozen=True)
class At:
    """A component at one point: its summary, the fields the procedure asks of it (when it is
    asked at all) and whether its unknown alternatives are preferred (one is pending)."""

    summary: str
    asks: tuple[str, ...]
    preferred: bool


class Component:
    """The deciding rules linked by common fields, as hub fields and per-rule tables."""

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
        self._at: dict[Point, At] = {}
        self._reach: dict[Point, int] = {}
        self._flips: dict[tuple[Point, str], int] = {}
        self._first: dict[tuple[int, str | None, bool], Point | None] = {}
        self._all_offsets: dict[int, list[tuple[tuple[int, ...], int]]] = {}
        self._free: dict[tuple[Point, int], dict[tuple[int, bool], tuple[int, ...]]] = {}

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

    # -- the component at one point ------------------------------------------------------------

    def at(self, x: Point) -> At:
        """The summary, the fields asked and whether the alternatives are preferred, with the
        procedure's own :func:`.decision.precedence.rules_to_ask` and ``pending``."""
        found = self._at.get(x)
        if found is not None:
            return found
        where = self.indices(x)
        states = {t.rule.id: t.states[i] for t, i in zip(self.tables, where, strict=True)}
        summary = LETTERS[min(t.letters[i] for t, i in zip(self.tables, where, strict=True))]
        asks: tuple[str, ...] = ()
        preferred = False
        if summary == SUMMARY_UNKNOWN:
            unknown = [r for r in self.rules if states[r.id].open]
            asked = unknown
            if self.stage == "exclusion":
                asked = rules_to_ask(unknown, states)
                preferred = bool(pending(unknown, states))
            questions = {t.rule.id: t.questions[i] for t, i in zip(self.tables, where, strict=True)}
            asks = tuple(dict.fromkeys(q for r in asked for q in questions[r.id]))
        found = self._at[x] = At(summary, asks, preferred)
        return found

    def reach(self, x: Point) -> int:
        """The summaries (bits of :data:`BIT`) that answering the open facts of ``x`` can reach."""
        found = self._reach.get(x)
        if found is not None:
            return found
        privates = self.privates_of(x)
        own = [self.private_offset(j, priv) for j, priv in enumerate(privates)]
        out = 0
        for h in self.hub_completions(self.hub_of(x)):
            joined = 0
            for j, t in enumerate(self.tables):
                m = t.reach[self.hub_offset(j, h) + own[j]]
                joined = m if j == 0 else join_sets(joined, m)
            out |= joined
        if len(self._reach) >= _KEPT:
            self._reach.clear()
        self._reach[x] = out
        return out

    def flip_pairs(self, x: Point, field: str) -> int:
        """The pairs of component summaries (before, after) that answering ``field`` can give,
        over every answering of the other open facts of ``x``."""
        k = self.position[field]
        if x[k] != 0:
            return 0
        key = (x, field)
        found = self._flips.get(key)
        if found is not None:
            return found
        own = [self.private_offset(j, priv) for j, priv in enumerate(self.privates_of(x))]
        at = [t.fields.index(field) if field in t.fields else -1 for t in self.tables]
        out = 0
        for h in self.hub_completions(self.hub_of(x), keep=field):
            where = [self.hub_offset(j, h) + own[j] for j in range(len(own))]
            for a in range(self.sizes[k] - 1):
                joined = 0
                for j, (t, index) in enumerate(zip(self.tables, where, strict=True)):
                    m = t.pairs[index][at[j]][a] if at[j] >= 0 else diagonal(t.reach[index])
                    joined = m if j == 0 else join_pairs(joined, m)
                out |= joined
        if len(self._flips) >= _KEPT:
            self._flips.clear()
        self._flips[key] = out
        return out

    def flip(self, x: Point, field: str) -> tuple[bool, bool]:
        """Whether answering ``field`` can switch "a rule holds" (H), and whether it can switch
        "a rule is unknown" while none holds (U), for some answering of the other open facts."""
        pairs = self.flip_pairs(x, field)
        return bool(pairs & H_SWITCH), bool(pairs & U_SWITCH)

    # -- searches over the factorised points --------------------------------------------------

    def fold(
        self,
        h0: Point,
        contribute: Callable[[int, int, tuple[int, ...]], K | None],
        combine: Callable[[S | None, K], S | None],
        privates: Sequence[Sequence[tuple[int, ...]] | None] | None = None,
    ) -> dict[S, Point]:
        """Every state the rules can combine to at the hub point ``h0``, with a point showing it.

        Each rule contributes, at each of its private points (all, or ``privates[j]``), what
        ``contribute(j, index, private point)`` says (``None``: the point is left out); the
        distinct contributions are folded across the rules with ``combine`` (``None`` as the
        start, and as the result for a state that can be dropped). ``privates[j]`` may be
        ``None``: every private point of rule ``j``."""
        states: dict[S | None, tuple[tuple[int, ...], ...]] = {None: ()}
        for j in range(len(self.tables)):
            offset = self.hub_offset(j, h0)
            options: dict[K, tuple[int, ...]] = {}
            only = None if privates is None else privates[j]
            points = self._offsets(j) if only is None else self._offsets(j, only)
            for priv, own in points:
                key = contribute(j, offset + own, priv)
                if key is not None:
                    options.setdefault(key, priv)
            folded: dict[S | None, tuple[tuple[int, ...], ...]] = {}
            for state, witness in states.items():
                for key, priv in options.items():
                    new = combine(state, key)
                    if new is not None:
                        folded.setdefault(new, (*witness, priv))
            states = folded
            if not states:
                return {}
        return {s: self.assemble(h0, w) for s, w in states.items() if s is not None}

    def variants(self, fixed: Mapping[int, int] | None = None) -> dict[tuple[str, bool], Point]:
        """A point of each summary, with its alternatives preferred and not, among the points
        agreeing with ``fixed`` (component position → class)."""
        fixed = fixed or {}
        out: dict[tuple[str, bool], Point] = {}
        hub_choices = [
            (fixed[k],) if k in fixed else range(n)
            for k, n in zip(self.hub_pos, self.hub_sizes, strict=True)
        ]
        constrained = [
            j for j, where in enumerate(self._private) if any(k in fixed for k, _ in where)
        ]
        for h0 in itertools.product(*hub_choices):
            per_rule: list[dict[tuple[int, bool], tuple[int, ...]]] = []
            for j in range(len(self.tables)):
                if j in constrained:
                    where = self._private[j]
                    sizes = [self.sizes[k] for k, _ in where]
                    privs = itertools.product(
                        *(
                            (fixed[k],) if k in fixed else range(n)
                            for (k, _), n in zip(where, sizes, strict=True)
                        )
                    )
                    per_rule.append(self._summaries(j, h0, privs))
                else:
                    per_rule.append(self._free_summaries(j, h0))
            states: dict[tuple[int, bool], list[tuple[int, ...]]] = {(2, False): []}
            for options in per_rule:
                folded: dict[tuple[int, bool], list[tuple[int, ...]]] = {}
                for (s, p), witness in states.items():
                    for (s2, p2), priv in options.items():
                        folded.setdefault((min(s, s2), p or p2), [*witness, priv])
                states = folded
            for (s, p), witness in states.items():
                summary = LETTERS[s]
                out.setdefault(
                    (summary, p and summary == SUMMARY_UNKNOWN), self.assemble(h0, witness)
                )
        return out

    def _summaries(
        self, j: int, h0: Point, privs: Iterator[tuple[int, ...]] | list[tuple[int, ...]]
    ) -> dict[tuple[int, bool], tuple[int, ...]]:
        t, offset = self.tables[j], self.hub_offset(j, h0)
        out: dict[tuple[int, bool], tuple[int, ...]] = {}
        for priv in privs:
            index = offset + self.private_offset(j, priv)
            if t.consistent[index]:
                out.setdefault((t.letters[index], t.pend[index]), priv)
        return out

    def _free_summaries(self, j: int, h0: Point) -> dict[tuple[int, bool], tuple[int, ...]]:
        key = (h0, j)
        if key not in self._free:
            self._free[key] = self._summaries(j, h0, self.private_points(j))
        return self._free[key]

    def first(self, avoid: int, summary: str | None = None, calm: bool = False) -> Point | None:
        """A point (with ``summary``, if given; with its alternatives not preferred, if
        ``calm``) whose completions reach none of the summaries in the ``avoid`` bits."""
        key = (avoid, summary, calm)
        if key not in self._first:
            self._first[key] = self._search_first(avoid, summary, calm)
        return self._first[key]

    def _search_first(self, avoid: int, summary: str | None, calm: bool) -> Point | None:
        for h0 in self.hub_points():
            hs = self.hub_completions(h0)

            shifts = [
                [self.hub_offset(j, h) - self.hub_offset(j, h0) for h in hs]
                for j in range(len(self.tables))
            ]

            def contribute(
                j: int, index: int, priv: tuple[int, ...], shifts: list[list[int]] = shifts
            ) -> tuple[int, bool, tuple[int, ...]] | None:
                t = self.tables[j]
                if not t.consistent[index]:
                    return None
                reach = tuple(t.reach[index + d] for d in shifts[j])
                return t.letters[index], t.pend[index], reach

            def combine(
                state: tuple[int, bool, tuple[int, ...]] | None,
                key: tuple[int, bool, tuple[int, ...]],
            ) -> tuple[int, bool, tuple[int, ...]] | None:
                if state is None:
                    new = key
                else:
                    new = (
                        min(state[0], key[0]),
                        state[1] or key[1],
                        tuple(join_sets(a, b) for a, b in zip(state[2], key[2], strict=True)),
                    )
                if summary == SUMMARY_UNKNOWN and new[0] == 0:
                    return None  # holds already: stays so
                return new

            for (s, pend, reach), x in self.fold(h0, contribute, combine).items():
                letter_ = LETTERS[s]
                preferred = pend and letter_ == SUMMARY_UNKNOWN
                reached = 0
                for m in reach:
                    reached |= m
                if (
                    (summary is None or letter_ == summary)
                    and not (calm and preferred)
                    and not reached & avoid
                ):
                    return x
        return None

    def completion(self, x: Point, allowed: Sequence[str], keep: str | None = None) -> Point | None:
        """A point answering some of the open facts of ``x`` (not ``keep``) with a summary in
        ``allowed``."""
        wanted = {_INDEX[s] for s in allowed}
        privates = [self.private_points(j, x) for j in range(len(self.tables))]
        if keep is not None and keep in self.owner:
            j, k = self.owner[keep], self.position[keep]
            where = [kk for kk, _ in self._private[j]]
            privates[j] = [p for p in privates[j] if p[where.index(k)] == 0]
        for h in self.hub_completions(self.hub_of(x), keep=keep):

            def contribute(j: int, index: int, priv: tuple[int, ...]) -> int | None:
                t = self.tables[j]
                return t.letters[index] if t.consistent[index] else None

            def combine(state: int | None, key: int) -> int:
                return key if state is None else min(state, key)

            found = self.fold(h, contribute, combine, privates)
            for s, y in found.items():
                if s in wanted:
                    return y
        return None

    def switching(self, x: Point, field: str, switch: int) -> tuple[Point, int] | None:
        """A completion ``y`` of ``x`` (``field`` left open) and an answer (class) to ``field``
        for which the component's summary switches as the ``switch`` pairs say: one whose facts,
        before and after the answer, hold no contradiction where one is found among the first
        :data:`SWITCH_TRIES` that switch, else the first that switches."""
        k = self.position[field]
        privates = [self.private_points(j, x) for j in range(len(self.tables))]
        if field in self.owner:
            j0 = self.owner[field]
            where = [kk for kk, _ in self._private[j0]]
            privates[j0] = [p for p in privates[j0] if p[where.index(k)] == 0]
        fallback: tuple[Point, int] | None = None
        tries = SWITCH_TRIES
        for h in self.hub_completions(self.hub_of(x), keep=field):
            for a in range(1, self.sizes[k]):
                answered = tuple(a if p == field else c for p, c in zip(self.hubs, h, strict=True))

                def contribute(
                    j: int,
                    index: int,
                    priv: tuple[int, ...],
                    a: int = a,
                    answered: Point = answered,
                    strict: bool = False,
                ) -> int | None:
                    t = self.tables[j]
                    if field in self.hubs and field in t.fields:
                        after = self.hub_offset(j, answered) + self.private_offset(j, priv)
                    elif field in t.fields:
                        after = index + a * t.strides[t.fields.index(field)]
                    else:
                        after = index
                    if strict and not (t.consistent[index] and t.consistent[after]):
                        return None
                    return _pair_bit(t.letters[index], t.letters[after])

                def combine(state: int | None, key: int) -> int:
                    return key if state is None else join_pairs(state, key)

                found = next(
                    (
                        y
                        for pairs, y in self.fold(h, contribute, combine, privates).items()
                        if pairs & switch
                    ),
                    None,
                )
                if found is None:
                    continue
                fallback = fallback or (found, a)
                strict = functools.partial(contribute, strict=True)
                for pairs, y in self.fold(h, strict, combine, privates).items():
                    if pairs & switch:
                        return y, a
                tries -= 1
                if tries == 0:
                    return fallback
        return fallback
