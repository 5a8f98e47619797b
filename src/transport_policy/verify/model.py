"""The decision procedure read at the level of component summaries, for ``rules check``.

docs/decision-procedure.md, sections 1 to 3: the recommendation is ``out_of_scope``
when a scope rule holds; otherwise ``needs_information`` when one is unknown; otherwise
``do_not_provide`` when an exclusion holds, ``needs_information`` when one is unknown, and
``provide`` when every one is ruled out (failed or defeated). So the recommendation depends on
each component only through its summary (``H``, ``U`` or ``N``), and an assessor's override then
acts on the recommendation.

The questions of ``needs_information`` are those of the stage that is undecided; among the
exclusions, when the unknown alternatives of any component are *preferred* (one is established
but for its defeater: :func:`.decision.precedence.rules_to_ask`), only the preferred components are
asked and every other component's questions wait; otherwise every component with an unknown
alternative is asked.
:mod:`.verify` confirms this reading against the procedure itself before relying on it, and
decides every counterexample with the engine before reporting it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from itertools import product

from ..decision.precedence import RuleStatus, override_effects
from ..model.contradictions import contradictions
from ..rules.model import Policy, Rule
from .component import Component, Point
from .space import (
    OVERRIDE_FIELD,
    SUMMARY_HOLDS,
    SUMMARY_NONE,
    SUMMARY_UNKNOWN,
    Facts,
    Space,
    components,
    status_of,
)

OOS, NI, DNP, PROVIDE = "out_of_scope", "needs_information", "do_not_provide", "provide"
OUTCOMES = (PROVIDE, DNP, OOS, NI)
DECIDING = ("scope", "exclusion")
NON_HOLDING = (SUMMARY_NONE, SUMMARY_UNKNOWN)

Options = Mapping[str, Point]
"""The summaries a component can take (under some constraint), each with a point."""


def _first(options: Options, allowed: Sequence[str]) -> str | None:
    return next((s for s in allowed if s in options), None)


class Model:
    """The deciding rules as components, and the procedure's precedence over their summaries."""

    def __init__(self, policy: Policy, space: Space) -> None:
        self.policy = policy
        self.space = space
        groups = components([r for r in policy.rules if r.kind in DECIDING], space.fields)
        self.mixed = [g for g in groups if len({r.kind for r in g}) > 1]
        self.tables = [Component(space, g) for g in groups if g not in self.mixed]
        self.scope = [i for i, t in enumerate(self.tables) if t.stage == "scope"]
        self.excl = [i for i, t in enumerate(self.tables) if t.stage == "exclusion"]
        self.overrides: tuple[Rule, ...] = policy.by_kind.get("override", ())
        paths = [p for r in self.overrides for p in space.fields(r)]
        self.override_paths = tuple(dict.fromkeys([*paths, OVERRIDE_FIELD]))
        self._options: dict[tuple[int, tuple[tuple[int, int], ...]], dict[str, Point]] = {}

    @property
    def size(self) -> int:
        """The number of points the components stand for (the product of each one's classes)."""
        return sum(len(t) for t in self.tables)

    @property
    def entries(self) -> int:
        """The entries of the per-rule tables the components are explored through."""
        return sum(t.entries for t in self.tables)

    @property
    def hub_points(self) -> int:
        """The hub points the components are conditioned on (one for a component without hub
        fields)."""
        return sum(t.hub_count for t in self.tables)

    @cached_property
    def variants(self) -> list[dict[tuple[str, bool], Point]]:
        """Per table: a point of each summary, with its alternatives preferred and not."""
        return [t.variants() for t in self.tables]

    @cached_property
    def all_options(self) -> list[dict[str, Point]]:
        return [self.options(i, ()) for i in range(len(self.tables))]

    @cached_property
    def calm_options(self) -> list[dict[str, Point]]:
        """Per table: a point of each summary at which its alternatives are not preferred."""
        return [{s: x for (s, pref), x in v.items() if not pref} for v in self.variants]

    def options(self, i: int, fixed: tuple[tuple[int, int], ...]) -> dict[str, Point]:
        """The summaries table ``i`` takes at the points agreeing with ``fixed`` ((position,
        class) pairs), each with such a point."""
        key = (i, fixed)
        if key not in self._options:
            found = self.variants[i] if not fixed else self.tables[i].variants(dict(fixed))
            out: dict[str, Point] = {}
            for (summary, _), x in sorted(found.items(), key=lambda item: item[0][1]):
                out.setdefault(summary, x)
            self._options[key] = out
        return self._options[key]

    # -- the procedure's precedence ------------------------------------------------------------

    def recommended(self, summaries: Sequence[str]) -> str:
        scope = {summaries[i] for i in self.scope}
        excl = {summaries[i] for i in self.excl}
        if SUMMARY_HOLDS in scope:
            return OOS
        if SUMMARY_UNKNOWN in scope:
            return NI
        if SUMMARY_HOLDS in excl:
            return DNP
        return NI if SUMMARY_UNKNOWN in excl else PROVIDE

    def stage_of(self, summaries: Sequence[str]) -> list[int]:
        """The tables whose unknown rules are asked when the recommendation is needs_information."""
        return self.scope if any(summaries[i] != SUMMARY_NONE for i in self.scope) else self.excl

    def summaries(self, picks: Sequence[Point]) -> list[str]:
        return [t.at(x).summary for t, x in zip(self.tables, picks, strict=True)]

    def asked(self, picks: Sequence[Point]) -> set[str]:
        """The fields the procedure asks at these points of the tables (none unless the
        recommendation is needs_information)."""
        at = [t.at(x) for t, x in zip(self.tables, picks, strict=True)]
        sums = [a.summary for a in at]
        if self.recommended(sums) != NI:
            return set()
        unknown = [i for i in self.stage_of(sums) if sums[i] == SUMMARY_UNKNOWN]
        preferred = [i for i in unknown if at[i].preferred]
        return {q for i in preferred or unknown for q in at[i].asks}

    def choose(
        self, options: Sequence[Options], want: Sequence[str]
    ) -> tuple[str, list[Point]] | None:
        """Points of every table (one of each table's ``options``) giving an outcome in ``want``."""
        for outcome in OUTCOMES:
            if outcome in want:
                sums = self._pick(outcome, options)
                if sums is not None:
                    return outcome, [options[i][s] for i, s in enumerate(sums)]
        return None

    def _pick(self, outcome: str, options: Sequence[Options]) -> list[str] | None:
        any_order = (SUMMARY_NONE, SUMMARY_UNKNOWN, SUMMARY_HOLDS)
        picks: list[str | None] = [_first(o, any_order) for o in options]

        def one_of(group: list[int], want: str, others: Sequence[str]) -> bool:
            # one table of the group takes ``want``; every other one of the group one of ``others``
            for k in group:
                if want in options[k] and all(_first(options[j], others) for j in group if j != k):
                    for j in group:
                        picks[j] = want if j == k else _first(options[j], others)
                    return True
            return False

        def all_of(group: list[int], allowed: Sequence[str]) -> bool:
            for j in group:
                picks[j] = _first(options[j], allowed)
            return all(picks[j] is not None for j in group)

        if outcome == OOS:
            ok = one_of(self.scope, SUMMARY_HOLDS, any_order)
        elif outcome == NI:
            ok = one_of(self.scope, SUMMARY_UNKNOWN, NON_HOLDING) or (
                all_of(self.scope, (SUMMARY_NONE,))
                and one_of(self.excl, SUMMARY_UNKNOWN, NON_HOLDING)
            )
        elif outcome == DNP:
            ok = all_of(self.scope, (SUMMARY_NONE,)) and one_of(self.excl, SUMMARY_HOLDS, any_order)
        else:
            ok = all_of(self.scope, (SUMMARY_NONE,)) and all_of(self.excl, (SUMMARY_NONE,))
        if not ok or any(p is None for p in picks):
            return None
        return [p for p in picks if p is not None]

    def override_effects(
        self, recommended: str, facts: Mapping[str, object]
    ) -> tuple[str, list[Rule]]:
        """The final outcome, and the override rules that take effect (the procedure's own
        :func:`~transport_policy.decision.precedence.override_effects`)."""
        requested = facts.get(OVERRIDE_FIELD)
        read = self.space.read(facts)
        final, applied, warnings = override_effects(
            self.overrides,
            recommended,
            None if requested is None else str(requested),
            lambda rule: status_of(rule, read) is RuleStatus.HOLDS,
        )
        return final, ([applied] if applied is not None else []) + warnings

    # -- searching the space -------------------------------------------------------------------

    def find(
        self,
        paths: Sequence[str],
        accept: Callable[[Facts], Sequence[str]],
        first: Iterable[Facts] = (),
    ) -> Facts | None:
        """A record whose ``paths`` take some combination of classes for which the procedure's
        recommendation is one ``accept`` returns for it; the other fields as the tables allow.
        The combinations ``first`` gives (each completed with unknowns) are tried before the
        others, in order."""
        paths = tuple(dict.fromkeys(paths))
        shared = [tuple(p for p in paths if p in t.position) for t in self.tables]
        blank = dict.fromkeys(paths)
        tried = ({**blank, **f} for f in first if set(f) <= blank.keys())
        for facts in itertools.chain(tried, self.space.product(paths)):
            want = accept(facts)
            if not want:
                continue
            options: list[Options] = []
            for i, t in enumerate(self.tables):
                if not shared[i]:
                    options.append(self.all_options[i])
                    continue
                key = tuple(
                    (t.position[p], t.domains[t.position[p]].index(facts[p])) for p in shared[i]
                )
                options.append(self.options(i, key))
            chosen = self.choose(options, want)
            if chosen is not None:
                found = self.merge(chosen[1], facts)
                if not contradictions(found):  # facts no record can hold together
                    return found
        return None

    def merge(self, indices: Sequence[Point], extra: Mapping[str, object] | None = None) -> Facts:
        facts: Facts = {}
        for t, index in zip(self.tables, indices, strict=True):
            facts.update(t.facts(index))
        facts.update(extra or {})
        return facts

    def summary_combinations(self) -> Iterator[list[Point]]:
        """One point per combination of the summaries of the scope tables (the alternatives at
        their first option), and, in scope, one per combination of the exclusion tables'
        summaries, each with its alternatives preferred or not where both can be."""
        reps = [list(v.values()) for v in self.variants]
        first = [r[0] for r in reps]
        for combo in product(*(reps[i] for i in self.scope)):
            picks = list(first)
            for i, index in zip(self.scope, combo, strict=True):
                picks[i] = index
            yield picks
        gateway = [self.all_options[i].get(SUMMARY_NONE) for i in self.scope]
        if any(g is None for g in gateway):
            return
        for combo in product(*(reps[i] for i in self.excl)):
            picks = list(first)
            for i, settled in zip(self.scope, gateway, strict=True):
                if settled is not None:
                    picks[i] = settled
            for i, index in zip(self.excl, combo, strict=True):
                picks[i] = index
            yield picks
