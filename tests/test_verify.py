"""`rules check`: the shipped rules are sound, and faults seeded into a copy of them are each
reported with a counterexample that really shows the fault when it is decided."""

from __future__ import annotations

import itertools
import json
import shlex
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from transport_policy.casefile import load_case, parse_record
from transport_policy.cli import main
from transport_policy.cli.rules import decide_command_line, rules_group
from transport_policy.decision import precedence
from transport_policy.engine import Engine
from transport_policy.engine.runtime import DurableEvaluator, PythonEvaluator
from transport_policy.model.contradictions import contradictions
from transport_policy.model.decision import Decision
from transport_policy.rules.conditions import All, Leaf
from transport_policy.rules.loader import load_policy
from transport_policy.rules.model import Policy
from transport_policy.rules.versions import PolicyStore
from transport_policy.verify.check import check_policy
from transport_policy.verify.compiled import check_compiled
from transport_policy.verify.findings import Finding, record_from_facts
from transport_policy.verify.firing import fired
from transport_policy.verify.space import Space

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "rules" / "2021-01"


class _Dumper(yaml.SafeDumper):
    """Writes a rule copied with ``dict(...)`` in full (the loader refuses YAML aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def seeded(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the 2021-01 rules with ``edit`` applied to {file name: parsed YAML}."""
    folder = tmp_path / "rules" / "2021-01"
    shutil.copytree(SOURCE, folder)
    files = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in folder.glob("*.yaml")}
    edit(files)
    for name, data in files.items():
        text = yaml.dump(data, Dumper=_Dumper, sort_keys=False)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def rule(files: dict[str, Any], name: str, rule_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in files[name]["rules"] if r["id"] == rule_id)
    return found


def decide(policy: Policy, finding: Finding, durable: bool = False) -> Decision:
    assert finding.record is not None, f"{finding.kind} has no counterexample"
    evaluator = DurableEvaluator(policy) if durable else PythonEvaluator(policy)
    return Engine(policy, evaluator).decide(parse_record(finding.record))


def only(findings: list[Finding], kind: str) -> Finding:
    matching = [f for f in findings if f.kind == kind]
    assert len(matching) == 1, [(f.kind, f.subject) for f in findings]
    return matching[0]


def unchanged(files: dict[str, Any]) -> None:
    """No fault: a plain copy of the shipped rules."""


