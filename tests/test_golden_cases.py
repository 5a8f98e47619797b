"""Every case in cases/ is decided as its `expected` block says (one loader for all)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from transport_policy import decide, load_case

CASES = sorted((Path(__file__).resolve().parents[1] / "cases").glob("*.yaml"))


def test_there_are_enough_golden_cases() -> None:
    assert len(CASES) >= 30


def _observed(decision: Any) -> dict[str, Any]:
    return {
        "outcome": decision.outcome,
        "recommended_outcome": decision.recommended_outcome,
        "reasons": [r.clause for r in decision.reasons],
        "questions": [q.field for q in decision.questions],
        "charging": [c.clause for c in decision.charging],
        "actions": [a.clause for a in decision.actions],
        "temporary": decision.temporary,
        "review_required": decision.review_required,
        "taxi_permitted": decision.provision.taxi_permitted if decision.provision else None,
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
