"""Parsing the condition language of rule files into the condition AST.

Every problem is a :class:`~transport_policy.errors.RuleError` naming the file, the rule and where
in the condition it is, with the closest valid name when a name is unknown.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ..errors import RuleError
from ..model.fields import FIELDS, REGISTRY
from ..model.fields import closest as closest  # re-exported: the loader and the CLI use it
from ..model.record import FIELD_PATHS, field_values
from .conditions import (
    COMPARE_OPS,
    LOGIC_OPS,
    NUMERIC_OPS,
    All,
    Always,
    AnyOf,
    Condition,
    Leaf,
    Not,
    RuleRef,
)

NUMERIC_FIELDS = frozenset(f.path for f in REGISTRY if f.kind in ("integer", "number"))
NOT_FACTS = frozenset(f.path for f in REGISTRY if not f.fact)
"""Fields that are recorded in the decision but never used to decide (``fact=False`` in the
registry, ``model/fields.py``)."""


def _fits(path: str, value: object) -> bool:
    """Whether a constant has the type of a free-valued field (no coercion in either engine)."""
    if isinstance(value, bool):
        return False
    kind = FIELDS[path].kind
    if kind == "integer":
        return isinstance(value, int)
    if kind == "number":
        return False  # a measured quantity: compare it (lt, gte, ...), never test equality
    return isinstance(value, str)


class ConditionParser:
    def __init__(
        self, rel: str, rule_id: str, rule_ids: set[str], removed: Collection[str] = ()
    ) -> None:
        self.rel = rel
        self.rule_id = rule_id
        self.rule_ids = rule_ids
        self.removed = removed
        """Rules this version removes from its base (``remove_rules``)."""

    def error(self, message: str, where: str) -> RuleError:
        return RuleError(message, path=self.rel, rule_id=self.rule_id, field=where)

    def parse(self, data: Any, where: str) -> Condition:
        if data == "always":
            return Always()
        if not isinstance(data, Mapping) or not data:
            raise self.error("a condition must be a mapping (or the word always)", where)
        keys = set(data)
        if "field" in keys:
            return self._leaf(data, where)
        if len(keys) != 1:
            raise self.error(
                f"a condition has exactly one of {', '.join(LOGIC_OPS)} or field", where
            )
        ((op, arg),) = data.items()
        if op in ("all", "any", "any_in_order"):
            if not isinstance(arg, list) or not arg:
                raise self.error(f"{op} takes a non-empty list of conditions", where)
            parts = tuple(self.parse(p, f"{where}.{op}[{i}]") for i, p in enumerate(arg))
            return All(parts) if op == "all" else AnyOf(parts, ordered=op == "any_in_order")
        if op == "not":
            return Not(self.parse(arg, f"{where}.not"))
        if op == "rule":
            if arg in self.removed:
                raise self.error(
                    f"refers to rule {arg!r}, which the version loaded drops (remove_rules in "
                    "its policy.yaml): drop or replace this rule there too",
                    where,
                )
            if arg not in self.rule_ids:
                raise self.error(f"unknown rule {arg!r}" + closest(str(arg), self.rule_ids), where)
            return RuleRef(str(arg))
        raise self.error(
            f"unknown operator {op!r}" + closest(str(op), (*LOGIC_OPS, "field")), where
        )

    def _leaf(self, data: Mapping[str, Any], where: str) -> Leaf:
        path = data["field"]
        if path not in FIELD_PATHS:
            raise self.error(
                f"unknown field path {path!r}" + closest(str(path), FIELD_PATHS), where
            )
        if path in NOT_FACTS:
            raise self.error(
                f"{path} is recorded, never used to decide: a rule cannot test it", where
            )
        ops = [k for k in data if k != "field"]
        if len(ops) != 1:
            raise self.error(
                f"a field test needs exactly one operator of {', '.join(COMPARE_OPS)}", where
            )
        op = ops[0]
        if op not in COMPARE_OPS:
            raise self.error(f"unknown operator {op!r}" + closest(op, COMPARE_OPS), where)
        value = data[op]
        is_list = FIELDS[path].kind == "enum_list"
        if is_list and op not in ("known", "has"):
            raise self.error(
                f"{path} is a list: a rule can only test whether it is known or what it has",
                where,
            )
        if op == "has" and not is_list:
            raise self.error(
                f"has tests a list field, and {path} is not a list (use is or in)", where
            )
        allowed = FIELDS[path].values if op == "has" else field_values(path)
        if op == "known":
            if not isinstance(value, bool):
                raise self.error("known takes true or false", where)
        elif op in NUMERIC_OPS:
            if (
                path not in NUMERIC_FIELDS
                or isinstance(value, bool)
                or not isinstance(value, (int, float))
            ):
                raise self.error(f"{op} compares a numeric field with a number", where)
        else:
            values = value if op == "in" else [value]
            if op == "in" and (not isinstance(value, list) or not value):
                raise self.error("in takes a non-empty list of values", where)
            for v in values:
                if allowed is None:
                    if not _fits(path, v):
                        raise self.error(f"{v!r} is not a value of the type of {path}", where)
                elif v not in allowed or isinstance(v, bool) != isinstance(allowed[0], bool):
                    names = [str(a).lower() for a in allowed]
                    hint = closest(str(v), names) or f" (its values: {', '.join(names)})"
                    raise self.error(f"{v!r} is not a value of {path}{hint}", where)
            value = tuple(value) if op == "in" else value
        return Leaf(path, op, value)  # type: ignore[arg-type] # op is checked against COMPARE_OPS
