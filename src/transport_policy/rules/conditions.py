"""The condition language of rule files, and its three-valued reading.

A condition is one of (YAML):

* ``{field: PATH, is: VALUE}``: the fact equals VALUE;
* ``{field: PATH, in: [V1, V2]}``: the fact is one of the values;
* ``{field: PATH, lt|lte|gt|gte: NUMBER}``: numeric comparison;
* ``{field: PATH, known: true|false}``: whether the fact is established (for wording only);
* ``{field: PATH, has: VALUE}``: a list fact contains VALUE (an empty list does not);
* ``{all: [C, ...]}``, ``{any: [C, ...]}``, ``{not: C}``;
* ``{any_in_order: [C, ...]}``: read as ``any``, but its questions are asked in order (as
  ``all``'s are): only the first unknown part that asks something;
* ``{rule: RULE_ID}``: the named rule holds (its condition, and not its defeater);
* ``always``.

Facts are three-valued: a fact that is absent or ``None`` is *unknown*, and a comparison with an
unknown fact is unknown. ``all`` fails as soon as one part fails and holds when every part holds;
``any`` holds as soon as one part holds and fails when every part fails; otherwise unknown.
There is no ``eval``: conditions are data, compiled for durable-rules by :mod:`..engine.compile`
and read here in plain Python (the reference reading, and the explanations).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, Union

Status = Literal["holds", "fails", "unknown"]
HOLDS: Status = "holds"
FAILS: Status = "fails"
UNKNOWN: Status = "unknown"

CompareOp = Literal["is", "in", "lt", "lte", "gt", "gte", "known", "has"]
COMPARE_OPS: tuple[str, ...] = ("is", "in", "lt", "lte", "gt", "gte", "known", "has")
NUMERIC_OPS: frozenset[str] = frozenset({"lt", "lte", "gt", "gte"})
LOGIC_OPS: tuple[str, ...] = ("all", "any", "any_in_order", "not", "rule")
Scalar = str | int | float | bool
Facts = Mapping[str, object]
Statuses = dict[str, Status]
"""The status of every condition slot of a policy (``<rule>/condition``, ...) for one record."""


@dataclass(frozen=True)
class Leaf:
    field: str
    op: CompareOp
    value: Scalar | tuple[Scalar, ...]


def _leaf_fields(parts: tuple[Condition, ...]) -> dict[str, None] | None:
    if all(type(p) is Leaf for p in parts):
        return dict.fromkeys(p.field for p in parts)  # type: ignore[union-attr]
    return None


@dataclass(frozen=True)
class All:
    parts: tuple[Condition, ...]
    leaf_fields: dict[str, None] | None = field(init=False, compare=False, repr=False)
    """When every part is a test of a fact: their fields, in order (read-only; what explains
    the node when every part does)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "leaf_fields", _leaf_fields(self.parts))


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]
    ordered: bool = False
    """``any_in_order``: read as ``any`` everywhere but in :meth:`Reading.questions` (asked in
    order)."""
    leaf_fields: dict[str, None] | None = field(init=False, compare=False, repr=False)
    """As :attr:`All.leaf_fields`."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "leaf_fields", _leaf_fields(self.parts))


@dataclass(frozen=True)
class Not:
    part: Condition


@dataclass(frozen=True)
class Always:
    pass


@dataclass(frozen=True)
class RuleRef:
    """A reference to another rule; replaced by that rule's condition when the policy loads."""

    rule_id: str


Condition = Union[Leaf, All, AnyOf, Not, Always, RuleRef]  # noqa: UP007 (forward references)


def leaf_status(leaf: Leaf, value: object) -> Status:
    if leaf.op == "known":
        return HOLDS if (value is not None) == leaf.value else FAILS
    if value is None:
        return UNKNOWN
    target = leaf.value
    if leaf.op == "has":
        assert isinstance(value, (list, tuple))
        return HOLDS if target in value else FAILS
    if leaf.op == "is":
        ok = value == target and type(value) is type(target)
    elif leaf.op == "in":
        assert isinstance(target, tuple)
        ok = any(value == t and type(value) is type(t) for t in target)
    else:
        assert isinstance(value, (int, float)) and isinstance(target, (int, float))
        ok = {
            "lt": value < target,
            "lte": value <= target,
            "gt": value > target,
            "gte": value >= target,
        }[leaf.op]
    return HOLDS if ok else FAILS


