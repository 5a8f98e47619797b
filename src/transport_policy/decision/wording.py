"""The wording of a decision: summaries, the facts each reason cites, the texts of rules
considered, and the questions' prompts, all from the rule files.

Which text variant applies (a summary's or an also-cited clause's ``when``) is given by a
:class:`Variants`; which facts a reason cites and which fields a question asks come from the
explanation pass (:class:`~transport_policy.rules.conditions.Reading`), which reads each node of a
condition at most once per record.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol, TypeVar

from ..model.decision import (
    Considered,
    Entry,
    FactValue,
    Provision,
    Question,
    Reason,
    facts_are_values,
    trusted,
)
from ..questions.selection import asked_by, in_field_order, question
from ..rules.conditions import HOLDS, Always, Reading
from ..rules.model import PLACEHOLDER, Policy, Rule
from .precedence import RuleStatus, States, combined_status


def label(value: object) -> str:
    """A fact's value in words, for summaries."""
    if value is None:
        return "unknown"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value).replace("_", " ")


def fill(text: str, raw: Mapping[str, object]) -> str:
    """Replace ``{section.field}`` placeholders with the fact's value in words."""
    if "{" not in text:
        return text
    return PLACEHOLDER.sub(lambda m: label(raw.get(m.group(1))), text)


_EXPLAINED_WITH_DEFEATER = frozenset({RuleStatus.HOLDS, RuleStatus.DEFEATED})
_WORD = {status: status.value for status in RuleStatus}
_C = TypeVar("_C", Reason, Considered)


HEALTH_SAFETY = "travel.specialised_transport_for_health_safety"
HEALTH_SAFETY_CLAUSE = "provide.health_safety"
REVIEW_CLAUSE = "governance.review"


def health_safety_warning(concern: object, outcome: str, policy: Policy) -> list[str]:
    """A fact that bears on a refusal without deciding it: an identified health and safety
    concern calling for specialised transport (``concern``: the recorded value of
    ``travel.specialised_transport_for_health_safety``), when the final outcome is not to
    provide."""
    if outcome != "do_not_provide" or concern is not True:
        return []
    if HEALTH_SAFETY_CLAUSE not in policy.clauses:
        return []
    return [
        "An identified health and safety concern calling for specialised transport arrangements "
        f"is recorded ({HEALTH_SAFETY_CLAUSE}), and transport is not provided: record how the "
        "alternative relied on meets that concern, or consider whether it should be provided."
    ]


def review_warning(assessed: dt.date, policy: Policy) -> list[str]:
    """The version was due for review before the assessment date (never today's date)."""
    due = policy.next_review
    if due is None or assessed <= due:
        return []
    return [
        f"This policy version ({policy.version}) was due for review by {due.isoformat()} "
        f"({REVIEW_CLAUSE}), before the assessment date {assessed.isoformat()}: confirm that it "
        "is still current before relying on this decision."
    ]


def _cited(cls: type[_C], *values: object) -> _C:
    """A reason or considered entry from its fields in order, facts last: made without validating
    again when every fact is a plain value, validated (and refused, as ever) when one is not."""
    facts = values[-1]
    if facts_are_values(facts):  # type: ignore[arg-type]
        return trusted(cls, *values)
    return cls.model_validate(dict(zip(cls.model_fields, values, strict=True)))


class Variants(Protocol):
    """Which ``when`` of a rule's texts holds for the record being worded."""

    def summary(self, rule: Rule, index: int) -> bool:
        """Whether the ``when`` of the rule's summary variant ``index`` holds."""
        ...

    def also(self, rule: Rule, index: int) -> bool:
        """Whether the ``when`` of the rule's also-cited clause ``index`` holds."""
        ...


class ReadVariants:
    """Text variants read from the explanation pass (for callers with no evaluator statuses)."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading

    def summary(self, rule: Rule, index: int) -> bool:
        return self.reading.status(rule.summary[index].when) == HOLDS

    def also(self, rule: Rule, index: int) -> bool:
        return self.reading.status(rule.also_cites[index][1]) == HOLDS


def summary_text(rule: Rule, variants: Variants, raw: Mapping[str, object]) -> str:
    """The rule's summary: the first variant whose ``when`` holds (the last is the default)."""
    for i, choice in enumerate(rule.summary):
        if isinstance(choice.when, Always) or variants.summary(rule, i):
            return fill(choice.text, raw)
    raise AssertionError("the last summary variant is the default")  # checked when loading


