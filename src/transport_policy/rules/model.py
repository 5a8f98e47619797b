"""A loaded, validated policy version: clauses, rules with parsed conditions, prompts."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property

from .conditions import All, Always, Condition, Not, fields_read
from .schema import ClauseSpec, ProcedureReason, ReadingSpec

THREE_VALUED_KINDS = frozenset({"scope", "exclusion", "provide", "provision"})
PLACEHOLDER = re.compile(r"\{([a-z_]+\.[a-z_]+)\}")


@dataclass(frozen=True)
class TextChoice:
    """A text, used when ``when`` holds (``Always`` for the default)."""

    when: Condition
    text: str


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    clause: str
    description: str
    note: str
    condition: Condition
    unless: Condition | None
    also_cites: tuple[tuple[str, Condition], ...]
    also_summaries: tuple[str | None, ...]
    """The text of each also-cited clause's reason (``None``: the rule's own summary)."""
    summary: tuple[TextChoice, ...]
    considered: dict[str, str]
    outcomes: tuple[str, ...]
    basis: str
    temporary: bool
    review: bool
    effect: str | None
    source: str
    evidence: tuple[str, ...] = ()
    """Facts shown with the rule's facts that its condition does not test."""
    role: str | None = None
    """Exclusions: ``alternative`` or ``expectation`` (:data:`.schema.GroundsRole`); ``None`` for
    every other kind."""

    @property
    def fields(self) -> list[str]:
        """Every field the rule's condition and defeater read, in order of first appearance."""
        return fields_read(self.effective)

    @cached_property
    def effective(self) -> Condition:
        """The condition under which the rule holds: its condition, and not its defeater (made
        once, so a :class:`~.conditions.Reading` can remember its status by identity)."""
        if self.unless is None:
            return self.condition
        return All((self.condition, Not(self.unless)))

    def slots(self) -> list[tuple[str, Condition]]:
        """Every condition of the rule, each with a stable slot id."""
        out: list[tuple[str, Condition]] = [(f"{self.id}/condition", self.condition)]
        if self.unless is not None:
            out.append((f"{self.id}/unless", self.unless))
        out.extend((f"{self.id}/also/{i}", cond) for i, (_, cond) in enumerate(self.also_cites))
        out.extend(
            (f"{self.id}/summary/{i}", choice.when)
            for i, choice in enumerate(self.summary)
            if not isinstance(choice.when, Always)
        )
        return out


@dataclass(frozen=True)
class Policy:
    """One version of the policy, loaded from ``rules/<version>/``."""

    id: str
    version: str
    title: str
    effective_from: dt.date
    digest: str
    directory: str
    clauses: dict[str, ClauseSpec]
    rules: tuple[Rule, ...]
    prompts: dict[str, str]
    readings: tuple[ReadingSpec, ...]
    procedure: tuple[ProcedureReason, ...]
    supersedes: str | None = None
    approved: str | None = None
    next_review: dt.date | None = None
    """When this version was due for review (``governance.review``): a decision assessed later
    warns that the version must be confirmed as still current. A version's own: an overlay does
    not inherit its base's."""
    files: tuple[str, ...] = field(default=())
    extends: str | None = None
    folders: tuple[str, ...] = field(default=())
    """The folders this version was loaded from: its own, then its base's, and so on."""
    procedure_when: tuple[Condition, ...] = field(default=())
    """Each procedure reason's ``when`` (``Always`` when it has none), in the order of
    ``procedure``."""
    conditional_readings: tuple[tuple[str, bool, Condition], ...] = field(default=())
    """The readings ``unknown_reads_as`` with their ``when``, parsed: (field, value, condition),
    in the order of ``readings``."""

    @cached_property
    def clause_order(self) -> dict[str, int]:
        return {cid: i for i, cid in enumerate(self.clauses)}

    @cached_property
    def by_kind(self) -> dict[str, tuple[Rule, ...]]:
        kinds: dict[str, list[Rule]] = {}
        for rule in self.rules:
            kinds.setdefault(rule.kind, []).append(rule)
        return {k: tuple(v) for k, v in kinds.items()}

    @cached_property
    def _for_outcomes(self) -> dict[tuple[str, str, str], tuple[Rule, ...]]:
        return {}

    def for_outcomes(self, kind: str, recommended: str, final: str) -> tuple[Rule, ...]:
        """The rules of ``kind`` that a decision with these outcomes triggers if they hold: each
        listing the recommended or the final outcome, as its ``basis`` says (made once for each
        kind and pair of outcomes)."""
        key = (kind, recommended, final)
        found = self._for_outcomes.get(key)
        if found is None:
            found = self._for_outcomes[key] = tuple(
                r
                for r in self.by_kind.get(kind, ())
                if (recommended if r.basis == "recommended" else final) in r.outcomes
            )
        return found

    @cached_property
    def rule_index(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    @cached_property
    def slots(self) -> tuple[tuple[str, Condition], ...]:
        return tuple(slot for rule in self.rules for slot in rule.slots())

    @cached_property
    def trigger_slots(self) -> frozenset[str]:
        """Slots whose only question is "does it hold?" (charges, actions, provision wording,
        override, appeal, text variants, also-cited clauses). Evaluators report them as holding
        or failing, "fails" meaning "not established to hold"; the engine compiles their
        holds-test alone. Scope, exclusion, provide and provision conditions stay three-valued."""
        out: set[str] = set()
        for rule in self.rules:
            for slot, _ in rule.slots():
                three_valued = rule.kind in THREE_VALUED_KINDS and slot.endswith(
                    ("/condition", "/unless")
                )
                if not three_valued:
                    out.add(slot)
        return frozenset(out)

    @cached_property
    def unknown_if_false(self) -> frozenset[str]:
        return frozenset(r.field for r in self.readings if r.false_reads_as == "unknown")

    @cached_property
    def reading_fields(self) -> tuple[str, ...]:
        """The fields the conditional readings set and read (their ``when``), in order."""
        return tuple(
            dict.fromkeys(
                f for path, _, when in self.conditional_readings for f in (path, *fields_read(when))
            )
        )

    @cached_property
    def reads(self) -> dict[str, tuple[str, ...]]:
        """Each rule's fields (:attr:`Rule.fields`), then the fields the ``when`` of a
        conditional reading of one of them reads: every recorded field its status depends on."""
        depends: dict[str, list[str]] = {}
        for path, _, when in self.conditional_readings:
            depends.setdefault(path, []).extend(fields_read(when))
        return {
            rule.id: tuple(
                dict.fromkeys((*rule.fields, *(f for p in rule.fields for f in depends.get(p, ()))))
            )
            for rule in self.rules
        }
