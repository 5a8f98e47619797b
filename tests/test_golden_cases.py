"""Every case in cases/ is decided as its `expected` block says (one loader for all)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from transport_policy import decide, load_case
from transport_policy.api import select_policy

CASES = sorted((Path(__file__).resolve().parents[1] / "cases").glob("*.yaml"))


def test_there_are_enough_golden_cases() -> None:
    assert len(CASES) >= 30


def test_the_golden_cases_touch_every_clause_that_decides_or_triggers() -> None:
    """Together the cases exercise every clause that can decide, charge, act or route."""
    cited: set[str] = set()
    roles: dict[str, str] = {}
    for path in CASES:
        record, _ = load_case(path)
        decision = decide(record)
        roles.update({c.id: c.role for c in select_policy(record).clauses.values()})
        for group in (decision.reasons, decision.charging, decision.actions, decision.appeal):
            cited |= {entry.clause for entry in group}
        if decision.provision is not None:
            cited.add(decision.provision.clause)
        if decision.override is not None:
            cited.add(decision.override.clause)
    needed = {clause for clause, role in roles.items() if role in ("decides", "triggers")}
    assert needed - cited == set()


def _observed(decision: Any) -> dict[str, Any]:
    return {
        "outcome": decision.outcome,
        "recommended_outcome": decision.recommended_outcome,
        "reasons": [r.clause for r in decision.reasons],
        "questions": [q.field for q in decision.questions],
        "charging": [c.clause for c in decision.charging],
        "actions": [a.clause for a in decision.actions],
        "appeal": [a.clause for a in decision.appeal],
        "next_steps": [s.clause for s in decision.next_steps],
        "temporary": decision.temporary,
        "review_required": decision.review_required,
        "taxi_permitted": decision.provision.taxi_permitted if decision.provision else None,
        "requirements": decision.provision.requirements if decision.provision else None,
        "considered": {c.clause: c.status for c in decision.considered},
        "warnings": len(decision.warnings),
    }


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_case(path: Path) -> None:
    record, expected = load_case(path)
    assert expected, f"{path.name} has no expected block"
    observed = _observed(decide(record))
    for key, want in expected.items():
        if key == "considered":
            got = {clause: observed["considered"].get(clause) for clause in want}
            assert got == want, f"considered: {got} != {want}"
        else:
            assert observed[key] == want, f"{key}: {observed[key]!r} != {want!r}"
