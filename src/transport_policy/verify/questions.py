"""Questions ``rules check`` proves worth asking (``docs/verification.md``, "Questions").

At a ``needs_information`` record, a field it asks is *useful* when there is some way of
answering the record's other open facts (any of them, or none) for which answering the field,
with some answer, gives a different recommendation from leaving it open. (The procedure asks in
the policy's reading order, so one round of answers may only lead to the next questions: the
test looks at every later round too.)

Answering only changes the component the field belongs to; by the procedure's precedence
(:mod:`.verify_model`) that changes the outcome exactly when

* some answer turns "a rule of the component holds" on or off (H), or
* some answer turns "a rule is unknown" on or off while none holds (U), and every other component
  of the stage can still be ruled out by answering its open facts, and (for scope) the
  alternatives can then decide.

Both are computed for every point of every component by a pass over the points in order of how
many facts are open (a point's completions are itself and its children's completions).

Which fields are asked follows the procedure (:meth:`.verify_model.Model.asked`): at a point where
a component's unknown alternatives are *preferred* (one is established but for its defeater) its
fields are asked whatever the other components are; at any other point only while no other
component's alternatives are preferred, so the other components are then kept to such ("calm")
points when looking for a record at which the field is asked and cannot matter.
"""

from __future__ import annotations

from .model import NON_HOLDING, Model, _first
from .space import SUMMARY_HOLDS, SUMMARY_NONE, SUMMARY_UNKNOWN, Facts, Table

_BIT = {SUMMARY_HOLDS: 1, SUMMARY_UNKNOWN: 2, SUMMARY_NONE: 4}


class Cone:
    """For every point of a table: what completing its open facts can reach."""

    def __init__(self, t: Table) -> None:
        self.table = t
        n = len(t)
        open_of = [[k for k, c in enumerate(t.point(x)) if c == 0] for x in range(n)]
        order = sorted(range(n), key=lambda x: len(open_of[x]))
        self.reach = [0] * n  # summaries reachable (bits of _BIT)
        self.flips = [0] * n  # per field k: bit 2k = H can switch, bit 2k+1 = U can switch
        summary = t.summary
        for x in order:
            reach = _BIT[summary[x]]
            flips = 0
            for k in open_of[x]:
                s = t.strides[k]
                for a in range(1, t.sizes[k]):
                    y = x + a * s
                    reach |= self.reach[y]
                    flips |= self.flips[y]
                    here, there = summary[x], summary[y]
                    if (here == SUMMARY_HOLDS) != (there == SUMMARY_HOLDS):
                        flips |= 1 << (2 * k)
                    elif here != SUMMARY_HOLDS and there != SUMMARY_HOLDS and here != there:
                        flips |= 1 << (2 * k + 1)
            self.reach[x] = reach
            self.flips[x] = flips

    def flip(self, x: int, field: str) -> tuple[bool, bool]:
        k = self.table.position[field]
        return bool(self.flips[x] >> (2 * k) & 1), bool(self.flips[x] >> (2 * k + 1) & 1)

    def first(
        self, test: int, unless: int = 0, summary: str | None = None, calm: bool = False
    ) -> int | None:
        """The first point (with ``summary``, if given; with its alternatives not preferred, if
        ``calm``) whose completions reach every summary in the ``test`` bits and none in the
        ``unless`` bits."""
        t = self.table
        for x, reach in enumerate(self.reach):
            if (
                (summary is None or t.summary[x] == summary)
                and not (calm and t.preferred[x])
                and reach & test == test
                and not reach & unless
            ):
                return x
        return None


class QuestionChecks:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.cones = {i: Cone(t) for i, t in enumerate(model.tables)}

    def _option(self, i: int, allowed: tuple[str, ...], calm: bool = False) -> int | None:
        options = (self.model.calm_options if calm else self.model.all_options)[i]
        found = _first(options, allowed)
        return options[found] if found is not None else None

    def _quiet(self, i: int, preferred: bool) -> int | None:
        """A point of table ``i`` with an unknown rule but nothing to ask (preferred or not)."""
        t = self.model.tables[i]
        return next(
            (
                x
                for x, (s, a, p) in enumerate(zip(t.summary, t.asks, t.preferred, strict=True))
                if s == SUMMARY_UNKNOWN and not a and p == preferred
            ),
            None,
        )

    def _stage_base(self, stage: list[int], calm: bool) -> list[int | None]:
        """Points keeping every table of the stage from holding (with its alternatives not
        preferred, if ``calm``) and the scope settled."""
        m = self.model
        picks: list[int | None] = [next(iter(o.values())) for o in m.all_options]
        for i in stage:
            picks[i] = self._option(i, NON_HOLDING, calm)
        if stage is m.excl:
            for i in m.scope:
                picks[i] = self._option(i, (SUMMARY_NONE,))
        return picks

    def _context(self, stage: list[int], i: int, flip_u: bool, calm: bool) -> list[int] | None:
        """Points of the other tables keeping the outcome put whatever the field's answer (and,
        if ``calm``, leaving the field asked: no other alternatives preferred)."""
        m = self.model
        picks = self._stage_base(stage, calm)
        if flip_u:
            # another table of the stage that can never be ruled out ...
            stuck = {
                j: self.cones[j].first(0, _BIT[SUMMARY_NONE], SUMMARY_UNKNOWN, calm)
                for j in stage
                if j != i
            }
            j = next((j for j, x in stuck.items() if x is not None), None)
            if j is not None:
                picks[j] = stuck[j]
            elif stage is m.scope and m.excl:
                # ... or alternatives that stay undecided whatever the open facts
                never_h = {j: self.cones[j].first(0, _BIT[SUMMARY_HOLDS]) for j in m.excl}
                never = {
                    j: self.cones[j].first(0, _BIT[SUMMARY_HOLDS] | _BIT[SUMMARY_NONE])
                    for j in m.excl
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
        return [p if p is not None else 0 for p in picks]

    def pointless(self) -> list[tuple[str, Facts]]:
        """For each field that can be asked without its answer ever mattering: a record."""
        m = self.model
        found: list[tuple[str, Facts]] = []
        reported: set[str] = set()
        for stage in (m.scope, m.excl):
            for i in stage:
                t, cone = m.tables[i], self.cones[i]
                for index, summary in enumerate(t.summary):
                    if summary != SUMMARY_UNKNOWN:
                        continue
                    for field in t.asks[index]:
                        if field in reported:
                            continue
                        flip_h, flip_u = cone.flip(index, field)
                        if flip_h:
                            continue
                        picks = self._context(stage, i, flip_u, calm=not t.preferred[index])
                        if picks is None:
                            continue
                        picks[i] = index
                        found.append((field, m.merge(picks)))
                        reported.add(field)
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