def evaluate(cond: Condition, facts: Facts) -> Status:
    """The three-valued status of ``cond`` over ``facts`` (path → value, ``None`` = unknown)."""
    if isinstance(cond, Leaf):
        return leaf_status(cond, facts.get(cond.field))
    if isinstance(cond, All):
        result: Status = HOLDS
        for part in cond.parts:
            status = evaluate(part, facts)
            if status == FAILS:
                return FAILS
            if status == UNKNOWN:
                result = UNKNOWN
        return result
    if isinstance(cond, AnyOf):
        result = FAILS
        for part in cond.parts:
            status = evaluate(part, facts)
            if status == HOLDS:
                return HOLDS
            if status == UNKNOWN:
                result = UNKNOWN
        return result
    if isinstance(cond, Not):
        status = evaluate(cond.part, facts)
        return HOLDS if status == FAILS else FAILS if status == HOLDS else UNKNOWN
    if isinstance(cond, Always):
        return HOLDS
    raise TypeError(f"unresolved rule reference {cond.rule_id!r}")


class Reading:
    """The conditions of one record read for its explanations: each node of a condition is
    evaluated at most once, however many explanations and questions read it.

    This is the explanation pass of a decision (the statuses that decide it come from the
    evaluator). Nodes are remembered by identity, so the conditions read must outlive the reading
    (a policy's do, ``Rule.effective`` included), and a reading serves one record.
    """

    __slots__ = ("_memo", "facts")

    def __init__(self, facts: Facts, settled: dict[int, Status] | None = None) -> None:
        """``settled``: statuses already known for these facts, by ``id`` of the condition node
        (the evaluator's, for the conditions it reads three-valued); the reading takes it over."""
        self.facts = facts
        self._memo: dict[int, Status] = settled if settled is not None else {}

    def status(self, cond: Condition) -> Status:
        """``evaluate(cond, facts)``, each node once."""
        kind = type(cond)
        if kind is Leaf:  # cheaper to read again than to remember
            return leaf_status(cond, self.facts.get(cond.field))  # type: ignore[arg-type,union-attr]
        found = self._memo.get(id(cond))
        if found is not None:
            return found
        if kind is All or kind is AnyOf:
            decisive, result = (FAILS, HOLDS) if kind is All else (HOLDS, FAILS)
            facts = self.facts
            for part in cond.parts:  # type: ignore[union-attr]
                if type(part) is Leaf:
                    status = leaf_status(part, facts.get(part.field))
                else:
                    status = self.status(part)
                if status == decisive:
                    result = decisive
                    break
                if status == UNKNOWN:
                    result = UNKNOWN
        elif kind is Not:
            status = self.status(cond.part)  # type: ignore[union-attr]
            result = HOLDS if status == FAILS else FAILS if status == HOLDS else UNKNOWN
        else:
            result = evaluate(cond, self.facts)  # always, or an unresolved reference (an error)
        self._memo[id(cond)] = result
        return result

    def explain(self, cond: Condition) -> list[str]:
        """The fields that settle ``cond``'s status, in reading order.

        A holding ``all`` is explained by all its parts, a failing one by its first failing part;
        a holding ``any`` by its first holding part, a failing one by all its parts; an unknown
        condition by all its parts.
        """
        out: dict[str, None] = {}
        self._explain(cond, out)
        return list(out)

    def _explain(self, cond: Condition, out: dict[str, None]) -> None:
        kind = type(cond)
        if kind is Leaf:
            out[cond.field] = None  # type: ignore[union-attr]
        elif kind is Not:
            self._explain(cond.part, out)  # type: ignore[union-attr]
        elif kind is All or kind is AnyOf:
            parts: tuple[Condition, ...] = cond.parts  # type: ignore[union-attr]
            decisive = FAILS if kind is All else HOLDS
            if self.status(cond) == decisive:  # explained by its first decisive part
                facts = self.facts
                for part in parts:
                    if type(part) is Leaf:
                        if leaf_status(part, facts.get(part.field)) == decisive:
                            out[part.field] = None
                            return
                    elif self.status(part) == decisive:
                        self._explain(part, out)
                        return
                raise AssertionError("a decisive status has a decisive part")
            leaf_fields: dict[str, None] | None = cond.leaf_fields  # type: ignore[union-attr]
            if leaf_fields is not None:
                out.update(leaf_fields)
                return
            for part in parts:
                self._explain(part, out)

    def questions(self, cond: Condition, skip: Collection[str] = ()) -> list[str]:
        """The unknown fields worth asking to find out whether ``cond`` holds, in reading order.

        Within an ``all`` the parts are read in order and only the first unknown part is asked
        (and nothing if a part fails); within an ``any`` every unknown alternative is asked, and
        within an ``any_in_order`` only the first unknown one that asks something; a ``not``
        asks what its part asks (what settles the part settles its negation). Fields in
        ``skip`` (already put to the assessor and left open) are not asked: an ``all`` whose
        first unknown part asks nothing else goes on to its next unknown part.
        """
        facts = self.facts
        if isinstance(cond, Leaf):
            open_ = cond.op != "known" and facts.get(cond.field) is None
            return [cond.field] if open_ and cond.field not in skip else []
        if isinstance(cond, All):
            for part in cond.parts:
                status = self.status(part)
                if status == FAILS:
                    return []
                if status == UNKNOWN:
                    asked = self.questions(part, skip)
                    if asked:
                        return asked
            return []
        if isinstance(cond, AnyOf):
            if self.status(cond) == HOLDS:
                return []
            if cond.ordered:
                for part in cond.parts:
                    if self.status(part) == UNKNOWN:
                        asked = self.questions(part, skip)
                        if asked:
                            return asked
                return []
            asked = []
            for part in cond.parts:
                if self.status(part) == UNKNOWN:
                    asked.extend(q for q in self.questions(part, skip) if q not in asked)
            return asked
        if isinstance(cond, Not):
            return self.questions(cond.part, skip)  # what settles the part settles its negation
        return []


