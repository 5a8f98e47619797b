"""The shape of rule files, as pydantic models (validated when a policy loads).

A policy version is a folder (``rules/<version>/``) holding ``policy.yaml`` (the manifest), the
clause catalogue, the question prompts and the rule files the manifest lists.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from ..model.decision import Outcome

Kind = Literal[
    "scope",
    "exclusion",
    "provide",
    "charging",
    "provision",
    "action",
    "appeal",
    "next_step",
    "override",
]
Role = Literal["decides", "triggers", "informs"]
GroundsRole = Literal["alternative", "expectation"]
"""What an exclusion that holds is: an *alternative* (another way to make the journey) or an
*expectation* (the policy expects the person to meet the need another way: use their mobility
benefit, or travel to the service they chose at their own cost)."""

Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
# Booleans are true or false only, as in conditions (the YAML reader keeps yes, no and on as text).
RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]


class _Spec(BaseModel):
    # Built on first validation: a run that finds its policy already loaded (rules.stored)
    # never validates a rule file, and does not pay for building these models.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ClauseSpec(_Spec):
    id: Text
    section: Text
    role: Role
    text: Text
    source: Text | None = None
    from_policy_text: StrictBool = True
    """False for a clause the policy text does not contain (a statutory duty or guidance the
    policy must be read with); its ``source`` then names where it comes from."""
    informative_reason: Text | None = None


class ClauseFile(_Spec):
    clauses: list[ClauseSpec]


class QuestionSpec(_Spec):
    field: Text
    prompt: Text


class QuestionFile(_Spec):
    questions: list[QuestionSpec]


class TextVariant(_Spec):
    when: Any = None
    text: Text


class AlsoCite(_Spec):
    clause: Text
    when: Any = None
    summary: Text | None = None


class ConsideredText(_Spec):
    fails: Text
    unknown: Text
    defeated: Text | None = None


class RuleSpec(_Spec):
    id: RuleId
    kind: Kind
    clause: Text
    description: Text
    note: Text
    condition: Any
    unless: Any = None
    also_cites: list[AlsoCite] = Field(default_factory=list)
    summary: Text | list[TextVariant]
    considered: ConsideredText | None = None
    outcomes: list[Outcome] | None = None
    basis: Literal["final", "recommended"] = "final"
    temporary: StrictBool = False
    review: StrictBool = False
    effect: Literal["apply", "warn"] | None = None
    role: GroundsRole | None = None
    """Exclusions only: ``alternative`` (the default) or ``expectation``."""
    evidence: list[Text] = Field(default_factory=list)
    """Facts shown with the rule's reason that never decide it (e.g. whose car is used)."""


class RuleFile(_Spec):
    rules: list[RuleSpec]


class ReadingSpec(_Spec):
    """How the rules read a field: ``false_reads_as: unknown`` (a recorded ``false`` is read as
    not yet established), or ``unknown_reads_as: true|false`` with ``when`` (an unknown field is
    read as that value when the condition holds). Exactly one of the two kinds."""

    field: Text
    false_reads_as: Literal["unknown"] | None = None
    unknown_reads_as: StrictBool | None = None
    when: Any = None
    """With ``unknown_reads_as`` only: a condition (no ``rule:`` references) over the facts as
    recorded (``false_reads_as`` applied, no other conditional reading)."""
    clause: Text
    note: Text


class ProcedureReason(_Spec):
    outcome: Outcome
    clause: Text
    summary: Text
    grounds: GroundsRole | None = None
    """Given only when a rule of this role is among the grounds (an exclusion that holds)."""
    when: Any = None
    """Given only when this condition holds (no ``rule:`` references)."""
    temporary_summary: Text | None = None
    """The summary when the decision is temporary (an alternative is out of use for now)."""


class Manifest(_Spec):
    id: Text
    version: Text
    title: Text
    effective_from: dt.date
    next_review: dt.date | None = None
    supersedes: Text | None = None
    approved: Text | None = None
    extends: Text | None = None
    clauses: Text | None = None
    questions: Text | None = None
    files: list[Text] | None = None
    remove_rules: list[Text] = Field(default_factory=list)
    readings: list[ReadingSpec] | None = None
    procedure: list[ProcedureReason] | None = None
    notes: Text | None = None
