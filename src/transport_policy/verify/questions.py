"""Questions ``rules check`` proves worth asking (``docs/verification.md``, "Questions").

At a ``needs_information`` record, a field it asks is *useful* when there is some way of
answering the record's other open facts (any of them, or none) for which answering the field,
with some answer, gives a different recommendation from leaving it open. (The procedure asks in
the policy's reading order, so one round of answers may only lead to the next questions: the
test looks at every later round too.)

Answering only changes the component the field belongs to; by the procedure's precedence
(:mod:`.model`) that changes the outcome exactly when

* some answer turns "a rule of the component holds" on or off (H), or
* some answer turns "a rule is unknown" on or off while none holds (U), and every other component
  of the stage can still be ruled out by answering its open facts, and (for scope) the
  alternatives can then decide.

Both are read from the component's per-rule tables (:mod:`.component`): the rules of a component
are independent once its hub fields are set, so the pairs (summary before, summary after) that
answering the field can give combine across the rules as a product, and across the hub fields as
a union over the completions of the hub point. The records searched are found the same way: for
each hub point, the rules' private points are folded rule by rule, keeping one point for each
distinct combined state (summary, preferred, asked, the pairs per completion of the hub point),
so that every point of the component is covered without enumerating their product.

Which fields are asked follows the procedure (:meth:`.model.Model.asked`): at a point where
a component's unknown alternatives are *preferred* (one is established but for its defeater) its
fields are asked whatever the other components are; at any other point only while no other
component's alternatives are preferred, so the other components are then kept to such ("calm")
points when looking for a record at which the field is asked and cannot matter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache

from .component import BIT, Component, diagonal
from .model import NON_HOLDING, Model, _first
from .space import SUMMARY_HOLDS, SUMMARY_NONE, SUMMARY_UNKNOWN, Facts

_BIT = BIT

Point = tuple[int, ...]
_Asked = tuple[int, bool, bool, bool, int, int]
"""Folded over rules: summary, preferred, asked if preferred, asked if not, and the "every
rule" and "some rule" flags of every entry (:func:`_flags`)."""

_H, _U, _N = 0, 1, 2


def _has(mask: int, test: Callable[[int, int], bool]) -> bool:
    return any(mask >> (3 * b + a) & 1 for b in range(3) for a in range(3) if test(b, a))


@cache
def _flags(mask: int) -> tuple[int, int]:
    """The pairs (before, after) one rule can give, as the flags that fold across rules.

    The component's pair is the join of the rules' pairs. "A rule holds" switches on exactly
    when every rule can give a pair not holding before (flag 1 of "every") and some rule a pair
    not holding before and holding after (flag 1 of "some"); off likewise (flag 2); "a rule is
    unknown" switches off while none holds when every rule can give a pair not holding before
    and neither after (flag 4) and some rule unknown before and neither after; on likewise
    (flag 8)."""
    every = (
        _has(mask, lambda b, a: b != _H)
        | _has(mask, lambda b, a: a != _H) << 1
        | _has(mask, lambda b, a: b != _H and a == _N) << 2
        | _has(mask, lambda b, a: b == _N and a != _H) << 3
    )
    some = (
        _has(mask, lambda b, a: b != _H and a == _H)
        | _has(mask, lambda b, a: b == _H and a != _H) << 1
        | _has(mask, lambda b, a: b == _U and a == _N) << 2
        | _has(mask, lambda b, a: b == _N and a == _U) << 3
    )
    return int(every), int(some)


_H_FLAGS = 0b0011
"""The flags of an entry that show "a rule holds" switching."""


def _entry_flags(t: Component, field: str, answers: int) -> tuple[list[list[int]], list[list[int]]]:
    """Per rule of ``t`` and index of its table: the "every" and "some" flags (:func:`_flags`)
    of each answer to ``field``, packed four bits per answer."""
    every: list[list[int]] = []
    some: list[list[int]] = []
    for r in t.tables:
        at = r.fields.index(field) if field in r.fields else -1
        e_list, s_list = [], []
        for index in range(len(r)):
            e = s_ = 0
            for a in range(answers):
                m = r.pairs[index][at][a] if at >= 0 and at in r.pairs[index] else 0
                if at < 0:
                    m = diagonal(r.reach[index])
                fe, fs = _flags(m)
                e |= fe << (4 * a)
                s_ |= fs << (4 * a)
            e_list.append(e)
            s_list.append(s_)
        every.append(e_list)
        some.append(s_list)
    return every, some


