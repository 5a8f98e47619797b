"""``rules check`` results: what the check found, and the records it shows as counterexamples."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model.record import FIELD_ORDER
from ..rules.model import Policy

OVERRIDE_REASON = "Recorded by the assessor (a counterexample found by rules check)."


@dataclass(frozen=True)
class Finding:
    kind: str
    message: str
    rule: str | None = None
    clause: str | None = None
    field: str | None = None
    record: dict[str, Any] | None = None
    """The counterexample: an assessment record (known facts only), or ``None``."""

    @property
    def subject(self) -> str:
        return self.rule or self.clause or self.field or "policy"


@dataclass
class Report:
    policy: Policy
    findings: list[Finding] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings


def record_from_facts(policy: Policy, facts: Mapping[str, object]) -> dict[str, Any]:
    """A valid assessment record with these facts known (``None`` facts left out)."""
    data: dict[str, Any] = {
        "case_id": f"rules-check-{policy.version}",
        "assessment_date": policy.effective_from.isoformat(),
    }
    for path in sorted((p for p, v in facts.items() if v is not None), key=FIELD_ORDER.__getitem__):
        section, _, leaf = path.partition(".")
        data.setdefault(section, {})[leaf] = facts[path]
    if "override" in data:
        if "outcome" not in data["override"]:
            del data["override"]
        else:
            data["override"].setdefault("reason", OVERRIDE_REASON)
    return data
