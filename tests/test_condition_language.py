"""The condition language's list test (``has``), ``any_in_order`` and the manifest's conditional
readings: their three-valued reading, the compiled tests against the reference, the questions,
the loader's errors, the readings as the engine applies them, and ``rules check`` over them."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from transport_policy.engine.compile import compile_condition, fact_key
from transport_policy.engine.runtime import (
    DurableEvaluator,
    PythonEvaluator,
    apply_readings,
    policy_fields,
)
from transport_policy.errors import RuleError
from transport_policy.rules.conditions import (
    FAILS,
    HOLDS,
    UNKNOWN,
    All,
    AnyOf,
    Leaf,
    Reading,
    describe,
    evaluate,
)
from transport_policy.rules.loader import load_policy
from transport_policy.rules.model import Policy
from transport_policy.rules.rulebook import render_rulebook
from transport_policy.verify.check import check_policy
from transport_policy.verify.space import Space

POLICY_2021 = Path(__file__).resolve().parents[1] / "rules" / "2021-01"
LIST = "circumstances.ill_carer_relied_on_for"
NEEDS = "travel.vehicle_needs"
HAS_WALKING = Leaf(LIST, "has", "walking")
LISTS: tuple[tuple[list[str] | None, str], ...] = (
    (None, UNKNOWN),
    ([], FAILS),
    (["walking"], HOLDS),
    (["driving"], FAILS),
    (["public_transport", "driving"], FAILS),
    (["driving", "walking"], HOLDS),
)

READINGS = """readings:
  - field: vehicles.private_car
    unknown_reads_as: true
    when: {field: vehicles.motability, is: true}
    clause: guidance.carer_wellbeing
    note: A Motability car is a private car.
  - field: vehicles.motability
    unknown_reads_as: false
    when: {field: vehicles.private_car, is: false}
    clause: guidance.carer_wellbeing
    note: Without a car there is no Motability car.
  - field: support_network.carer_wellbeing_considered
"""


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of 2021-01 whose only reading is its ``false_reads_as`` one (the tests add their
    own conditional readings)."""
    target = tmp_path / "2021-01"
    shutil.copytree(POLICY_2021, target)
    manifest = target / "policy.yaml"
    text = manifest.read_text(encoding="utf-8")
    start = text.index("readings:\n")
    first = text.index("  - field:", text.index("  - field:", start) + 1)
    manifest.write_text(text[:first] + text[text.index("procedure:", first) :], encoding="utf-8")
    return target


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def broken(folder: Path) -> RuleError:
    with pytest.raises(RuleError) as caught:
        load_policy(folder)
    return caught.value


def with_readings(folder: Path) -> Policy:
    edit(
        folder,
        "policy.yaml",
        "readings:\n  - field: support_network.carer_wellbeing_considered\n",
        READINGS,
    )
    return load_policy(folder)


# -- has -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "status"), LISTS)
def test_has_is_three_valued(value: list[str] | None, status: str) -> None:
    assert evaluate(HAS_WALKING, {LIST: value}) == status
    assert Reading({LIST: value}).status(HAS_WALKING) == status


def test_has_is_described_and_asked() -> None:
    assert describe(HAS_WALKING) == f"{LIST} contains walking"
    assert Reading({LIST: None}).questions(HAS_WALKING) == [LIST]
    assert Reading({LIST: []}).questions(HAS_WALKING) == []


def _has_policy(policy: Policy) -> Policy:
    """The 2021 policy with the walking alternative also defeated while an ill carer is relied
    on for walking, and one rule of its own testing that the list does not have driving."""
    mobilise = policy.rule_index["can-mobilise"]
    assert mobilise.unless is not None
    unless = AnyOf((mobilise.unless, HAS_WALKING))
    rules = tuple(replace(r, unless=unless) if r.id == "can-mobilise" else r for r in policy.rules)
    return replace(policy, rules=rules, digest=policy.digest[:-4] + "abcd")


@pytest.mark.parametrize(("value", "status"), LISTS)
def test_durable_rules_agree_with_the_reference_on_has(
    policy: Policy, value: list[str] | None, status: str
) -> None:
    changed = _has_policy(policy)
    facts: dict[str, object] = dict.fromkeys(policy_fields(changed))
    facts["circumstances.temporary_illness"] = "none"
    facts[LIST] = value
    durable = DurableEvaluator(changed)
    try:
        got = durable.statuses(facts)
    finally:
        durable.close()
    want = PythonEvaluator(changed).statuses(facts)
    assert got == want
    assert got["can-mobilise/unless"] == status


def test_has_compiles_to_item_tests() -> None:
    key = fact_key(LIST)
    assert compile_condition(HAS_WALKING) == {"$iany": {key: {"$i": "walking"}}}
    # An unknown list is absent from the fact, and ``$iall`` fails on an absent field: no
    # separate test that it is known.
    assert compile_condition(HAS_WALKING, positive=False) == {
        "$iall": {key: {"$neq": {"$i": "walking"}}}
    }


