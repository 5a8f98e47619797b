"""Running compiled rules in durable-rules, safely.

The wrapper drives durable-rules' C module directly (``durable_rules_engine``): no ``Host``, so no
timer threads and no ``$pulse`` facts; facts not events, so every matching rule fires. Each
decision asserts one fact in the evaluator's session, collects every rule it fires, and retracts
it, so the session holds no fact between decisions: the session (564 KiB in durable-rules) is made
once, not once per decision. A session that a failure or an interruption may have left holding a
fact or an unfinished action is deleted before the next decision, which takes a new one; a session
is also replaced after :data:`SESSION_DECISIONS` decisions. So one session at most is live per
evaluator (the 1,024-live-sessions cap is never approached), and each decision starts from an
empty session. Errors from the engine become :class:`~transport_policy.errors.EngineError`.

:class:`PythonEvaluator` reads the same conditions in plain Python. It is the reference the
property tests compare the engine with, and the evaluator used by ``rules check``.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import threading
from collections.abc import Mapping
from typing import Protocol

import durable_rules_engine
import pydantic_core

from ..errors import EngineError
from ..model.record import AssessmentRecord
from ..rules.conditions import FAILS, HOLDS, UNKNOWN, Status, Statuses, evaluate, fields_read
from ..rules.model import Policy
from ..rules.stored import kept
from .compile import (
    ANCHOR,
    ANCHOR_KEY,
    CATCH_ALL,
    EMPTY_ITEM,
    compile_rules,
    fact_key,
    has_fields,
    ruleset_name,
)

_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))
Facts = dict[str, object]
_PLAIN_TYPES = frozenset({str, int, bool, list})
"""The types of the facts a validated record gives the rules of 2021-01 (a list: of enum
values); a number with a fraction goes to the standard encoder, which writes exponents as before."""


def _encode(fact: dict[str, object]) -> str:
    """The fact as JSON for durable-rules. ``pydantic_core.to_json`` writes the same document
    faster than the standard encoder when every value has a plain type, every character is ASCII
    (the rules' own values are written with ASCII escapes) and nothing is written ``NaN`` or
    ``Infinity`` (which the standard encoder refuses: given to it, they are the error below);
    anything else is written by the standard encoder."""
    if _PLAIN_TYPES.issuperset(map(type, fact.values())):
        made = pydantic_core.to_json(fact, inf_nan_mode="constants")
        if made.isascii() and b"NaN" not in made and b"Infinity" not in made:
            return made.decode()
    try:
        return _ENCODER.encode(fact)
    except ValueError:
        raise EngineError("a fact is not a finite JSON value") from None


def condition_fields(policy: Policy) -> tuple[str, ...]:
    """Every record field the policy's conditions read."""
    return tuple(dict.fromkeys(f for _, cond in policy.slots for f in fields_read(cond)))


def policy_fields(policy: Policy) -> tuple[str, ...]:
    """Every record field the policy's conditions read, then the facts its rules show as
    evidence and those its procedure reasons' ``when`` read (read for the explanation only),
    then those its conditional readings set and read."""
    shown = (f for rule in policy.rules for f in rule.evidence)
    procedure = (f for cond in policy.procedure_when for f in fields_read(cond))
    return tuple(
        dict.fromkeys((*condition_fields(policy), *shown, *procedure, *policy.reading_fields))
    )


def record_values(record: AssessmentRecord, fields: tuple[str, ...]) -> Facts:
    """The recorded values of ``fields`` (path → value, ``None`` = unknown)."""
    return read_plan(record, field_plan(fields))


Plan = tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]
"""Fields grouped by record section, in order: (section, paths, leaves)."""


def read_plan(record: AssessmentRecord, plan: Plan) -> Facts:
    """The recorded values of the fields of a :func:`field_plan`, in its order."""
    values: Facts = {}
    attrs = record.__dict__
    for section, paths, leaves in plan:
        part = attrs[section]
        if part is None:
            values.update(dict.fromkeys(paths))
            continue
        leaf_values = part.__dict__
        values.update(zip(paths, map(leaf_values.__getitem__, leaves), strict=True))
    return values


