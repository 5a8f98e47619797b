"""Test helpers for the question engine and the interview: proving a question relevant with the
verifier and confirming it with the engine, and an assessor who answers an interview from a full
record."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from strategies import fact, with_facts
from transport_policy import decide
from transport_policy.casefile import parse_record
from transport_policy.engine.runtime import policy_fields, record_facts
from transport_policy.model.fields import FIELDS
from transport_policy.questions.answers import choices
from transport_policy.questions.dialogue import Dialogue
from transport_policy.questions.engine import relevance_of
from transport_policy.questions.interview import Interview
from transport_policy.rules.model import Policy

NEVER_ASKED = ("person.transition_assessment", "benefits.standard_rate_mobility")
"""Facts the policy reads but never asks: a referral records them."""
TITLE = re.compile(r"^(?:Question \d+|To start|Change an answer) \(([a-z_.]+)\)$")
CHECK = "Type a number to change"


def prove_relevant(data: Mapping[str, Any], path: str, policy: Policy) -> None:
    """The verifier finds answers to the record's other open facts under which answering
    ``path`` changes the recommendation, and the engine, deciding both records, agrees."""
    record = parse_record(data)
    facts = record_facts(record, policy_fields(policy), policy)
    found = relevance_of(policy).witness(facts, path)
    assert found is not None, f"{path} is asked but the verifier finds it cannot matter"
    others, answer = found
    base = record.model_dump(mode="json", exclude_none=True)
    base.pop("override", None)  # the recommendation is compared, before any override
    completed = with_facts(base, others)
    left_open = decide(completed, policy=policy).recommended_outcome
    answered = decide(with_facts(completed, {path: answer}), policy=policy).recommended_outcome
    assert left_open != answered, (path, others, answer)


def typed(path: str, value: object) -> str:
    """What an assessor types to give ``value`` (``None``: don't know yet)."""
    numbered = choices(FIELDS[path])
    if value is None:
        return "0" if numbered else "-"
    if isinstance(value, list):  # several choices: their numbers, or "none"
        return " ".join(typed(path, item) for item in value) or "none"
    for number, choice in numbered:
        if choice == value and type(choice) is type(value):
            return number
    return str(value)


@dataclass
class Assessor:
    """Answers every question of an interview from a full record, and confirms at the check.
    With ``prove``, each question is proved relevant when it is asked."""

    full: Mapping[str, Any]
    prove: bool = True
    out: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    interview: Interview | None = None

    def write(self, line: str) -> None:
        self.out.append(line)

    def read(self, prompt: str) -> str:
        if prompt.startswith(CHECK):
            return self._type("")
        path = next(m.group(1) for line in reversed(self.out) if (m := TITLE.match(line)))
        self.asked.append(path)
        value = fact(self.full, path) if "." in path else self.full[path]
        if path == "assessment_date":
            value = str(value)
        if self.prove and self.interview is not None and "." in path:
            prove_relevant(self.interview.data, path, self.interview.policy())
        return self._type(typed(path, value))

    def _type(self, line: str) -> str:
        self.lines.append(line)
        return line

    def run(self, start: Mapping[str, Any] | None = None) -> Any:
        """The interview's decision, started from ``start`` (default: the full record's
        override, which is the assessor's own decision rather than a question, and the facts the
        policy reads but never asks (a transition assessment; the standard rate of the mobility
        component, which only says how the higher rate is read): a referral records them)."""
        begin: dict[str, Any] = {}
        if start is not None:
            begin = dict(start)
        else:
            if self.full.get("override"):
                begin["override"] = self.full["override"]
            for path in NEVER_ASKED:
                value = fact(self.full, path)
                if value is not None:
                    section, _, leaf = path.partition(".")
                    begin.setdefault(section, {})[leaf] = value
        self.interview = Interview.start(begin)
        return Dialogue(self.interview, self.read, self.write).run()
