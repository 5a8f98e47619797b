"""A slot test as disjoint alternatives: a decision diagram over the facts it reads, path by path.

durable-rules fires a rule once for every way a fact matches it (once for each branch of each
``$or`` it passes through), and each firing is a round trip carrying the whole fact. So a test
is compiled here into alternatives that no record can match twice: the diagram splits on one
fact at a time, in the order the condition first reads them; the values of that
fact (every allowed value and *unknown*, or, for a number, the ranges between the constants the
condition compares it with) that leave the same remainder of the test go down one branch; a path
ends where the test is settled. Each path to *matches* is one alternative, a conjunction of one
test per fact it splits on ("this fact is one of these values"). A record matches at most one of
these paths, so a rule fires at most once per record; and values with the same remainder share
a branch, so a test of "known and not true" or "false or unknown" is one test, not two branches.

Which values satisfy a leaf is read with the reference reading (``rules.conditions``), so the
compiled test and the plain-Python reading agree by construction; the property tests check it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from ..errors import EngineError
from ..model.fields import FIELDS
from ..rules.conditions import (
    FAILS,
    HOLDS,
    All,
    Always,
    AnyOf,
    Condition,
    Leaf,
    Not,
    RuleRef,
    leaf_status,
    leaves_of,
)

Range = tuple[float | None, bool, float | None, bool]
"""A number's range: low, low included, high, high included (``None``: unbounded)."""


@dataclass(frozen=True)
class Var:
    """A fact the test reads, and the values (atoms) the diagram tells apart. The first atom is
    *unknown* (``None``); the others are every allowed value of a boolean or an enum, every set
    of the items a list's ``has`` tests name, or, for a number, a point or an open range between
    the constants the tests compare it with (:attr:`ranges`), standing for every number in it."""

    path: str
    kind: str
    """``finite`` (a boolean or an enum), ``number`` or ``list``."""
    atoms: tuple[object, ...]
    """Each atom's value as the reference reading sees it (a number: one inside its range)."""
    ranges: tuple[Range, ...] = ()
    """A number's atoms after the first, as ranges."""


@dataclass(frozen=True)
class Pred:
    """The fact ``var`` has one of the values ``atoms``."""

    var: int
    atoms: frozenset[int]


@dataclass(frozen=True)
class Join:
    """Every part holds (``meet``) or one does."""

    meet: bool
    parts: tuple[Formula, ...]
    vars: frozenset[int] = field(init=False, compare=False, repr=False)
    """The vars the parts read (a part that reads none of a var is left as it is when the var is
    fixed)."""

    def __post_init__(self) -> None:
        read = frozenset(v for p in self.parts for v in _vars(p))
        object.__setattr__(self, "vars", read)


Formula = bool | Pred | Join
Path = tuple[Pred, ...]
"""One alternative: a test on each fact it splits on."""


def _number_var(path: str, leaves: list[Leaf]) -> Var:
    points = sorted(
        {
            v
            for leaf in leaves
            if leaf.op != "known"
            for v in (leaf.value if isinstance(leaf.value, tuple) else (leaf.value,))
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        }
    )
    ranges: list[Range] = []
    atoms: list[object] = [None]  # a point is the constant itself (typed as the rules write it)
    low: float | None = None
    for point in points:
        ranges += [(low, False, point, False), (point, True, point, True)]
        atoms += [point - 1 if low is None else (low + point) / 2, point]
        low = point
    ranges.append((low, False, None, False))
    atoms.append(0.0 if low is None else low + 1)
    return Var(path, "number", tuple(atoms), tuple(ranges))


def _list_var(path: str, leaves: list[Leaf]) -> Var:
    items = sorted({str(leaf.value) for leaf in leaves if leaf.op == "has"})
    chosen = itertools.product((False, True), repeat=len(items))
    subsets = [tuple(i for i, keep in zip(items, bits, strict=True) if keep) for bits in chosen]
    return Var(path, "list", (None, *subsets))


def variables(cond: Condition) -> list[Var]:
    """The facts ``cond`` reads, in the order it first reads them, with their atoms."""
    by_path: dict[str, list[Leaf]] = {}
    for leaf in leaves_of(cond):
        by_path.setdefault(leaf.field, []).append(leaf)
    out: list[Var] = []
    for path, leaves in by_path.items():
        spec = FIELDS[path]
        allowed = spec.allowed()
        if allowed is not None:
            out.append(Var(path, "finite", (None, *allowed)))
        elif spec.kind == "enum_list":
            out.append(_list_var(path, leaves))
        elif spec.kind in ("integer", "number"):
            out.append(_number_var(path, leaves))
        else:
            raise EngineError(f"{path}: a {spec.kind} field cannot be compiled for durable-rules")
    return out


