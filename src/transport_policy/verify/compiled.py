"""``rules check``: the compiled (durable-rules) conditions against the reference reading.

Every combination of the classes of the fields each condition reads is given to both evaluators
(a large condition made of independent parts: part by part, :func:`condition_points`); a
condition that does not compile, matches both "holds" and "fails", or reads otherwise than the
reference is reported once (the first counterexample found).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..engine.runtime import DurableEvaluator, PythonEvaluator
from ..errors import EngineError
from ..rules.conditions import (
    FAILS,
    HOLDS,
    UNKNOWN,
    All,
    AnyOf,
    Condition,
    Not,
    Statuses,
    evaluate,
    fields_read,
)
from ..rules.model import Policy
from .space import Facts, Space

Add = Callable[..., None]
"""How a finding is recorded: ``add(kind, message, facts=None, **where)`` (``Checker.add``)."""


def check_compiled(policy: Policy, space: Space, add: Add, stats: dict[str, Any]) -> None:
    """Compare the compiled conditions with the reference reading; time it in ``stats``."""
    started = time.perf_counter()
    try:
        durable = DurableEvaluator(policy)
    except EngineError as exc:
        add("gap", f"the rules do not compile for durable-rules ({exc})")
        return
    reference = SparseReference(policy)
    reported: set[str] = set()
    checked = 0
    for facts in slot_points(policy, space):
        checked += 1
        want = reference.statuses(facts)
        try:
            got = durable.statuses(facts)
        except EngineError as exc:
            slot = exc.rule_id or "?"
            if slot not in reported:
                reported.add(slot)
                add(
                    "overlap",
                    f"condition {slot} compiles to tests that both match (holds and fails at once)",
                    facts,
                    rule=slot.split("/")[0],
                )
            continue
        for slot, status in want.items():
            if got[slot] == status or slot in reported:
                continue
            reported.add(slot)
            kind = "gap" if got[slot] == UNKNOWN and status in (HOLDS, FAILS) else "mismatch"
            add(
                kind,
                f"condition {slot}: the compiled rule reads {got[slot]} where the "
                f"reference reading is {status}",
                facts,
                rule=slot.split("/")[0],
            )
    stats["engine_records"] = checked
    stats["engine_seconds"] = time.perf_counter() - started


WHOLE_LIMIT = 4096
"""A condition whose fields have at most this many combinations of classes is compared at every
one of them; a larger ``all``/``any`` whose parts read no field in common is compared part by
part (:func:`condition_points`)."""


class SparseReference:
    """The reference reading of every slot, evaluating only the slots that read a known fact of
    the record: any other slot reads as it does on a record with nothing known (a condition's
    status depends only on its own fields)."""

    def __init__(self, policy: Policy) -> None:
        self.blank = PythonEvaluator(policy).statuses({})
        self.triggers = policy.trigger_slots
        self.by_field: dict[str, list[tuple[str, Condition]]] = {}
        for slot, cond in policy.slots:
            for path in fields_read(cond):
                self.by_field.setdefault(path, []).append((slot, cond))

    def statuses(self, facts: Facts) -> Statuses:
        out = dict(self.blank)
        done: set[str] = set()
        for path, value in facts.items():
            if value is None:
                continue
            for slot, cond in self.by_field.get(path, ()):
                if slot in done:
                    continue
                done.add(slot)
                status = evaluate(cond, facts)
                out[slot] = FAILS if status == UNKNOWN and slot in self.triggers else status
        return out


def slot_points(policy: Policy, space: Space) -> Iterator[Facts]:
    """The points at which each condition is compared (each point once)."""
    seen: set[tuple[tuple[str, object], ...]] = set()
    for _, cond in policy.slots:
        for facts in condition_points(cond, space):
            key = tuple(
                (k, tuple(v) if isinstance(v, list) else v)  # a list field's value, hashable
                for k, v in facts.items()
                if v is not None
            )
            if key not in seen:
                seen.add(key)
                yield facts


def condition_points(cond: Condition, space: Space) -> list[Facts]:
    """The points at which ``cond`` is compared.

    Every combination of the classes of its fields, when there are at most :data:`WHOLE_LIMIT`.
    Otherwise, for an ``all``/``any`` (or its ``not``) whose parts read no field in common, part
    by part: every point of each part (found the same way), with each other part at one example
    point for each status it can take (holds, fails, unknown), in every combination. A condition
    is compiled from its parts (De Morgan), so this tries each part in every context the other
    parts can make; a fault that showed only for particular values of two independent parts
    together, beyond their statuses, would be missed.
    """
    fields = fields_read(cond)
    size = math.prod(len(space.classes[f]) for f in fields)
    inner = cond.part if isinstance(cond, Not) else cond
    if size <= WHOLE_LIMIT or not isinstance(inner, (All, AnyOf)):
        return list(space.product(fields))
    reads = [set(fields_read(p)) for p in inner.parts]
    if sum(map(len, reads)) != len(set().union(*reads)):
        return list(space.product(fields))  # parts share a field: no shortcut
    points = [condition_points(p, space) for p in inner.parts]
    examples = [
        list({evaluate(p, facts): facts for facts in reversed(found)}.values())
        for p, found in zip(inner.parts, points, strict=True)
    ]
    out: list[Facts] = []
    for i, found in enumerate(points):
        others = examples[:i] + examples[i + 1 :]
        for context in itertools.product(*others):
            base: Facts = {}
            for facts in context:
                base.update(facts)
            out.extend({**base, **facts} for facts in found)
    return out