@functools.cache
def field_plan(fields: tuple[str, ...]) -> Plan:
    """``fields`` grouped by record section, in order: the plan :func:`read_plan` reads them
    with (made once per tuple of fields)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for path in fields:
        section, _, leaf = path.partition(".")
        groups.setdefault(section, []).append((path, leaf))
    return tuple(
        (section, tuple(p for p, _ in leaves), tuple(leaf for _, leaf in leaves))
        for section, leaves in groups.items()
    )


def apply_readings(values: Mapping[str, object], policy: Policy) -> Facts:
    """The facts as the rules read them: the policy's readings applied.

    First ``false`` is read as unknown for the fields ``false_reads_as: unknown`` names; then each
    conditional reading (``unknown_reads_as`` with ``when``) reads its field, when unknown, as its
    value if its ``when`` holds. Every ``when`` is read over the facts as they were before any
    conditional reading, so no reading sees another's result and their order does not matter.
    """
    facts = dict(values)
    for path in policy.unknown_if_false:
        if facts.get(path) is False:
            facts[path] = None
    if policy.conditional_readings:
        read = [
            (path, value)
            for path, value, when in policy.conditional_readings
            if facts.get(path) is None and evaluate(when, facts) == HOLDS
        ]
        facts.update(read)
    return facts


def record_facts(record: AssessmentRecord, fields: tuple[str, ...], policy: Policy) -> Facts:
    """The facts the rules read (path → value, ``None`` = unknown), with the policy's readings."""
    return apply_readings(record_values(record, fields), policy)


class Evaluator(Protocol):
    def statuses(self, facts: Mapping[str, object]) -> Statuses: ...


class PythonEvaluator:
    """The reference reading of every slot, in plain Python."""

    def __init__(self, policy: Policy) -> None:
        self.slots = policy.slots
        self.triggers = policy.trigger_slots

    def statuses(self, facts: Mapping[str, object]) -> Statuses:
        out: Statuses = {}
        for slot, cond in self.slots:
            status = evaluate(cond, facts)
            out[slot] = FAILS if status == UNKNOWN and slot in self.triggers else status
        return out


_instances = itertools.count(1)

SESSION_DECISIONS = 10_000
"""Decisions made in one durable-rules session before it is deleted and a new one is taken."""