def can_reach(
    cond: Condition, facts: Facts, target: Status, never_false: Collection[str] = ()
) -> bool:
    """Whether some answers to the unknown facts could make ``cond`` reach ``target`` (holds or
    fails). ``never_false``: fields whose ``false`` the policy reads as unknown, so a test that
    they are true can only hold or stay unknown. Each test is read on its own, so this may say a
    condition can reach a status it cannot (two parts needing opposite answers to one fact),
    never the other way round."""
    if isinstance(cond, Leaf):
        status = leaf_status(cond, facts.get(cond.field))
        if status != UNKNOWN:
            return status == target
        return not (
            target == FAILS and cond.op == "is" and cond.value is True and cond.field in never_false
        )
    if isinstance(cond, (All, AnyOf)):
        every = (target == HOLDS) == isinstance(cond, All)
        reached = (can_reach(p, facts, target, never_false) for p in cond.parts)
        return all(reached) if every else any(reached)
    if isinstance(cond, Not):
        return can_reach(cond.part, facts, FAILS if target == HOLDS else HOLDS, never_false)
    if isinstance(cond, Always):
        return target == HOLDS
    raise TypeError(f"unresolved rule reference {cond.rule_id!r}")


def explain(cond: Condition, facts: Facts) -> list[str]:
    """The fields that settle ``cond``'s status (:meth:`Reading.explain`)."""
    return Reading(facts).explain(cond)


def questions(cond: Condition, facts: Facts) -> list[str]:
    """The unknown fields worth asking about ``cond`` (:meth:`Reading.questions`)."""
    return Reading(facts).questions(cond)


def leaves_of(cond: Condition) -> Iterator[Leaf]:
    """Every test of a fact in the condition, in reading order."""
    if isinstance(cond, Leaf):
        yield cond
    elif isinstance(cond, (All, AnyOf)):
        for part in cond.parts:
            yield from leaves_of(part)
    elif isinstance(cond, Not):
        yield from leaves_of(cond.part)


def fields_read(cond: Condition) -> list[str]:
    """Every field path the condition reads, in order of first appearance."""
    return list(dict.fromkeys(leaf.field for leaf in leaves_of(cond)))


def describe(cond: Condition) -> str:
    """The condition in plain English (for rule listings and the rule book)."""
    if isinstance(cond, Leaf):
        value = cond.value
        if cond.op == "known":
            return f"{cond.field} is {'known' if value else 'not known'}"
        if cond.op == "in":
            assert isinstance(value, tuple)
            return f"{cond.field} is one of " + ", ".join(_word(v) for v in value)
        if cond.op == "has":
            return f"{cond.field} contains {_word(value)}"
        words = {
            "is": "is",
            "lt": "is less than",
            "lte": "is at most",
            "gt": "is more than",
            "gte": "is at least",
        }[cond.op]
        return f"{cond.field} {words} {_word(value)}"
    if isinstance(cond, All):
        return "all of (" + "; ".join(describe(p) for p in cond.parts) + ")"
    if isinstance(cond, AnyOf):
        head = "any of, asked in order (" if cond.ordered else "any of ("
        return head + "; ".join(describe(p) for p in cond.parts) + ")"
    if isinstance(cond, Not):
        return "not (" + describe(cond.part) + ")"
    if isinstance(cond, RuleRef):
        return f"rule {cond.rule_id} holds"
    return "always"


def _word(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)
