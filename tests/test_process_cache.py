"""The process cache: a rule edit is seen on the next call; evicted engines free their rulesets."""

from __future__ import annotations

import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest

from transport_policy import PolicyStore, decide, load_case
from transport_policy.engine import Engine
from transport_policy.engine.cache import RECHECK_SECONDS, ProcessCache
from transport_policy.errors import EngineError

ROOT = Path(__file__).resolve().parents[1]
CASE = (
    ROOT
    / "cases"
    / ("a-woman-whose-own-car-it-is-unreasonable-to-expect-her-to-drive-is-provided-transport.yaml")
)
JUDGEMENT = "        - {field: judgement.own_vehicle_use_reasonable, is: true}\n"


def _rss_kib() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4


def test_a_rule_edit_is_seen_on_the_next_call(tmp_path: Path) -> None:
    rules = Path(shutil.copytree(ROOT / "rules", tmp_path / "rules"))
    record, _ = load_case(CASE)
    first = decide(record, rules=rules)
    assert decide(record, rules=rules).policy.digest == first.policy.digest
    exclusions = rules / "2021-01" / "exclusions.yaml"
    exclusions.write_text(
        exclusions.read_text(encoding="utf-8").replace(JUDGEMENT, "", 1), encoding="utf-8"
    )
    time.sleep(RECHECK_SECONDS)  # a call this long after an edit is guaranteed to see it
    second = decide(record, rules=rules)
    assert (first.outcome, second.outcome) == ("provide", "do_not_provide")
    assert second.policy.digest != first.policy.digest


def test_a_fresh_look_sees_an_edit_made_within_the_recheck_interval(tmp_path: Path) -> None:
    """``fresh=True`` (what replay and the service's readiness use) compares the files now."""
    rules = Path(shutil.copytree(ROOT / "rules", tmp_path / "rules"))
    cache = ProcessCache(recheck_seconds=3600)
    before = cache.store(str(rules))
    digest = before.get("2021-01").digest
    exclusions = rules / "2021-01" / "exclusions.yaml"
    exclusions.write_text(
        exclusions.read_text(encoding="utf-8").replace(JUDGEMENT, "", 1), encoding="utf-8"
    )
    assert cache.store(str(rules)) is before  # within the interval: trusted
    after = cache.store(str(rules), fresh=True)
    assert after is not before
    assert after.get("2021-01").digest != digest


def test_an_edit_of_a_base_version_is_seen_through_its_overlay(tmp_path: Path) -> None:
    rules = Path(shutil.copytree(ROOT / "rules", tmp_path / "rules"))
    record, _ = load_case(CASE)
    first = decide(record, rules=rules, policy="2016")
    exclusions = rules / "2021-01" / "exclusions.yaml"
    exclusions.write_text(
        exclusions.read_text(encoding="utf-8").replace(JUDGEMENT, "", 1), encoding="utf-8"
    )
    time.sleep(RECHECK_SECONDS)
    assert decide(record, rules=rules, policy="2016").outcome != first.outcome


def test_a_changed_policy_evicts_and_closes_the_engine_of_its_earlier_content() -> None:
    cache = ProcessCache()
    policy = PolicyStore().get("2021-01")
    old = cache.engine(policy, Engine)
    new = cache.engine(replace(policy, digest="sha256:other"), Engine)
    assert new is not old and cache.engine_count == 1
    record, _ = load_case(CASE)
    with pytest.raises(EngineError, match="closed"):
        old.decide(record)
    assert new.decide(record).outcome == "provide"
    cache.clear()


def test_evicting_many_engines_frees_their_memory() -> None:
    """Each compiled ruleset holds about 3.3 MB in durable-rules: 200 of them kept would add
    well over 100 MB; created and evicted one after another, memory stays flat."""
    cache = ProcessCache(max_engines=2)
    policy = PolicyStore().get("2021-01")
    for i in range(20):  # warm up allocator pools
        cache.engine(replace(policy, digest=f"sha256:warm{i}"), Engine)
    before = _rss_kib()
    for i in range(200):
        cache.engine(replace(policy, directory=f"/versions/{i}", digest=f"sha256:{i}"), Engine)
    assert cache.engine_count == 2
    assert _rss_kib() - before < 20_000
    cache.clear()
    assert cache.engine_count == 0