def constant_entries(policy: Policy) -> dict[str, Entry]:
    """The entry of every rule whose summary is the same for every record (one variant, no
    placeholder), made once per policy: rule id → entry. Output models are frozen, so one
    instance serves every decision citing the rule."""
    out = {}
    for rule in policy.rules:
        first = rule.summary[0]
        if isinstance(first.when, Always) and "{" not in first.text:
            out[rule.id] = trusted(Entry, rule.clause, rule.id, first.text)
    return out


def _nothing(facts: Mapping[str, object]) -> object:
    return ()


class Explanations:
    """The fields that explain each rule's status, remembered across records.

    A rule's explanation depends only on its status and on the facts its condition and defeater
    read (as the rules read them), so records alike in those facts share it: it is worked out
    once for each. At most :attr:`limit` are kept (past it, all are forgotten at once); one
    instance serves one policy version (:class:`~.build.SlotReader`).
    """

    limit = 4096

    def __init__(self, policy: Policy) -> None:
        self._read: dict[str, Callable[[Mapping[str, object]], object]] = {
            r.id: operator.itemgetter(*r.fields) if r.fields else _nothing for r in policy.rules
        }
        """Rule id → the values of the facts its explanation depends on (:attr:`Rule.fields`:
        what its condition and defeater read), read from the facts as the rules read them (which
        hold every field the policy's conditions read)."""
        self._known: dict[tuple[object, ...], tuple[str, ...]] = {}

    def key(
        self, rule: Rule, status: RuleStatus, facts: Mapping[str, object]
    ) -> tuple[object, ...]:
        return (rule.id, status, self._read[rule.id](facts))

    def get(self, key: tuple[object, ...]) -> tuple[str, ...] | None:
        """The explanation remembered for ``key`` (:meth:`key`); ``None`` if there is none or a
        fact in it is a list (not remembered)."""
        try:
            return self._known.get(key)
        except TypeError:
            return None

    def remember(self, key: tuple[object, ...], paths: tuple[str, ...]) -> None:
        if len(self._known) >= self.limit:
            self._known.clear()
        with contextlib.suppress(TypeError):  # a list fact: not remembered
            self._known[key] = paths


