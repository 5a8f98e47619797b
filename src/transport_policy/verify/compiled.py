"""``rules check``: the compiled (durable-rules) conditions against the reference reading.

Every combination of the classes of the fields each condition reads is given to both evaluators;
a condition that does not compile, matches both "holds" and "fails", or reads otherwise than the
reference is reported once (the first counterexample found).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from ..engine.runtime import DurableEvaluator, PythonEvaluator
from ..errors import EngineError
from ..rules.conditions import FAILS, HOLDS, UNKNOWN, fields_read
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
    reference = PythonEvaluator(policy)
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


def slot_points(policy: Policy, space: Space) -> Iterator[Facts]:
    """Every combination of classes of the fields of each condition (each once)."""
    seen: set[tuple[tuple[str, object], ...]] = set()
    for _, cond in policy.slots:
        for facts in space.product(fields_read(cond)):
            key = tuple(
                (k, tuple(v) if isinstance(v, list) else v)  # a list field's value, hashable
                for k, v in facts.items()
                if v is not None
            )
            if key not in seen:
                seen.add(key)
                yield facts