def _leaving_open(t: Component, field: str) -> list[list[tuple[int, ...]] | None] | None:
    """The private points to search of each rule of ``t`` (``None``: all of them): those of the
    rule reading ``field`` privately that leave it open (``None`` for a hub field)."""
    owner = t.owner.get(field)
    if owner is None:
        return None
    k = t.position[field]
    where = [kk for kk, _ in t._private[owner]]
    privates: list[list[tuple[int, ...]] | None] = [None] * len(t.tables)
    privates[owner] = [p for p in t.private_points(owner) if p[where.index(k)] == 0]
    return privates


def _combine_asked(state: _Asked | None, key: _Asked) -> _Asked | None:
    """Two parts' :data:`_Asked` states folded together; ``None`` once a rule holds."""
    if state is None:
        new = key
    else:
        new = (
            min(state[0], key[0]),
            state[1] or key[1],
            state[2] or key[2],
            state[3] or key[3],
            state[4] & key[4],
            state[5] | key[5],
        )
    return None if new[0] == 0 else new


class QuestionChecks:
    def __init__(self, model: Model) -> None:
        self.model = model

    def _option(self, i: int, allowed: tuple[str, ...], calm: bool = False) -> Point | None:
        options = (self.model.calm_options if calm else self.model.all_options)[i]
        found = _first(options, allowed)
        return options[found] if found is not None else None

    def _quiet(self, i: int, preferred: bool) -> Point | None:
        """A point of table ``i`` with an unknown rule but nothing to ask (preferred or not)."""
        t = self.model.tables[i]
        Quiet = tuple[int, bool, bool, bool]

        def contribute(j: int, index: int, priv: tuple[int, ...]) -> Quiet | None:
            r = t.tables[j]
            if not r.consistent[index]:
                return None
            asks = bool(r.questions[index])
            return r.letters[index], r.pend[index], asks and r.pend[index], asks

        def combine(state: Quiet | None, key: Quiet) -> Quiet | None:
            new = (
                key
                if state is None
                else (
                    min(state[0], key[0]),
                    state[1] or key[1],
                    state[2] or key[2],
                    state[3] or key[3],
                )
            )
            return None if new[0] == 0 else new

        for h0 in t.hub_points():
            for x in t.fold(h0, contribute, combine).values():
                at = t.at(x)
                if at.summary == SUMMARY_UNKNOWN and not at.asks and at.preferred == preferred:
                    return x
        return None

    def _stage_base(self, stage: list[int], calm: bool) -> list[Point | None]:
        """Points keeping every table of the stage from holding (with its alternatives not
        preferred, if ``calm``) and the scope settled."""
        m = self.model
        picks: list[Point | None] = [next(iter(o.values())) for o in m.all_options]
        for i in stage:
            picks[i] = self._option(i, NON_HOLDING, calm)
        if stage is m.excl:
            for i in m.scope:
                picks[i] = self._option(i, (SUMMARY_NONE,))
        return picks

    def _context(self, stage: list[int], i: int, flip_u: bool, calm: bool) -> list[Point] | None:
        """Points of the other tables keeping the outcome put whatever the field's answer (and,
        if ``calm``, leaving the field asked: no other alternatives preferred)."""
        m = self.model
        picks = self._stage_base(stage, calm)
        if flip_u:
            # another table of the stage that can never be ruled out ...
            stuck = {
                j: m.tables[j].first(_BIT[SUMMARY_NONE], SUMMARY_UNKNOWN, calm)
                for j in stage
                if j != i
            }
            j = next((j for j, x in stuck.items() if x is not None), None)
            if j is not None:
                picks[j] = stuck[j]
            elif stage is m.scope and m.excl:
                # ... or alternatives that stay undecided whatever the open facts
                never_h = {j: m.tables[j].first(_BIT[SUMMARY_HOLDS]) for j in m.excl}
                never = {
                    j: m.tables[j].first(_BIT[SUMMARY_HOLDS] | _BIT[SUMMARY_NONE]) for j in m.excl
                }
                k = next((j for j, x in never.items() if x is not None), None)
                if k is None or any(x is None for x in never_h.values()):
                    return None
                for j in m.excl:
                    picks[j] = never[j] if j == k else never_h[j]
            else:
                return None
        if any(p is None for j, p in enumerate(picks) if j != i):
            return None
        return [p if p is not None else () for p in picks]

    def _asked_in_vain(self, i: int, field: str) -> Iterator[tuple[Point, bool, bool]]:
        """Points of table ``i`` where ``field`` is asked and no answer to it can switch "a rule
        holds", however the other open facts are answered: each with whether it can switch "a
        rule is unknown" and whether the alternatives are preferred (one per distinct state).

        Each completion of the hub point and answer to the field is one *entry*; per entry, a
        rule's pairs (summary before, after) are read as four "every rule can" and four "some
        rule can" flags (:func:`_flags`), so that across the rules they fold by ``&`` and ``|``
        over all entries at once (packed into one integer each)."""
        t = self.model.tables[i]
        answers = t.sizes[t.position[field]] - 1
        width = 4 * answers
        every, some = _entry_flags(t, field, answers)
        privates = _leaving_open(t, field)
        for h0 in t.hub_points():
            if field in t.hubs and h0[t.hubs.index(field)] != 0:
                continue
            hs = t.hub_completions(h0, keep=field)
            h_mask = _H_FLAGS * sum(1 << (4 * e) for e in range(len(hs) * answers))

            # each rule's index at each completion of the hub point, less its private offset
            shifts = [
                [(n * width, t.hub_offset(j, h) - t.hub_offset(j, h0)) for n, h in enumerate(hs)]
                for j in range(len(t.tables))
            ]

            def contribute(
                j: int,
                index: int,
                priv: tuple[int, ...],
                shifts: list[list[tuple[int, int]]] = shifts,
            ) -> _Asked | None:
                r = t.tables[j]
                if not r.consistent[index]:
                    return None
                asks = field in r.questions[index]
                e_j, s_j = every[j], some[j]
                e = s_ = 0
                for at, d in shifts[j]:
                    e |= e_j[index + d] << at
                    s_ |= s_j[index + d] << at
                pend = r.pend[index]
                return r.letters[index], pend, asks and pend, asks, e, s_

            for (_, pend, asked_p, asked_a, e, s_), x in t.fold(
                h0, contribute, _combine_asked, privates
            ).items():
                if not (asked_p if pend else asked_a) or e & s_ & h_mask:
                    continue
                here = t.at(x)
                flip_h, flip_u = t.flip(x, field)
                if here.summary == SUMMARY_UNKNOWN and field in here.asks and not flip_h:
                    yield x, flip_u, here.preferred

    def pointless(self) -> list[tuple[str, Facts]]:
        """For each field that can be asked without its answer ever mattering: a record."""
        m = self.model
        found: list[tuple[str, Facts]] = []
        reported: set[str] = set()
        for stage in (m.scope, m.excl):
            for i in stage:
                t = m.tables[i]
                for field in t.fields:
                    if field in reported:
                        continue
                    tried: set[tuple[bool, bool]] = set()
                    for x, flip_u, preferred in self._asked_in_vain(i, field):
                        if (flip_u, preferred) in tried:
                            continue
                        tried.add((flip_u, preferred))
                        picks = self._context(stage, i, flip_u, calm=not preferred)
                        if picks is None:
                            continue
                        picks[i] = x
                        found.append((field, m.merge(picks)))
                        reported.add(field)
                        break
        return found

    def silent(self) -> Facts | None:
        """A record recommended needs_information with nothing to ask, if there is one: a table
        with nothing to ask, and every other one of the stage ruled out or not asked (another
        table with nothing to ask; for preferred alternatives, one not preferred)."""
        m = self.model
        for stage in (m.scope, m.excl):
            for preferred in (False, True):
                quiet = {i: self._quiet(i, preferred) for i in stage}
                for i in stage:
                    if quiet[i] is None:
                        continue
                    picks = self._stage_base(stage, calm=True)
                    for j in stage:
                        settled = self._option(j, (SUMMARY_NONE,))
                        if j == i:
                            picks[j] = quiet[i]
                        elif settled is not None:
                            picks[j] = settled
                        elif picks[j] is None or not preferred:
                            picks[j] = self._quiet(j, preferred)
                    if all(p is not None for p in picks):
                        return m.merge([p for p in picks if p is not None])
        return None