# -- any_in_order ----------------------------------------------------------------------------

A, B, C = (
    Leaf("travel.voluntary_transport_available", "is", True),
    Leaf("vehicles.shared_community_vehicle", "is", True),
    Leaf("judgement.mobilising_reasonable", "is", True),
)
ORDERED = AnyOf((A, B, C), ordered=True)


def test_any_in_order_reads_as_any() -> None:
    plain = AnyOf((A, B, C))
    for values in ((None, None, None), (False, None, True), (False, False, False)):
        facts = dict(zip((A.field, B.field, C.field), values, strict=True))
        assert evaluate(ORDERED, facts) == evaluate(plain, facts)
    assert compile_condition(ORDERED) == compile_condition(plain)
    assert compile_condition(ORDERED, False) == compile_condition(plain, False)


def test_any_in_order_asks_only_the_first_unknown_part() -> None:
    unknown = {A.field: None, B.field: None, C.field: None}
    assert Reading(unknown).questions(AnyOf((A, B, C))) == [A.field, B.field, C.field]
    assert Reading(unknown).questions(ORDERED) == [A.field]
    assert Reading(unknown).questions(ORDERED, skip={A.field}) == [B.field]
    assert Reading(unknown).questions(ORDERED, skip={A.field, B.field}) == [C.field]
    assert Reading({**unknown, A.field: False}).questions(ORDERED) == [B.field]
    assert Reading({**unknown, C.field: True}).questions(ORDERED) == []


def test_any_in_order_loads_and_keeps_its_order(copy: Path) -> None:
    policy = load_policy(copy)
    condition = policy.rule_index["public-transport"].condition
    assert isinstance(condition, All)
    carer = condition.parts[1]
    assert isinstance(carer, AnyOf) and carer.ordered
    assert [p.field for p in carer.parts if isinstance(p, Leaf)] == [
        "travel.can_use_public_transport",
        "travel.public_transport_support_from_unpaid_carer",
        "support_network.carer_wellbeing_considered",
    ]
    assert describe(carer).startswith("any of, asked in order (")


# -- loader errors ---------------------------------------------------------------------------


def test_has_on_a_field_that_is_not_a_list(copy: Path) -> None:
    edit(
        copy,
        "exclusions.yaml",
        "{field: vehicles.shared_community_vehicle, is: true}",
        "{field: vehicles.shared_community_vehicle, has: true}",
    )
    error = broken(copy)
    assert (error.path, error.rule_id) == ("exclusions.yaml", "shared-vehicle")
    assert "has tests a list field" in str(error)


def test_has_with_a_value_the_list_does_not_take(copy: Path) -> None:
    edit(
        copy,
        "exclusions.yaml",
        "{field: vehicles.shared_community_vehicle, is: true}",
        f"{{field: {LIST}, has: walkin}}",
    )
    error = broken(copy)
    assert (error.path, error.rule_id) == ("exclusions.yaml", "shared-vehicle")
    assert "is not a value of" in str(error) and "did you mean 'walking'" in str(error)


def test_a_list_is_still_not_tested_for_equality(copy: Path) -> None:
    edit(
        copy,
        "exclusions.yaml",
        "{field: vehicles.shared_community_vehicle, is: true}",
        f"{{field: {LIST}, is: walking}}",
    )
    assert "is a list" in str(broken(copy))


@pytest.mark.parametrize(
    ("replacement", "message"),
    [
        (
            "false_reads_as: unknown\n    unknown_reads_as: true\n"
            "    when: {field: vehicles.motability, is: true}",
            "exactly one of false_reads_as or unknown_reads_as",
        ),
        ("", "exactly one of false_reads_as or unknown_reads_as"),
        ("unknown_reads_as: true", "when is required with unknown_reads_as"),
        (
            "false_reads_as: unknown\n    when: {field: vehicles.motability, is: true}",
            "when is required with unknown_reads_as, and only with it",
        ),
    ],
)
def test_a_reading_of_both_kinds_or_neither(copy: Path, replacement: str, message: str) -> None:
    edit(copy, "policy.yaml", "false_reads_as: unknown", replacement)
    error = broken(copy)
    assert (error.path, error.field) == ("policy.yaml", "readings[0]")
    assert message in str(error)


def test_a_reading_when_with_an_unknown_field(copy: Path) -> None:
    edit(
        copy,
        "policy.yaml",
        "false_reads_as: unknown",
        "unknown_reads_as: true\n    when: {field: vehicles.motabilty, is: true}",
    )
    error = broken(copy)
    assert (error.path, error.field) == ("policy.yaml", "readings[0].when")
    assert "did you mean 'vehicles.motability'" in str(error)
    assert "policy.yaml" in str(error)


def test_a_reading_when_may_not_name_a_rule(copy: Path) -> None:
    edit(
        copy,
        "policy.yaml",
        "false_reads_as: unknown",
        "unknown_reads_as: true\n    when: {rule: can-mobilise}",
    )
    error = broken(copy)
    assert (error.path, error.field) == ("policy.yaml", "readings[0].when")


