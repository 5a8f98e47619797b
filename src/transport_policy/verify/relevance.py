"""Whether answering one open fact of one record could change its recommendation.

This is the question check of ``rules check`` (:mod:`.questions`) read at one record instead of
over every record: a field is *relevant* at a record when there is some way of answering the
record's other open facts (any of them, or none), and some answer to the field, for which the
recommendation differs from the one with the field left open.

Answering a field only moves the component it belongs to (:mod:`.component`), and the
recommendation depends on each component only through its summary (:mod:`.model`). So, with the
summaries each other component can still reach from the record
(:meth:`.component.Component.reach`) and whether some answer, at some answering of the
component's other open facts, switches the component between "a rule holds" and not (H) or
between "a rule is unknown" and "none is" (U) (:meth:`.component.Component.flip`), the
recommendation can change exactly when

* H can switch, and the other tables of the stage can all be kept from holding (for the
  exclusions, with the scope ruled out), or
* U can switch, and the other tables of the stage can all be ruled out, and (for scope) the
  alternatives can then settle the outcome: one can hold, or every one can be ruled out.

:meth:`Relevance.witness` finds the answers that show it, as records the engine can decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ..rules.model import Policy
from .component import BIT as _BIT
from .component import H_SWITCH, U_SWITCH, Point
from .model import Model
from .space import SUMMARY_HOLDS, SUMMARY_NONE, SUMMARY_UNKNOWN, Facts, Space

_NOT_HOLDING = (SUMMARY_UNKNOWN, SUMMARY_NONE)


def _bits(summaries: Iterable[str]) -> int:
    return sum(_BIT[s] for s in summaries)


class Relevance:
    """The relevance of the open facts of records under one policy version."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.space = Space(policy)
        self.model = Model(policy, self.space)
        self.table_of = {p: i for i, t in enumerate(self.model.tables) for p in t.fields}

    @property
    def complete(self) -> bool:
        """Whether every deciding field is in a component table (``rules check`` reports a rule
        set it cannot split as unsupported; its fields are then taken as relevant)."""
        return not self.model.mixed

    def points(self, facts: Mapping[str, object]) -> list[Point]:
        """The record's point in every table (``facts`` as the rules read them)."""
        return [t.point_of(self.space, facts) for t in self.model.tables]

    def _wants(self, i: int, switch: str) -> list[tuple[int, tuple[str, ...]]]:
        """What the other tables must reach for switching table ``i`` (``switch``: ``H`` or
        ``U``) to change the recommendation: (table, summaries allowed) for each."""
        m = self.model
        scope_stage = i in m.scope
        stage = [j for j in (m.scope if scope_stage else m.excl) if j != i]
        others: tuple[str, ...] = _NOT_HOLDING if switch == SUMMARY_HOLDS else (SUMMARY_NONE,)
        wants = [(j, others) for j in stage]
        if not scope_stage:
            wants += [(j, (SUMMARY_NONE,)) for j in m.scope]
        return wants

    def _settles(self, reach: Sequence[int]) -> tuple[str, ...] | None:
        """For a U switch in scope: the alternatives' summaries that settle the outcome (one
        holding, or every one ruled out), or ``None`` when neither can happen."""
        excl = self.model.excl
        if any(reach[j] & _BIT[SUMMARY_HOLDS] for j in excl):
            return (SUMMARY_HOLDS,)
        if all(reach[j] & _BIT[SUMMARY_NONE] for j in excl):
            return (SUMMARY_NONE,)
        return None

    def relevant(self, facts: Mapping[str, object], field: str) -> bool:
        """Whether some answer to ``field`` (open in ``facts``) could change the
        recommendation, for some answering of the record's other open facts."""
        return self._plan(self.points(facts), field) is not None

    def _plan(
        self, points: Sequence[Point], field: str
    ) -> tuple[str, list[tuple[int, tuple[str, ...]]]] | None:
        """The switch of the field's table and what every other table must reach, if the field
        is relevant at these points."""
        i = self.table_of.get(field)
        if i is None:
            return None
        table = self.model.tables[i]
        x = points[i]
        if x[table.position[field]] != 0:
            return None  # known: nothing to ask
        reach = [t.reach(p) for t, p in zip(self.model.tables, points, strict=True)]
        flips = dict(zip((SUMMARY_HOLDS, SUMMARY_UNKNOWN), table.flip(x, field), strict=True))
        for switch in (SUMMARY_HOLDS, SUMMARY_UNKNOWN):
            if not flips[switch]:
                continue
            wants = self._wants(i, switch)
            if not all(reach[j] & _bits(allowed) for j, allowed in wants):
                continue
            if switch == SUMMARY_UNKNOWN and i in self.model.scope:
                settles = self._settles(reach)
                if settles is None:
                    continue
                if settles == (SUMMARY_HOLDS,):
                    holding = next(j for j in self.model.excl if reach[j] & _BIT[SUMMARY_HOLDS])
                    wants += [(holding, settles)]
                else:
                    wants += [(j, settles) for j in self.model.excl]
            return switch, wants
        return None

    def witness(self, facts: Mapping[str, object], field: str) -> tuple[Facts, object] | None:
        """Answers to some of the record's other open facts, and an answer to ``field``, under
        which the recommendation differs from the one with ``field`` left open; ``None`` when
        the field is not relevant."""
        points = self.points(facts)
        plan = self._plan(points, field)
        if plan is None:
            return None
        switch, wants = plan
        m, i = self.model, self.table_of[field]
        table = m.tables[i]
        answers: Facts = {}
        for j, allowed in wants:
            t = m.tables[j]
            y = t.completion(points[j], allowed)
            if y is None:
                raise AssertionError(f"{field}: the reach of table {j} has no completion")
            answers.update(t.facts(y))
        found = table.switching(points[i], field, H_SWITCH if switch == SUMMARY_HOLDS else U_SWITCH)
        if found is None:
            raise AssertionError(f"{field}: the pairs read a switch that no completion shows")
        y, a = found
        answers.update(table.facts(y))
        value = table.domains[table.position[field]][a]
        del answers[field]
        known = {p: v for p, v in answers.items() if facts.get(p) is None}
        return {p: v for p, v in known.items() if v is not None}, value
