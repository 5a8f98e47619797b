"""Running compiled rules in durable-rules, safely.

The wrapper drives durable-rules' C module directly (``durable_rules_engine``): no ``Host``, so no
timer threads and no ``$pulse`` facts; one fact per decision in a fresh session that is deleted in
``finally`` (so the 1,024-live-sessions cap is never reached); facts not events, so every matching
rule fires. Errors from the engine become :class:`~transport_policy.errors.EngineError`.

:class:`PythonEvaluator` reads the same conditions in plain Python. It is the reference the
property tests compare the engine with, and the evaluator used by ``rules check``.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import threading
from collections.abc import Mapping
from typing import Protocol

import durable_rules_engine

from ..errors import EngineError
from ..model.record import AssessmentRecord
from ..rules.conditions import FAILS, HOLDS, UNKNOWN, Statuses, evaluate, fields_read
from ..rules.model import Policy
from .compile import ANCHOR, ANCHOR_KEY, CATCH_ALL, compile_policy, fact_key, ruleset_name

_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))
Facts = dict[str, object]


def condition_fields(policy: Policy) -> tuple[str, ...]:
    """Every record field the policy's conditions read."""
    return tuple(dict.fromkeys(f for _, cond in policy.slots for f in fields_read(cond)))


def policy_fields(policy: Policy) -> tuple[str, ...]:
    """Every record field the policy's conditions read, then the facts its rules show as
    evidence and those its procedure reasons' ``when`` read (read for the explanation only)."""
    shown = (f for rule in policy.rules for f in rule.evidence)
    procedure = (f for cond in policy.procedure_when for f in fields_read(cond))
    return tuple(dict.fromkeys((*condition_fields(policy), *shown, *procedure)))


def record_values(record: AssessmentRecord, fields: tuple[str, ...]) -> Facts:
    """The recorded values of ``fields`` (path → value, ``None`` = unknown)."""
    values: Facts = {}
    for section, leaves in _plan(fields):
        part = getattr(record, section)
        if part is None:
            values.update(dict.fromkeys((path for path, _ in leaves), None))
            continue
        attrs = part.__dict__
        for path, leaf in leaves:
            values[path] = attrs[leaf]
    return values


@functools.cache
def _plan(fields: tuple[str, ...]) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """``fields`` grouped by record section, in order: (section, ((path, leaf), ...))."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for path in fields:
        section, _, leaf = path.partition(".")
        groups.setdefault(section, []).append((path, leaf))
    return tuple((section, tuple(leaves)) for section, leaves in groups.items())


def apply_readings(values: Mapping[str, object], policy: Policy) -> Facts:
    """The facts as the rules read them: the policy's readings applied (``false`` read as
    unknown for the fields it names)."""
    facts = dict(values)
    for path in policy.unknown_if_false:
        if facts.get(path) is False:
            facts[path] = None
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


class DurableEvaluator:
    """Every slot's status for one record, matched by durable-rules."""

    def __init__(self, policy: Policy) -> None:
        self._names = tuple(
            (slot, slot + "#H", None if slot in policy.trigger_slots else slot + "#F")
            for slot, _ in policy.slots
        )
        definition = compile_policy(policy)
        self.name = ruleset_name(policy, f"{os.getpid()}.{next(_instances)}")
        self._sids = itertools.count(1)
        self._keys = {path: fact_key(path) for path in policy_fields(policy)}
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._handle: int | None = None
        self._open: list[str] = []
        """Sessions that may exist in the engine and are not yet deleted (see :meth:`_release`)."""
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
        """Delete the ruleset (``durable_rules_engine.delete_ruleset``), freeing its memory; the
        evaluator cannot be used afterwards."""
        with self._lock:
            if self._handle is not None and os.getpid() == self._pid:
                durable_rules_engine.delete_ruleset(self._handle)
            self._handle = None

    def statuses(self, facts: Mapping[str, object]) -> Statuses:
        if os.getpid() != self._pid:
            raise EngineError(
                "a rule engine cannot be shared across processes; load it in each worker"
            )
        sid = str(next(self._sids))
        keys = self._keys
        fact: dict[str, object] = {keys[k]: v for k, v in facts.items() if v is not None}
        fact[ANCHOR_KEY] = ANCHOR
        fact["sid"] = sid
        fact["id"] = "record"
        try:
            payload = _ENCODER.encode(fact)
        except ValueError:
            raise EngineError("a fact is not a finite JSON value") from None
        fired: set[str] = set()
        with self._lock:
            handle = self._handle
            if handle is None:
                raise EngineError("this rule engine was closed (its policy changed on disk)")
            self._release()  # sessions left by a call interrupted before its own release
            self._open.append(sid)  # before asserting: an interruption may come at any bytecode
            try:
                code, state = durable_rules_engine.assert_fact(handle, payload)
                if code != 0:
                    raise EngineError(f"durable-rules did not accept the record (code {code})")
                result = durable_rules_engine.start_action_for_state(handle, state)
                message = result[1] if result else None
                while message:
                    fired.add(message[2 : message.index('"', 2)])
                    message = durable_rules_engine.complete_and_start_action(handle, state)
            except (durable_rules_engine.error, MemoryError) as exc:
                raise EngineError(
                    f"durable-rules failed while matching ({type(exc).__name__}: {exc})"
                ) from None
            finally:
                self._release()
        if CATCH_ALL not in fired:
            raise EngineError(
                "durable-rules did not complete the match (catch-all rule not reached)"
            )
        return self._read(fired)

    def _release(self) -> None:
        """Delete every session still open.

        An exception raised asynchronously (a signal handler, Ctrl-C, a cancelled request) can
        arrive between any two bytecodes, even inside ``finally``; so a session is recorded as
        open *before* it is asserted and forgotten only after it is deleted, and whatever an
        interruption left open is deleted at the start of the next call. Deleting a session that
        is already gone is a harmless engine error (309), ignored here; deleting one whose actions
        were not all completed is safe. Without this, 1,024 leaked sessions break the ruleset for
        the rest of the process.
        """
        if self._handle is None:
            self._open.clear()
        while self._open:
            # error 309: never asserted, or deleted just before an interruption
            with contextlib.suppress(durable_rules_engine.error):
                durable_rules_engine.delete_state(self._handle, self._open[-1])
            self._open.pop()

    def _read(self, fired: set[str]) -> Statuses:
        out: Statuses = {}
        for slot, holds_name, fails_name in self._names:
            holds = holds_name in fired
            if fails_name is None:
                out[slot] = HOLDS if holds else FAILS
                continue
            fails = fails_name in fired
            if holds and fails:
                raise EngineError(
                    f"durable-rules found {slot} both holding and failing", rule_id=slot
                )
            out[slot] = HOLDS if holds else FAILS if fails else UNKNOWN
        return out
