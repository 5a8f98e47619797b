"""One component of the deciding rules, explored factorised (see ``docs/verification.md``).

A component is a set of deciding rules linked by the fields they read. Its *hub* fields are the
fields that two or more of its rules read; every other field of a rule is *private* to it. Once
the hub fields take a value (a *hub point*, unknown included), the rules read disjoint facts, so
they vary independently: the component's points are the hub points times the product of the
rules' private points, and every question about the component is answered by folding per-rule
data across the rules, for each hub point, instead of enumerating that product.

Per rule, a :class:`~.tables.RuleTable` holds the rule at every combination of the classes of the
fields it reads: its state, the fields it would ask, the summaries its private completions can
reach and the pairs (summary before, after) answering a field can give (:mod:`.tables`).

The component's summary at a point is the *join* of the rules' summaries (a rule holds, else one
is unknown, else neither), so reachable summaries and switching pairs combine across rules as
products of sets, and across the hub fields as a union over the hub point's completions.

A component is built in three layers: its layout and tables (:class:`.tables.ComponentTables`),
the searches over its factorised points (:class:`.search.ComponentSearch`) and, here, what it is
at one point and what answering its open facts can do there (:class:`Component`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..decision.precedence import pending, rules_to_ask
from ..rules.model import Rule
from .search import ComponentSearch
from .space import SUMMARY_UNKNOWN, Space
from .tables import BIT as BIT
from .tables import H_SWITCH as H_SWITCH
from .tables import LETTERS as LETTERS
from .tables import U_SWITCH as U_SWITCH
from .tables import Point as Point
from .tables import RuleTable as RuleTable
from .tables import diagonal as diagonal
from .tables import join_pairs as join_pairs
from .tables import join_sets as join_sets

_KEPT = 100_000
"""Points whose reach is remembered (the question engine asks of many records in turn)."""


@dataclass(frozen=True)
class At:
    """A component at one point: its summary, the fields the procedure asks of it (when it is
    asked at all) and whether its unknown alternatives are preferred (one is pending)."""

    summary: str
    asks: tuple[str, ...]
    preferred: bool


class Component(ComponentSearch):
    """The deciding rules linked by common fields, as hub fields and per-rule tables."""

    def __init__(self, space: Space, rules: Sequence[Rule]) -> None:
        super().__init__(space, rules)
        self._at: dict[Point, At] = {}
        self._reach: dict[Point, int] = {}
        self._flips: dict[tuple[Point, str], int] = {}

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