def test_a_conditional_reading_reads_a_true_false_fact(copy: Path) -> None:
    edit(
        copy,
        "policy.yaml",
        "field: support_network.carer_wellbeing_considered\n    false_reads_as: unknown",
        "field: travel.can_mobilise_safely\n    unknown_reads_as: true\n"
        "    when: {field: vehicles.motability, is: true}",
    )
    assert "is not a true/false fact" in str(broken(copy))


# -- conditional readings --------------------------------------------------------------------


def test_the_digest_covers_the_conditional_readings(copy: Path, tmp_path: Path) -> None:
    before = with_readings(copy).digest
    edit(
        copy,
        "policy.yaml",
        "when: {field: vehicles.motability, is: true}",
        "when: {field: vehicles.motability, known: true}",
    )
    assert load_policy(copy).digest != before


@pytest.mark.parametrize(
    ("car", "motability", "read_car", "read_motability"),
    [
        (None, True, True, True),  # unknown and when holds: read as the reading's value
        (None, None, None, None),  # when unknown: stays unknown
        (None, False, None, False),  # when fails: stays unknown
        (False, True, False, True),  # recorded: kept as recorded
        (False, None, False, False),  # the other reading, over the recorded values
        (True, None, True, None),
    ],
)
def test_apply_readings_reads_an_unknown_field_when_its_condition_holds(
    copy: Path, car: object, motability: object, read_car: object, read_motability: object
) -> None:
    policy = with_readings(copy)
    assert [path for path, _, _ in policy.conditional_readings] == [
        "vehicles.private_car",
        "vehicles.motability",
    ]
    facts = apply_readings({"vehicles.private_car": car, "vehicles.motability": motability}, policy)
    assert (facts["vehicles.private_car"], facts["vehicles.motability"]) == (
        read_car,
        read_motability,
    )
    assert set(policy.reading_fields) == {"vehicles.private_car", "vehicles.motability"}
    assert set(policy.reading_fields) <= set(policy_fields(policy))


def test_false_reads_as_unknown_still_applies_with_conditional_readings(copy: Path) -> None:
    policy = with_readings(copy)
    facts = apply_readings({"support_network.carer_wellbeing_considered": False}, policy)
    assert facts["support_network.carer_wellbeing_considered"] is None


def test_the_rule_book_shows_the_conditional_readings(copy: Path) -> None:
    book = render_rulebook(with_readings(copy))
    assert (
        "Reading of `vehicles.private_car`: when unknown, it is read as true if "
        "vehicles.motability is true." in book
    )


CHECKED_READING = """readings:
  - field: judgement.own_vehicle_use_reasonable
    unknown_reads_as: false
    when: {field: circumstances.urgent_or_exceptional, is: true}
    clause: guidance.carer_wellbeing
    note: A test reading, coupling two fields no contradiction links.
  - field: support_network.carer_wellbeing_considered
"""


def test_rules_check_reads_the_records_through_the_readings(copy: Path) -> None:
    """The checker's tables read every record with the readings, as the engine does: the
    procedure, the questions and every counterexample agree with the decisions."""
    edit(
        copy,
        "policy.yaml",
        "readings:\n  - field: support_network.carer_wellbeing_considered\n",
        CHECKED_READING,
    )
    policy = load_policy(copy)
    assert policy.reads["private-car"] == (
        "vehicles.private_car",
        "vehicles.drives_self",
        "judgement.own_vehicle_use_reasonable",
        "circumstances.temporary_illness",
        "circumstances.urgent_or_exceptional",
    )
    report = check_policy(policy)
    assert [(f.kind, f.message) for f in report.findings] == []
    # the reading couples the two rules reading those fields into one component
    [component] = [ids for ids, _ in report.stats["components"] if "private-car" in ids]
    assert len(component) > 1


def test_rules_check_reads_has_tests(copy: Path) -> None:
    edit(
        copy,
        "exclusions.yaml",
        "condition: {field: vehicles.shared_community_vehicle, is: true}",
        "condition:\n      any:\n        - {field: vehicles.shared_community_vehicle, is: true}\n"
        f"        - {{field: {NEEDS}, has: travel_alone}}",
    )
    edit(
        copy,
        "questions.yaml",
        "questions:\n",
        f"questions:\n  - field: {NEEDS}\n    prompt: What would the transport need to provide?\n",
    )
    policy = load_policy(copy)
    report = check_policy(policy)
    assert [(f.kind, f.message) for f in report.findings] == []
    # unknown, then the lists with and without the tested item (the empty one reads as without)
    classes = Space(policy).classes[NEEDS]
    assert classes[0] is None
    assert {evaluate(Leaf(NEEDS, "has", "travel_alone"), {NEEDS: c}) for c in classes} == {
        UNKNOWN,
        HOLDS,
        FAILS,
    }
