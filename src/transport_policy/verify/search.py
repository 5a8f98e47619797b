"""Searches over a component's factorised points, for ``rules check`` and the question check.

A component's points are never listed: for each hub point, every rule contributes what it can
be at its private points, and the distinct contributions are folded rule by rule
(:meth:`ComponentSearch.fold`), keeping one point showing each combined state. On that fold stand
the searches for a point of each summary (:meth:`~ComponentSearch.variants`), for one whose
completions avoid some summaries (:meth:`~ComponentSearch.first`), for a completion with an
allowed summary (:meth:`~ComponentSearch.completion`) and for one at which answering a field
switches the summary (:meth:`~ComponentSearch.switching`). Witnesses are made of consistent
facts (no contradiction among a rule's facts) where one is found.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import TypeVar

from ..rules.model import Rule
from .space import SUMMARY_UNKNOWN, Space
from .tables import LETTER_INDEX, LETTERS, ComponentTables, Point, join_pairs, join_sets, pair_bit

K = TypeVar("K", bound=Hashable)
S = TypeVar("S", bound=Hashable)

SWITCH_TRIES = 64
"""Hub points that show a switch tried for one made of consistent facts (:meth:`switching`)."""


class ComponentSearch(ComponentTables):
    """A component's tables with the searches over its factorised points."""

    def __init__(self, space: Space, rules: Sequence[Rule]) -> None:
        super().__init__(space, rules)
        self._first: dict[tuple[int, str | None, bool], Point | None] = {}
        self._free: dict[tuple[Point, int], dict[tuple[int, bool], tuple[int, ...]]] = {}

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
        wanted = {LETTER_INDEX[s] for s in allowed}
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
                    return pair_bit(t.letters[index], t.letters[after])

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
