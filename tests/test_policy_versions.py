"""Policy versions: the one in force on the assessment date is used, unless another is asked for."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from transport_policy import PolicyStore, RecordError, decide, load_case
from transport_policy.cli.policies import policies_command

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
CASE = (
    ROOT
    / "cases"
    / ("a-man-who-drives-his-own-car-is-not-provided-transport-and-pays-his-own-fuel.yaml")
)
MANIFEST_ONLY = {"version", "title", "effective_from", "approved", "notes", "supersedes"}


def _record(date: str) -> dict[str, Any]:
    record, _ = load_case(CASE)
    return {**record.model_dump(mode="json", exclude_none=True), "assessment_date": date}


@pytest.mark.parametrize(
    ("date", "version"),
    [
        ("2016-04-01", "2016"),
        ("2018-06-01", "2016"),
        ("2021-01-13", "2016"),
        ("2021-01-14", "2021-01"),
        ("2024-09-30", "2021-01"),
    ],
)
def test_the_version_in_force_on_the_assessment_date_is_used(date: str, version: str) -> None:
    decision = decide(_record(date))
    assert decision.policy.version == version
    assert decision.policy.effective_from == PolicyStore().get(version).effective_from.isoformat()
    assert decision.policy.selected == f"in force on the assessment date {date}"


def test_a_date_before_every_version_is_a_clear_error() -> None:
    with pytest.raises(RecordError) as caught:
        decide(_record("2015-12-31"))
    assert caught.value.path == "assessment_date"
    assert "2016-04-01" in str(caught.value) and "2015-12-31" not in str(caught.value)


def test_a_requested_version_overrides_the_date() -> None:
    decision = decide(_record("2022-03-01"), policy="2016")
    assert (decision.policy.version, decision.policy.selected) == ("2016", "requested")
    old = decide(_record("2015-12-31"), policy="2021-01")
    assert old.policy.version == "2021-01"


def test_2016_carries_the_same_criteria_as_the_2021_refresh() -> None:
    """The committee report (1.3, 2.1): the refresh did not change the criteria. 2016 is an
    overlay of 2021-01 that changes only its manifest metadata."""
    manifest = yaml.safe_load((RULES / "2016" / "policy.yaml").read_text(encoding="utf-8"))
    assert manifest["extends"] == "2021-01"
    assert not set(manifest) - MANIFEST_ONLY - {"id", "extends"}
    assert "placeholder" in manifest["notes"]
    old, new = PolicyStore().get("2016"), PolicyStore().get("2021-01")
    assert new.supersedes == "2016" and old.digest != new.digest
    assert [replace(r, source="") for r in old.rules] == [replace(r, source="") for r in new.rules]
    assert {r.source for r in old.rules} == {f"../2021-01/{r.source}" for r in new.rules}
    assert (old.clauses, old.prompts) == (new.clauses, new.prompts)
    assert (old.readings, old.procedure) == (new.readings, new.procedure)
    same = [decide(_record("2022-03-01"), policy=v) for v in ("2016", "2021-01")]
    exclude = {"policy", "warnings"}
    assert same[0].model_dump(exclude=exclude) == same[1].model_dump(exclude=exclude)
    # Only 2021-01 has a review date (governance.review), and 2022-03-01 is past it.
    assert same[0].warnings == [] and "due for review by 2021-12-31" in same[1].warnings[0]


def test_policies_command_lists_versions_with_dates_and_digests() -> None:
    runner = CliRunner()
    listed = runner.invoke(policies_command, ["--on", "2018-06-01", "--format", "json"])
    assert listed.exit_code == 0
    versions = {v["version"]: v for v in json.loads(listed.output)["versions"]}
    assert versions["2016"]["in_force"] and not versions["2021-01"]["in_force"]
    assert versions["2016"]["until"] == "2021-01-13" and versions["2021-01"]["until"] is None
    for version, row in versions.items():
        assert row["digest"] == PolicyStore().get(version).digest
    text = runner.invoke(policies_command, ["--on", "2015-01-01"])
    assert text.exit_code == 0 and "in force on 2015-01-01: none" in text.output