class Wording:
    """The texts of one decision."""

    def __init__(
        self,
        policy: Policy,
        states: States,
        reading: Reading,
        raw: Mapping[str, object],
        variants: Variants,
        entries: Mapping[str, Entry] | None = None,
        explanations: Explanations | None = None,
    ) -> None:
        self.policy = policy
        self.states = states
        self.reading = reading
        self.raw = raw
        self.variants = variants
        self.entries: Mapping[str, Entry] = entries if entries is not None else {}
        """Entries made once per policy (:func:`constant_entries`)."""
        self.explanations = explanations
        """Explanations remembered across the records of one policy version, if given."""

    def summary(self, rule: Rule) -> str:
        return summary_text(rule, self.variants, self.raw)

    def _values(self, paths: Iterable[str]) -> dict[str, FactValue]:
        return {p: self.raw.get(p) for p in paths}  # type: ignore[misc]

    def facts_of(self, rule: Rule) -> dict[str, FactValue]:
        """The facts that settle the rule's status (its defeater's too, when it was read)."""
        status = self.states[rule.id].status
        known = self.explanations
        if known is None:
            return self._values(self._explain(rule, status))
        key = known.key(rule, status, self.reading.facts)
        paths = known.get(key)
        if paths is None:
            paths = tuple(self._explain(rule, status))
            known.remember(key, paths)
        return self._values(paths)

    def _explain(self, rule: Rule, status: RuleStatus) -> list[str]:
        paths = self.reading.explain(rule.condition)
        if rule.unless is not None and status in _EXPLAINED_WITH_DEFEATER:
            paths += [p for p in self.reading.explain(rule.unless) if p not in paths]
        if rule.evidence and status is RuleStatus.HOLDS:
            paths += [p for p in rule.evidence if p not in paths]
        return paths

    def reason(self, rule: Rule, branches: Sequence[Rule] = ()) -> Reason:
        """The rule's reason; with the facts of the other ``branches`` that hold for the same
        clause, when there are any (one reason per clause, citing the first)."""
        facts = self._facts_of_all([rule, *branches])
        return _cited(Reason, rule.clause, rule.id, self.summary(rule), facts)

    def _facts_of_all(self, rules: Sequence[Rule]) -> dict[str, FactValue]:
        """The facts of each rule (:meth:`facts_of`) in turn, each fact once, first value kept."""
        facts = self.facts_of(rules[0])
        for rule in rules[1:]:
            facts.update((k, v) for k, v in self.facts_of(rule).items() if k not in facts)
        return facts

    def also_reasons(self, rule: Rule) -> list[Reason]:
        """The reasons for the clauses the rule cites as well whose ``when`` holds, each with the
        facts its ``when`` read."""
        out = []
        for i, (clause, when) in enumerate(rule.also_cites):
            if not (isinstance(when, Always) or self.variants.also(rule, i)):
                continue
            text = rule.also_summaries[i]
            facts = self.facts_of(rule)
            facts.update(self._values(self.reading.explain(when)))
            summary = fill(text, self.raw) if text else self.summary(rule)
            out.append(_cited(Reason, clause, rule.id, summary, facts))
        return out

    def procedure_reasons(
        self, outcome: str, roles: frozenset[str] = frozenset(), *, temporary: bool = False
    ) -> list[Reason]:
        """The reasons the policy's procedure gives for this outcome (one naming a ``grounds``
        role only when the grounds include a rule of that role, one with a ``when`` only when it
        holds, citing the facts it read; a temporary decision's own wording where the reason
        has one)."""
        out = []
        for p, when in zip(self.policy.procedure, self.policy.procedure_when, strict=True):
            if p.outcome != outcome or (p.grounds is not None and p.grounds not in roles):
                continue
            facts: dict[str, FactValue] = {}
            if not isinstance(when, Always):
                if self.reading.status(when) != HOLDS:
                    continue
                facts = self._values(self.reading.explain(when))
            text = p.temporary_summary if temporary and p.temporary_summary else p.summary
            summary = fill(text, self.raw)
            out.append(_cited(Reason, p.clause, None, summary, facts))
        return out

    def considered(self, branches: Sequence[tuple[Rule, RuleStatus]]) -> Considered:
        """The entry of a clause considered and not holding: one rule's, or one for the rules
        of a clause with several branches (their status combined, their texts and facts in
        order, citing the first)."""
        rule, status = branches[0]
        # only exclusion and provide rules, never "holds" (see recommend())
        if len(branches) == 1:  # the usual case
            word = _WORD[status]
            summary = fill(rule.considered[word], self.raw)
            return _cited(
                Considered, rule.clause, rule.id, rule.kind, word, summary, self.facts_of(rule)
            )
        word = _WORD[self._combined(branches)]
        texts = [fill(r.considered[_WORD[s]], self.raw) for r, s in branches]
        facts = self._facts_of_all([branch for branch, _ in branches])
        return _cited(Considered, rule.clause, rule.id, rule.kind, word, " ".join(texts), facts)

    def _combined(self, branches: Sequence[tuple[Rule, RuleStatus]]) -> RuleStatus:
        return combined_status(self.states[r.id] for r, _ in branches)

    def entry(self, rule: Rule) -> Entry:
        made = self.entries.get(rule.id)
        if made is not None:
            return made
        return trusted(Entry, rule.clause, rule.id, self.summary(rule))

    def provision(self, rule: Rule, status: RuleStatus) -> Provision:
        holds = status is RuleStatus.HOLDS
        text = self.summary(rule) if holds else fill(rule.considered[_WORD[status]], self.raw)
        return trusted(Provision, holds, rule.clause, rule.id, text, [])

    def questions(self, rules: Iterable[Rule]) -> list[Question]:
        """What to ask about these rules: each unknown field once, with the clauses asking it,
        in record field order (:mod:`transport_policy.questions.selection`)."""
        asked = in_field_order(asked_by(self.reading, rules))
        return [question(self.policy, path, by) for path, by in asked.items()]