@pytest.fixture(scope="module")
def clean_policy(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    return load_policy(seeded(tmp_path_factory.mktemp("clean"), unchanged))


def _assert_no_answer_changes_the_outcome(
    engine: Engine, policy: Policy, space: Space, base: dict[str, Any], near: list[str], field: str
) -> None:
    """However the ``near`` facts are answered, every answer to ``field`` decides alike."""
    for combo in itertools.product(*(space.classes[p] for p in near)):
        facts = {**base, **dict(zip(near, combo, strict=True))}
        outcomes = {
            engine.decide(
                parse_record(record_from_facts(policy, {**facts, field: answer}))
            ).recommended_outcome
            for answer in space.classes[field]
            if not contradictions({**facts, field: answer})  # facts no record holds together
        }
        assert len(outcomes) <= 1, (facts, outcomes)  # none: every answer contradicts


def test_the_shipped_rules_pass_rules_check() -> None:
    store = PolicyStore(ROOT / "rules")
    for policy in store.policies.values():
        report = check_policy(policy)
        assert report.findings == [], [(f.kind, f.subject, f.message) for f in report.findings]


def test_a_rule_set_without_findings_passes_and_the_space_is_the_full_product(
    clean_policy: Policy,
) -> None:
    report = check_policy(clean_policy)
    assert report.ok, [(f.kind, f.subject) for f in report.findings]
    space = Space(clean_policy)
    deciding = {
        p
        for r in clean_policy.rules
        if r.kind in ("scope", "exclusion")
        for p in clean_policy.reads[r.id]  # its fields, and those its fields' readings read
    }
    product = 1
    for path in deciding:
        product *= len(space.classes[path])
    assert report.stats["combinations"] == product
    assert report.stats["deciding_fields"] == len(deciding)


def test_a_gap_an_override_no_rule_covers_is_reported(tmp_path: Path) -> None:
    def edit(files: dict[str, Any]) -> None:
        files["override.yaml"]["rules"] = [
            r for r in files["override.yaml"]["rules"] if r["id"] != "override-needs-answers-first"
        ]

    policy = load_policy(seeded(tmp_path, edit))
    finding = only(check_policy(policy, engine=False).findings, "gap")
    assert finding.field == "override.outcome"
    decision = decide(policy, finding)
    assert finding.record is not None and finding.record["override"]["outcome"]
    assert decision.recommended_outcome == "needs_information"
    assert decision.override is None and decision.warnings == []  # silently ignored


def test_an_overlap_two_override_rules_taking_effect_is_reported(tmp_path: Path) -> None:
    def edit(files: dict[str, Any]) -> None:
        rule(files, "override.yaml", "override-out-of-scope")["outcomes"] = [
            "out_of_scope",
            "provide",
        ]

    policy = load_policy(seeded(tmp_path, edit))
    finding = only(check_policy(policy, engine=False).findings, "overlap")
    decision = decide(policy, finding)
    assert decision.recommended_outcome == "provide"
    assert decision.override is not None and len(decision.warnings) == 1  # applied and refused


def test_a_dead_rule_shadowed_by_an_earlier_one_is_reported(tmp_path: Path) -> None:
    def edit(files: dict[str, Any]) -> None:
        under_16 = dict(
            rule(files, "scope.yaml", "under-18"),
            id="under-16",
            condition={"field": "person.age", "lt": 16},
        )
        files["scope.yaml"]["rules"].insert(1, under_16)

    policy = load_policy(seeded(tmp_path, edit))
    finding = only(check_policy(policy, engine=False).findings, "dead-rule")
    assert finding.rule == "under-16"
    assert finding.record is not None and finding.record["person"]["age"] < 16
    decision = decide(policy, finding)
    assert decision.outcome == "out_of_scope"
    assert decision.reasons[0].rule == "under-18"
    assert "under-16" not in {r.rule for r in decision.reasons}


def test_a_rule_whose_condition_can_never_hold_is_reported_without_a_record(
    tmp_path: Path,
) -> None:
    def edit(files: dict[str, Any]) -> None:
        spec = rule(files, "exclusions.yaml", "shared-vehicle")
        spec["condition"] = {
            "all": [spec["condition"], {"field": "vehicles.shared_community_vehicle", "is": False}]
        }

    policy = load_policy(seeded(tmp_path, edit))
    finding = only(check_policy(policy, engine=False).findings, "dead-rule")
    assert (finding.rule, finding.record) == ("shared-vehicle", None)


def test_an_unused_clause_and_a_clause_with_the_wrong_role_are_reported(tmp_path: Path) -> None:
    def edit(files: dict[str, Any]) -> None:
        clauses = files["clauses.yaml"]["clauses"]
        clauses.append(
            {
                "id": "scope.unused",
                "section": "Scope",
                "role": "decides",
                "text": "A clause no rule implements.",
            }
        )
        used = next(c for c in clauses if c["id"] == "exclude.shared_vehicle")
        used.update(role="informs", informative_reason="Wrongly marked informative.")

    policy = load_policy(seeded(tmp_path, edit))
    findings = check_policy(policy, engine=False).findings
    unused = only(findings, "unused-clause")
    assert (unused.clause, unused.record) == ("scope.unused", None)
    assert only(findings, "clause-role").clause == "exclude.shared_vehicle"


def test_a_pointless_question_is_reported_and_its_answer_never_matters(tmp_path: Path) -> None:
    # "shared, or (chose the service and shared)" is just "shared": the second part asks whether
    # the service was chosen, which can never change anything.
    def edit(files: dict[str, Any]) -> None:
        shared = {"field": "vehicles.shared_community_vehicle", "is": True}
        rule(files, "exclusions.yaml", "shared-vehicle")["condition"] = {
            "any": [
                shared,
                {"all": [{"field": "destination.attended_by_choice", "is": True}, shared]},
            ]
        }

    policy = load_policy(seeded(tmp_path, edit))
    finding = only(check_policy(policy, engine=False).findings, "pointless-question")
    assert finding.field == "destination.attended_by_choice"
    decision = decide(policy, finding)
    assert decision.recommended_outcome == "needs_information"
    assert finding.field in [q.field for q in decision.questions]
    # However the open facts of the rules reading it are answered, its answer changes nothing.
    assert finding.record is not None
    engine = Engine(policy, PythonEvaluator(policy))
    space = Space(policy)
    base = _flat(finding.record)
    near = sorted(
        {
            p
            for r in policy.rules
            if r.kind == "exclusion"
            and {"destination.attended_by_choice", "vehicles.shared_community_vehicle"}
            & set(r.fields)
            for p in r.fields
        }
        - {finding.field}
        - set(base)
    )
    _assert_no_answer_changes_the_outcome(engine, policy, space, base, near, finding.field)


def test_a_compiled_condition_that_disagrees_with_the_reference_is_reported(
    clean_policy: Policy,
) -> None:
    # durable-rules compares 17 with 17.0 as equal; the reference reading does not. The loader
    # refuses such a constant in a rule file, so the fault is seeded into the loaded rules.
    seventeen = replace(
        clean_policy.rule_index["under-18"],
        id="aged-seventeen",
        condition=Leaf("person.age", "is", 17.0),
        also_cites=(),
    )
    policy = replace(clean_policy, rules=(seventeen, *clean_policy.rules))
    finding = only(check_policy(policy).findings, "mismatch")
    assert finding.rule == "aged-seventeen"
    reference, compiled = decide(policy, finding), decide(policy, finding, durable=True)
    assert compiled.reasons[0].rule == "aged-seventeen"
    assert reference.reasons[0].rule == "under-18"


def test_a_fault_deep_in_a_large_condition_is_found_part_by_part(clean_policy: Policy) -> None:
    """A condition too large to compare whole (``provide.no_means``: six independent parts) is
    compared with durable-rules part by part; a miscompiled test inside one more part is still
    found, at far fewer records than the whole product."""
    no_means = clean_policy.rule_index["no-means"]
    assert isinstance(no_means.condition, All)
    seventeen = Leaf("person.age", "is", 17.0)  # durable-rules reads 17 as 17.0
    faulty = replace(
        no_means,
        id="no-means-seventeen",
        condition=All((*no_means.condition.parts, seventeen)),
        also_cites=(),
    )
    policy = replace(clean_policy, rules=(*clean_policy.rules, faulty))
    found: list[tuple[str, str | None]] = []
    stats: dict[str, Any] = {}

    def add(kind: str, message: str, facts: object = None, **where: str) -> None:
        found.append((kind, where.get("rule")))

    check_compiled(policy, Space(policy), add, stats)
    assert found and {rule for _, rule in found} == {"no-means-seventeen"}
    assert {kind for kind, _ in found} <= {"gap", "mismatch"}
    assert stats["engine_records"] < 200_000  # the whole product is millions


def test_a_pointless_question_asked_of_a_defeater_is_reported(tmp_path: Path) -> None:
    # While walking there is established but for the person's temporary illness, only the
    # defeater is asked; "ill, or (has a car and ill)" is just "ill", so asking about the car
    # there can never change anything.
    ill = {"field": "circumstances.temporary_illness", "is": "person"}

    def edit(files: dict[str, Any]) -> None:
        rule(files, "exclusions.yaml", "can-mobilise")["unless"] = {
            "any": [ill, {"all": [{"field": "vehicles.private_car", "is": True}, ill]}]
        }

    policy = load_policy(seeded(tmp_path, edit))
    finding = only(check_policy(policy, engine=False).findings, "pointless-question")
    assert finding.field == "vehicles.private_car"
    decision = decide(policy, finding)
    assert decision.recommended_outcome == "needs_information"
    assert {q.field for q in decision.questions} == {ill["field"], finding.field}
    assert finding.record is not None
    engine = Engine(policy, PythonEvaluator(policy))
    space = Space(policy)
    base = _flat(finding.record)
    rules = policy.rule_index
    near = sorted(
        {p for r in ("can-mobilise", "private-car") for p in rules[r].fields}
        - {finding.field}
        - set(base)
    )
    assert ill["field"] in near
    _assert_no_answer_changes_the_outcome(engine, policy, space, base, near, finding.field)


def test_a_procedure_asking_other_questions_than_the_checker_reads_is_reported(
    clean_policy: Policy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The procedure as it was before it asked an alternative established but for its defeater
    # in place of every other: it asked every unknown alternative.
    monkeypatch.setattr(precedence, "rules_to_ask", lambda unknown, states: list(unknown))
    findings = check_policy(clean_policy, engine=False).findings
    assert findings and {f.kind for f in findings} == {"inconsistent"}
    for finding in findings:
        asked = {q.field for q in decide(clean_policy, finding).questions}
        assert "circumstances.temporary_illness" in asked and len(asked) > 1
    monkeypatch.undo()
    for finding in findings:
        asked = {q.field for q in decide(clean_policy, finding).questions}
        assert asked == {"circumstances.temporary_illness"}


def test_check_exits_non_zero_and_saves_counterexamples_as_case_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def edit(files: dict[str, Any]) -> None:
        files["override.yaml"]["rules"] = [
            r for r in files["override.yaml"]["rules"] if r["id"] != "override-out-of-scope"
        ]

    folder = seeded(tmp_path, edit)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        rules_group, ["check", "--rules", "rules", "--save-counterexamples", "found"]
    )
    assert result.exit_code == 1, result.output
    assert "gap: override.outcome:" in result.output
    (saved,) = sorted(Path("found").glob("*.yaml"))
    record, expected = load_case(saved)
    assert expected is None and record.override is not None
    decision = Engine(load_policy(folder), PythonEvaluator(load_policy(folder))).decide(record)
    assert decision.outcome == "out_of_scope" and decision.warnings == []
    # The suggested command, run from where the check ran, decides it under the rules checked.
    (line,) = [
        x
        for x in saved.read_text(encoding="utf-8").splitlines()
        if x.startswith("# Decide it with: ")
    ]
    words = shlex.split(line.removeprefix("# Decide it with: "))
    assert words[:3] == ["transport-policy", "decide", str(saved)]
    assert "--rules" in words and "--policy" in words
    decided = CliRunner().invoke(main, words[1:])
    assert decided.exit_code == 0, decided.output
    assert json.loads(decided.output)["policy"]["digest"] == load_policy(folder).digest


def test_a_saved_counterexample_of_the_bundled_rules_needs_no_rules_option() -> None:
    case = Path("found dir") / "2021-01-01-gap-x.yaml"
    assert shlex.split(decide_command_line(case, "2021-01", None)) == [
        "transport-policy",
        "decide",
        str(case),
        "--policy",
        "2021-01",
    ]
    assert shlex.split(decide_command_line(case, "2021-01", Path("my rules"))) == [
        "transport-policy",
        "decide",
        str(case),
        "--rules",
        "my rules",
        "--policy",
        "2021-01",
    ]


def test_check_exits_zero_on_a_sound_rule_set(tmp_path: Path) -> None:
    folder = seeded(tmp_path, unchanged)
    result = CliRunner().invoke(rules_group, ["check", "--rules", str(folder.parent)])
    assert result.exit_code == 0, result.output
    assert "policy 2021-01: no findings" in result.output


def test_check_reports_rules_that_cannot_be_loaded(tmp_path: Path) -> None:
    folder = seeded(
        tmp_path, lambda files: rule(files, "scope.yaml", "under-18").update(clause="scope.adultz")
    )
    result = CliRunner().invoke(rules_group, ["check", "--rules", str(folder.parent)])
    assert result.exit_code == 3
    assert "scope.yaml: rule 'under-18': clause: unknown clause 'scope.adultz'" in result.output
    assert "did you mean 'scope.adults'" in result.output


_ILL_PERSON = {"field": "circumstances.temporary_illness", "in": ["person", "both"]}
_ILL_CARER = {"field": "circumstances.temporary_illness", "in": ["carer", "both"]}


def test_a_component_too_large_to_enumerate_is_checked_through_its_hub_fields(
    tmp_path: Path,
) -> None:
    policy = load_policy(seeded(tmp_path / "shipped", unchanged))
    report = check_policy(policy, engine=False)
    (largest, points), *_ = sorted(report.stats["components"], key=lambda c: -c[1])
    assert points > 10**8 and {"can-mobilise", "mobility-benefit"} <= set(largest)
    assert report.stats["table_entries"] < 10**5
    before = {(f.kind, f.subject) for f in report.findings}
    # (every finding, if any, is checked with the engine)
    for finding in report.findings:
        assert finding.kind == "pointless-question", (finding.kind, finding.subject)
        decision = decide(policy, finding)
        assert decision.recommended_outcome == "needs_information"
        assert finding.field in {q.field for q in decision.questions}

    # The same rules with two faults: the walk is also cancelled by "a car, and ill", which is
    # just "ill" (so asking about the car there is pointless), and the family driver is
    # cancelled whenever the carer is able and willing (so it never takes effect).
    def faulty(files: dict[str, Any]) -> None:
        walk = rule(files, "exclusions.yaml", "can-mobilise")
        car_and_ill = {"all": [{"field": "vehicles.private_car", "is": True}, _ILL_PERSON]}
        walk["unless"]["any"].append(car_and_ill)
        family = rule(files, "exclusions.yaml", "family-driver")
        able = {"field": "support_network.carer_able_and_willing", "is": True}
        family["unless"] = {"any": [family["unless"], able]}

    policy = load_policy(seeded(tmp_path / "faulty", faulty))
    findings = check_policy(policy, engine=False).findings
    planted = {("dead-rule", "family-driver"), ("pointless-question", "vehicles.private_car")}
    assert not planted & before
    # (the mileage allowance, an action taken when the family driver holds, goes with it)
    follows = ("dead-rule", "consider-mileage-allowance")
    assert {(f.kind, f.subject) for f in findings} - before == {*planted, follows}
    dead = next(f for f in findings if f.rule == "family-driver")
    assert dead.record is None and "never hold" in dead.message
    pointless = next(f for f in findings if f.field == "vehicles.private_car")
    decision = decide(policy, pointless)
    assert decision.recommended_outcome == "needs_information"
    assert "vehicles.private_car" in {q.field for q in decision.questions}
    assert pointless.record is not None
    engine = Engine(policy, PythonEvaluator(policy))
    base = _flat(pointless.record)
    near = sorted(
        set(policy.rule_index["can-mobilise"].fields) - {"vehicles.private_car"} - set(base)
    )
    _assert_no_answer_changes_the_outcome(
        engine, policy, Space(policy), base, near, "vehicles.private_car"
    )


def _flat(record: dict[str, Any]) -> dict[str, object]:
    return {
        f"{section}.{key}": value
        for section, fields in record.items()
        if isinstance(fields, dict)
        for key, value in fields.items()
    }


def test_alternatives_citing_one_clause_each_take_effect_though_they_give_one_reason(
    tmp_path: Path,
) -> None:
    """Alternatives citing one clause that hold give one reason, naming the first; the others
    took effect all the same. A rule that holds only where an earlier one of its clause holds
    too is never the one named, and the check read it as a procedure it did not know
    (``inconsistent``)."""

    def edit(files: dict[str, Any]) -> None:
        rules = files["exclusions.yaml"]["rules"]
        spec = rule(files, "exclusions.yaml", "not-nearest")
        again = dict(spec, id="not-nearest-again", note="Holds exactly when not-nearest does.")
        rules.insert(rules.index(spec) + 1, again)

    policy = load_policy(seeded(tmp_path, edit))
    findings = check_policy(policy, engine=False).findings
    assert findings == [], [(f.kind, f.subject, f.message) for f in findings]
    facts = {
        "destination.nearest_suitable": False,
        "destination.attended_by_choice": True,
        "destination.nearest_has_place": True,
        "person.age": 40,
        "person.eligible_care_needs": True,
        "person.needs_transport_to_access_service": True,
        "person.service_area": "older_people",
    }
    decision = Engine(policy, PythonEvaluator(policy)).decide(
        parse_record(record_from_facts(policy, facts))
    )
    assert [r.rule for r in decision.reasons if r.clause == "exclude.not_nearest"] == [
        "not-nearest"
    ]
    assert {"not-nearest", "not-nearest-again"} <= fired(policy, decision, facts)


def test_a_finding_about_a_rule_names_the_file_it_is_in(
    clean_policy: Policy, capsys: pytest.CaptureFixture[str]
) -> None:
    from transport_policy.cli.rules import _print_report
    from transport_policy.verify.findings import Report

    finding = Finding("dead-rule", "takes effect for no record", rule="private-car")
    _print_report(Report(clean_policy, [finding]), None, None)
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [
        "dead-rule: private-car: takes effect for no record",
        "  rule file: 2021-01/exclusions.yaml",
    ]