class DurableEvaluator:
    """Every slot's status for one record, matched by durable-rules."""

    def __init__(self, policy: Policy) -> None:
        triggers = policy.trigger_slots
        self._blank: Statuses = {
            slot: FAILS if slot in triggers else UNKNOWN for slot, _ in policy.slots
        }
        """Every slot's status when none of its rules fires (in slot order)."""
        # Kept between processes, keyed on what it is made of: the conditions and which of them
        # are two-valued (not the digest: a policy made in code may change rules and keep it).
        made_of = repr((policy.slots, sorted(triggers))).encode()
        definition, decides = kept("compiled", [made_of], lambda: compile_rules(policy))
        self._meaning: dict[str, tuple[tuple[str, Status, bool], ...]] = {
            name: tuple(
                (slot, HOLDS if holds else FAILS, slot not in triggers) for slot, holds in slots
            )
            for name, slots in decides.items()
        }
        """Each rule's name → the slots it decides: each slot, the status the rule's firing
        means for it, and whether the slot is three-valued (so a second rule of the slot firing
        is a contradiction). The catch-all decides the ``always`` conditions."""
        self.name = ruleset_name(policy, f"{os.getpid()}.{next(_instances)}")
        self._sids = itertools.count(1)
        self._ids = itertools.count(1)
        self._paths = condition_fields(policy)
        self._fact_keys = tuple(map(fact_key, self._paths))
        """The fields the conditions read, and their keys in the asserted fact (a fact shown
        only as evidence is never sent: no rule tests it)."""
        self._lists = tuple(fact_key(path) for path in has_fields(policy))
        """The keys of the list fields a ``has`` test reads (an empty one is asserted as
        ``[EMPTY_ITEM]``)."""
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._handle: int | None = None
        self.session_decisions = SESSION_DECISIONS
        """Decisions made in one session before it is replaced."""
        self._sid = str(next(self._sids))
        self._used = 0
        self._dirty = False
        """Whether the session may hold a fact or an unfinished action (see :meth:`_renew`)."""
        try:
            self._handle = durable_rules_engine.create_ruleset(
                self.name, json.dumps(definition, allow_nan=False)
            )
        except durable_rules_engine.error as exc:
            raise EngineError(
                f"durable-rules could not compile policy {policy.version} ({exc}); "
                "check the rule files with `transport-policy rules check`"
            ) from None

    def close(self) -> None:
        """Delete the ruleset (``durable_rules_engine.delete_ruleset``), freeing its memory and its
        session; the evaluator cannot be used afterwards."""
        with self._lock:
            if self._handle is not None and os.getpid() == self._pid:
                durable_rules_engine.delete_ruleset(self._handle)
            self._handle = None

    def statuses(self, facts: Mapping[str, object]) -> Statuses:
        if os.getpid() != self._pid:
            raise EngineError(
                "a rule engine cannot be shared across processes; load it in each worker"
            )
        values = zip(self._fact_keys, map(facts.get, self._paths), strict=True)
        fact: dict[str, object] = {key: v for key, v in values if v is not None}
        for key in self._lists:
            if fact.get(key) == []:
                fact[key] = [EMPTY_ITEM]
        fact[ANCHOR_KEY] = ANCHOR
        fired: set[str] = set()
        engine = durable_rules_engine
        with self._lock:
            handle = self._handle
            if handle is None:
                raise EngineError("this rule engine was closed (its policy changed on disk)")
            if self._dirty or self._used >= self.session_decisions:
                self._renew(handle)
            fact["sid"] = self._sid
            fact["id"] = str(next(self._ids))
            payload = _encode(fact)
            self._used += 1
            self._dirty = True  # before asserting: an interruption may come at any bytecode
            try:
                code, state = engine.assert_fact(handle, payload)
                if code != 0:
                    raise EngineError(f"durable-rules did not accept the record (code {code})")
                result = engine.start_action_for_state(handle, state)
                message = result[1] if result else None
                while message:
                    fired.add(message[2 : message.index('"', 2)])
                    message = engine.complete_and_start_action(handle, state)
                code, _ = engine.retract_fact(handle, payload)
                # Clean only if the fact is gone and nothing is left to act on.
                self._dirty = code != 0 or bool(engine.start_action_for_state(handle, state))
            except (engine.error, MemoryError) as exc:
                raise EngineError(
                    f"durable-rules failed while matching ({type(exc).__name__}: {exc})"
                ) from None
        if CATCH_ALL not in fired:
            raise EngineError(
                "durable-rules did not complete the match (catch-all rule not reached)"
            )
        return self._read(fired)

    def _renew(self, handle: int) -> None:
        """Delete the session and take a new one.

        An exception raised asynchronously (a signal handler, Ctrl-C, a cancelled request) can
        arrive between any two bytecodes; so a session is marked dirty *before* a fact is
        asserted and clean only after that fact is retracted with nothing left to act on, and a
        dirty session is deleted here, before the next decision, and never reused. Deleting a
        session that is already gone, or was never asserted into, is a harmless engine error
        (309), ignored; deleting one whose actions were not all completed, or whose facts were
        all retracted, is safe. The new session's name is taken only after the old one is
        deleted, so an interruption in between deletes it again (309) on the next call.
        """
        try:  # noqa: SIM105 (the fast path of every decision goes around this)
            durable_rules_engine.delete_state(handle, self._sid)
        except durable_rules_engine.error:
            pass  # error 309: never asserted, or deleted just before an interruption
        self._sid = str(next(self._sids))
        self._used = 0
        self._dirty = False

    def _read(self, fired: set[str]) -> Statuses:
        out = self._blank.copy()
        meaning = self._meaning
        for name in fired:
            for slot, status, three_valued in meaning[name]:
                if three_valued and out[slot] != UNKNOWN:
                    raise EngineError(
                        f"durable-rules found {slot} both holding and failing", rule_id=slot
                    )
                out[slot] = status
        return out
