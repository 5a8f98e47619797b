"""One process decides tens of thousands of records: no error, the same decisions throughout, and
memory that stays flat once warmed up.

durable-rules allows 1,024 live sessions per ruleset and breaks for good on the next one, so this
also shows that sessions are released: one serves 10,000 decisions (each fact retracted after its
decision), then is deleted and replaced, three times over here.
"""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from strategies import records, sample
from transport_policy import decide
from transport_policy.api import select_policy
from transport_policy.casefile import parse_record
from transport_policy.engine import engine_for
from transport_policy.engine.runtime import DurableEvaluator

DECISIONS = 30_000
WARM_UP = 2_000
DISTINCT = 300
MAX_GROWTH_BYTES = 50 * 1024 * 1024
STATUS = Path("/proc/self/status")


def memory() -> dict[str, int]:
    """Resident set size now (``VmRSS``) and at its peak (``VmHWM``), in bytes."""
    out = {}
    for line in STATUS.read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(rest.split()[0]) * 1024
    return out


@pytest.mark.slow  # 30,000 decisions: run by its own step in .ci/run, not by a plain `pytest`
@pytest.mark.skipif(not STATUS.exists(), reason="needs /proc/self/status to read memory use")
def test_tens_of_thousands_of_decisions_in_one_process() -> None:
    generated = [parse_record(data) for data in sample(records(), DISTINCT)]
    assert len(generated) > DISTINCT // 2
    for record in generated:
        assert isinstance(engine_for(select_policy(record)).evaluator, DurableEvaluator)
    first = [decide(record).to_json() for record in generated]
    for i in range(WARM_UP):
        decide(generated[i % len(generated)])

    before = memory()
    outcomes: collections.Counter[str] = collections.Counter()
    for i in range(DECISIONS):
        index = i % len(generated)
        decision = decide(generated[index])
        outcomes[decision.recommended_outcome] += 1
        if i < len(generated) or i % 97 == 0:
            assert decision.to_json() == first[index], "a record was decided differently later"
    after = memory()

    assert set(outcomes) == {"provide", "do_not_provide", "out_of_scope", "needs_information"}
    for key in ("VmRSS", "VmHWM"):
        growth = after[key] - before[key]
        assert growth < MAX_GROWTH_BYTES, f"{key} grew by {growth // 1024} KiB"
