"""What a decision says beside its outcome: the warnings that bear on it (a health and safety
concern on a refusal, a version past its review date), the assessment date, the journey, the next
steps and the appeal route."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from transport_policy import RecordError, decide, load_case
from transport_policy.errors import RuleError
from transport_policy.rules.loader import load_policy
from transport_policy.rules.versions import PolicyStore

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "cases"
SAFETY = CASES / (
    "a-man-with-epilepsy-whose-father-can-drive-him-is-not-provided-transport-and-the-safety-"
    "concern-is-flagged.yaml"
)
EPILEPSY = (
    CASES
    / "a-man-with-uncontrolled-epilepsy-needing-specialised-transport-is-provided-transport.yaml"
)
REVIEWED = CASES / (
    "an-assessment-made-after-the-2021-policys-review-date-warns-that-the-version-must-be-"
    "confirmed-as-current.yaml"
)


def data(path: Path, **changes: Any) -> dict[str, Any]:
    record, _ = load_case(path)
    out = record.model_dump(mode="json", exclude_none=True)
    for key, value in changes.items():
        section, _, leaf = key.partition("__")
        if leaf:
            out.setdefault(section, {})[leaf] = value
        else:
            out[key] = value
    return out


# --- the health and safety concern on a refusal ---------------------------------------------------


def test_a_refusal_despite_a_health_and_safety_concern_names_the_concern_and_clause() -> None:
    decision = decide(data(SAFETY))
    assert decision.outcome == "do_not_provide"
    (warning,) = decision.warnings
    assert "provide.health_safety" in warning and "health and safety concern" in warning


def test_the_concern_warning_follows_the_final_outcome() -> None:
    """An override to provide drops it; an override to refuse transport that would be provided
    gives it."""
    overridden = decide(
        data(SAFETY, override={"outcome": "provide", "reason": "Father works shifts now."})
    )
    assert overridden.outcome == "provide" and overridden.warnings == []
    refused = decide(
        data(EPILEPSY, override={"outcome": "do_not_provide", "reason": "Family will arrange."})
    )
    assert refused.outcome == "do_not_provide"
    assert any("provide.health_safety" in w for w in refused.warnings)
    assert (
        decide(data(SAFETY, travel__specialised_transport_for_health_safety=False)).warnings == []
    )


# --- the version's review date -----------------------------------------------------------------


def test_a_decision_after_the_review_date_warns_and_one_on_it_does_not() -> None:
    (warning,) = decide(data(REVIEWED)).warnings
    assert "2021-12-31" in warning and "governance.review" in warning
    assert "2022-01-04" in warning and "still current" in warning
    assert decide(data(REVIEWED, assessment_date="2021-12-31")).warnings == []


def test_the_review_date_is_the_manifests_and_is_not_inherited() -> None:
    store = PolicyStore()
    assert store.get("2021-01").next_review == dt.date(2021, 12, 31)
    assert store.get("2016").next_review is None


def test_a_review_date_before_the_version_came_into_force_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "2021-01"
    shutil.copytree(ROOT / "rules" / "2021-01", folder)
    manifest = folder / "policy.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("next_review: 2021-12-31", "next_review: 2020-12-31"))
    with pytest.raises(RuleError) as caught:
        load_policy(folder)
    assert caught.value.field == "next_review"


def test_the_record_still_rejects_what_it_did() -> None:
    with pytest.raises(RecordError):
        decide(data(REVIEWED, vehicles__motability=True, vehicles__private_car=False))


# --- what every decision names ------------------------------------------------------------------

ADULT_OUT = (
    CASES
    / "a-client-from-outside-the-listed-service-areas-with-no-recorded-age-is-out-of-scope.yaml"
)
CHILD_RESPITE = CASES / (
    "a-17-year-old-going-to-respite-with-her-eligibility-unassessed-is-out-of-scope-as-a-child.yaml"
)
TEMPORARY = CASES / (
    "a-woman-whose-husband-usually-drives-her-but-is-in-hospital-is-provided-temporary-transport.yaml"
)
ROUTE = ["appeals.assessor_first", "appeals.complaints"]


def test_the_decision_names_its_assessment_date_and_journey() -> None:
    decision = decide(data(SAFETY))
    dumped = decision.model_dump(mode="json")
    assert dumped["assessment_date"] == "2021-09-13"
    assert dumped["journey"] == {
        "purpose": "day_opportunity",
        "destination_name": "Ely day service",
        "distance_miles": 6.0,
    }
    bare = decide({"case_id": "C-1", "assessment_date": "2021-03-01"}).model_dump(mode="json")
    assert bare["journey"] == {"purpose": None, "destination_name": None, "distance_miles": None}


@pytest.mark.parametrize(
    ("age", "transition", "purpose", "child"),
    [
        (16, None, "day_opportunity", True),
        (17, None, "respite", True),
        (17, False, "respite", True),
        (17, True, "education", True),
        (None, None, "education", False),
        (40, None, "day_opportunity", False),
    ],
)
def test_the_appeal_route_is_given_on_out_of_scope_except_a_childs(
    age: int | None, transition: bool | None, purpose: str, child: bool
) -> None:
    person: dict[str, Any] = {"service_area": "other"}
    if age is not None:
        person["age"] = age
    if transition is not None:
        person["transition_assessment"] = transition
    decision = decide(
        {
            "case_id": "C-1",
            "assessment_date": "2021-03-01",
            "person": person,
            "destination": {"purpose": purpose},
        }
    )
    assert decision.outcome == "out_of_scope"
    assert [a.clause for a in decision.appeal] == ([] if child else ROUTE)
    steps = [s.clause for s in decision.next_steps]
    if not child:
        assert steps == []
    else:
        want = "scope.school_transport" if purpose == "education" else "scope.adults"
        assert steps == [want]
        text = decision.next_steps[0].summary
        assert ("Home to School Transport" if purpose == "education" else "children's") in text


def test_needs_information_gives_next_steps_and_no_appeal() -> None:
    decision = decide({"case_id": "C-1", "assessment_date": "2021-03-01"})
    assert decision.outcome == "needs_information" and decision.appeal == []
    assert [s.clause for s in decision.next_steps] == ["legal.care_act"]


def test_decisions_made_give_the_route_and_no_next_steps() -> None:
    for path in (SAFETY, EPILEPSY, ADULT_OUT):
        decision = decide(data(path))
        assert [a.clause for a in decision.appeal] == ROUTE and decision.next_steps == []


def test_temporary_provision_is_not_worded_as_none_meeting_the_need() -> None:
    decision = decide(data(TEMPORARY))
    assert decision.temporary
    (last_resort,) = [r for r in decision.reasons if r.clause == "eligibility.last_resort"]
    assert "none meets" not in last_resort.summary and "for now" in last_resort.summary
    lasting = decide(data(EPILEPSY))
    (reason,) = [r for r in lasting.reasons if r.clause == "eligibility.last_resort"]
    assert "none meets the assessed eligible need" in reason.summary


def test_the_nearest_place_is_asked_as_one_confirmed_by_the_provider() -> None:
    prompt = PolicyStore().get("2021-01").prompts["destination.nearest_has_place"]
    assert "confirmed" in prompt and "provider" in prompt and "assumption" in prompt