class Diagram:
    """The tests of one condition over the atoms of the facts it reads (:func:`variables`), as
    formulas kept simplified: constants folded, and the tests of one fact among the parts of a
    :class:`Join` made one (their atoms met or joined)."""

    def __init__(self, cond: Condition) -> None:
        self.cond = cond
        self.vars = variables(cond)
        self._index = {v.path: i for i, v in enumerate(self.vars)}
        self._sizes = tuple(len(v.atoms) for v in self.vars)

    def formula(self, positive: bool, cond: Condition | None = None) -> Formula:
        """The test of the condition (or of ``cond``, a part of it) holding or failing."""
        cond = self.cond if cond is None else cond
        if isinstance(cond, Leaf):
            i = self._index[cond.field]
            want = HOLDS if positive else FAILS
            values = self.vars[i].atoms
            return self._pred(
                i, frozenset(a for a, v in enumerate(values) if leaf_status(cond, v) == want)
            )
        if isinstance(cond, (All, AnyOf)):
            parts = [self.formula(positive, p) for p in cond.parts]
            return self.join(parts, meet=isinstance(cond, All) == positive)
        if isinstance(cond, Not):
            return self.formula(not positive, cond.part)
        if isinstance(cond, Always):
            return positive
        assert not isinstance(cond, RuleRef), "rule references are resolved when the policy loads"
        raise TypeError(f"cannot compile {cond!r}")

    def _pred(self, var: int, atoms: frozenset[int]) -> Formula:
        if not atoms:
            return False
        return True if len(atoms) == self._sizes[var] else Pred(var, atoms)

    def join(self, parts: list[Formula], meet: bool) -> Formula:
        """Every part (``meet``) or one of them, simplified."""
        unit = meet
        sets: dict[int, frozenset[int]] = {}
        for p in parts:
            if p is (not unit):
                return not unit
            if isinstance(p, Pred):
                seen = sets.get(p.var)
                atoms = p.atoms if seen is None else seen & p.atoms if meet else seen | p.atoms
                sets[p.var] = atoms
        kept: list[Formula] = []
        for p in parts:
            if isinstance(p, Pred):
                if p.var not in sets:
                    continue
                p = self._pred(p.var, sets.pop(p.var))
                if p is (not unit):
                    return not unit
            if p is not unit and p not in kept:
                kept.append(p)
        if not kept:
            return unit
        return kept[0] if len(kept) == 1 else Join(meet, tuple(kept))

    def assign(self, f: Formula, var: int, atom: int) -> Formula:
        """``f`` with ``var`` fixed to ``atom``."""
        if isinstance(f, bool):
            return f
        if isinstance(f, Pred):
            return atom in f.atoms if f.var == var else f
        if var not in f.vars:
            return f
        return self.join([self.assign(p, var, atom) for p in f.parts], f.meet)

    def paths(self, f: Formula, limit: int) -> list[Path]:
        """The decision diagram's paths to *matches*: disjoint alternatives, together matching
        exactly the records ``f`` matches; once more than ``limit`` are found, no more are read
        (the result is then incomplete, and longer than ``limit``). A fact whose every value
        leads to the same remainder is not tested."""
        memo: dict[Formula, list[Path]] = {}

        def walk(f: Formula) -> list[Path]:
            if isinstance(f, bool):
                return [()] if f else []
            if f in memo:
                return memo[f]
            var = _first_var(f)
            branches: dict[Formula, list[int]] = {}
            for atom in range(self._sizes[var]):
                branches.setdefault(self.assign(f, var, atom), []).append(atom)
            out: list[Path] = []
            for rest, atoms in branches.items():
                step = () if len(atoms) == self._sizes[var] else (Pred(var, frozenset(atoms)),)
                out += [step + tail for tail in walk(rest)]
                if len(out) > limit:
                    break
            memo[f] = out
            return out

        return walk(f)


def _vars(f: Formula) -> frozenset[int] | tuple[int, ...]:
    if isinstance(f, Pred):
        return (f.var,)
    return f.vars if isinstance(f, Join) else ()


def _first_var(f: Pred | Join) -> int:
    return f.var if isinstance(f, Pred) else min(f.vars)
