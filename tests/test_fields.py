"""The field registry (model/fields.py) is the one source of the record's fields: adding a field is
one registry entry plus the rules that use it, and record errors suggest the closest field."""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from transport_policy import decide
from transport_policy.casefile import load_yaml, parse_record
from transport_policy.errors import RecordError
from transport_policy.model.fields import FIELDS, REGISTRY
from transport_policy.model.schema import schema

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "transport_policy"
CASE = (
    ROOT
    / "cases"
    / (
        "a-man-whose-nearest-day-centre-has-no-place-is-provided-transport-with-a-review-but-not-"
        "temporarily.yaml"
    )
)

DOC = ROOT / "docs" / "writing-rules.md"
ANCHOR = '    FieldSpec(\n        "travel.vehicle_needs",'
"""Where the new travel field goes: among the travel fields, as the worked example says."""
LIST_ANCHOR = '    _t("judgement.notes",'
LIST_ENTRY = """\
    FieldSpec("circumstances.ill_carer_helps_with", "enum_list",
              "What the ill carer was relied on for.",
              values=("walking", "public_transport", "driving")),
"""
RULE_CONDITION = "    condition: {field: vehicles.shared_community_vehicle, is: true}\n"


def _worked_example() -> tuple[str, str, str]:
    """The registry entry, the rule's new condition and the prompt of docs/writing-rules.md's
    "Adding a record field", as written there (comments left out)."""
    section = DOC.read_text(encoding="utf-8").split("## Adding a record field", 1)[1]
    blocks = [
        textwrap.dedent(block)
        for block in re.findall(r"```(?:python|yaml)\n(.*?\n)\s*```", section, re.S)
    ]
    entry, condition, question = (
        "".join(line for line in b.splitlines(keepends=True) if not line.startswith("#"))
        for b in blocks
    )
    assert "rule shared-vehicle" in blocks[1]
    return entry, condition, question


def _indented(text: str, by: int) -> str:
    return textwrap.indent(text, " " * by)


SCRIPT = """
import json, sys
from pathlib import Path
import transport_policy
from transport_policy import decide
from transport_policy.casefile import load_case, parse_record
from transport_policy.documents import render
from transport_policy.errors import RecordError, RuleError
from transport_policy.model.schema import schema
from transport_policy.rules.loader import load_policy
from transport_policy.verify.check import check_policy
from transport_policy.verify.space import Space
import strategies

policies, case = Path(sys.argv[1]), sys.argv[2]
out = {"package": transport_policy.__file__}
record, _ = load_case(case)
data = record.model_dump()
data["travel"]["has_bus_pass"] = True
data["circumstances"]["ill_carer_helps_with"] = ["walking", "driving"]
policy = load_policy(policies / "2021-01")
decision = decide(data, policy=policy)
out["outcome"] = decision.outcome
out["reasons"] = {r.rule: r.facts for r in decision.reasons if r.rule}
out["text"] = render(decision, "text")
out["classes"] = list(Space(policy).classes.get("travel.has_bus_pass", ()))
out["findings"] = [(f.kind, f.subject) for f in check_policy(policy, engine=False).findings]
out["description"] = schema("record")["$defs"]["Travel"]["properties"]["has_bus_pass"]
out["strategies"] = [p for p in strategies.FACT_PATHS if p.startswith(("travel.has", "circ"))]
errors = []
for change in ({"ill_carer_helps_with": ["walking", "walking"]},
               {"ill_carer_helps_with": ["cycling"]}, {"has_bus_pas": True}):
    try:
        parse_record({"case_id": "x", "assessment_date": "2022-05-09",
                      "travel" if "has_bus_pas" in change else "circumstances": change})
    except RecordError as e:
        errors.append(str(e))
out["errors"] = errors
broken = policies / "2021-01" / "exclusions.yaml"
broken.write_text(broken.read_text().replace(
    "{field: benefits.higher_rate_mobility, is: true}",
    "{field: circumstances.ill_carer_helps_with, is: walking}", 1))
try:
    load_policy(policies / "2021-01")
except RuleError as e:
    out["rule_error"] = str(e)
print(json.dumps(out, default=str))
"""


def _copy_with_new_fields(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the package whose only change is the new registry entries, and a copy of the
    rules whose only changes are the rule and question that use one of them."""
    src = tmp_path / "src"
    shutil.copytree(PACKAGE, src / "transport_policy", ignore=shutil.ignore_patterns("__pycache__"))
    entry, condition, question = _worked_example()
    fields = src / "transport_policy" / "model" / "fields.py"
    text = fields.read_text(encoding="utf-8")
    assert text.count(ANCHOR) == 1 and text.count(LIST_ANCHOR) == 1
    text = text.replace(ANCHOR, _indented(entry, 4) + ANCHOR)
    fields.write_text(text.replace(LIST_ANCHOR, LIST_ENTRY + LIST_ANCHOR), encoding="utf-8")
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules" / "2021-01", rules / "2021-01")
    exclusions = rules / "2021-01" / "exclusions.yaml"
    text = exclusions.read_text(encoding="utf-8")
    assert text.count(RULE_CONDITION) == 1
    exclusions.write_text(text.replace(RULE_CONDITION, _indented(condition, 4)), encoding="utf-8")
    with (rules / "2021-01" / "questions.yaml").open("a", encoding="utf-8") as out:
        out.write(_indented(question, 2))
    return src, rules


def _changed_files(left: Path, right: Path) -> list[str]:
    compare = filecmp.dircmp(left, right, ignore=["__pycache__"])
    changed = [
        str(right / name) for name in compare.diff_files + compare.left_only + compare.right_only
    ]
    for name in compare.common_dirs:
        changed += _changed_files(left / name, right / name)
    return changed


def test_adding_a_record_field_is_one_registry_entry_plus_its_rules(tmp_path: Path) -> None:
    src, rules = _copy_with_new_fields(tmp_path)
    assert _changed_files(PACKAGE, src / "transport_policy") == [
        str(src / "transport_policy" / "model" / "fields.py")
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(ROOT / "tests")])}
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT), str(rules), str(CASE)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["package"].startswith(str(src))
    # the new fact decides through the edited rule, and is shown with its label
    assert out["outcome"] == "do_not_provide"
    assert out["reasons"]["shared-vehicle"]["travel.has_bus_pass"] is True
    assert "has a bus pass: yes" in out["text"].replace("\xa0", " ")
    assert out["classes"] == [None, True, False]
    assert out["findings"] == []
    assert out["description"]["description"] == (
        "Holds a concessionary bus pass valid for this journey."
    )
    assert out["strategies"] == [
        "travel.has_bus_pass",
        "circumstances.temporary_illness",
        "circumstances.urgent_or_exceptional",
        "circumstances.ill_carer_relied_on_for",
        "circumstances.ill_carer_helps_with",
    ]
    # the list field is validated strictly (no repeats, only its values); misspellings are helped
    repeat, unknown, misspelt = out["errors"]
    assert "circumstances.ill_carer_helps_with: must not list a value twice" in repeat
    assert "circumstances.ill_carer_helps_with.0: is not one of walking" in unknown
    assert "did you mean 'travel.has_bus_pass'?" in misspelt
    assert "a rule can only test whether it is known" in out["rule_error"]


def test_every_registry_field_is_documented_in_record_md() -> None:
    text = (ROOT / "docs" / "record.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_.]+)`(?:, `([a-z_.]+)`)? \|", text, re.M))
    paths = {p for pair in documented for p in pair if p}
    assert paths == set(FIELDS)


def test_the_record_schema_describes_every_field_from_the_registry() -> None:
    body = schema("record")
    for spec in REGISTRY:
        section, _, leaf = spec.path.partition(".")
        node = body["properties"][section]
        if leaf:
            ref = node.get("$ref") or next(b["$ref"] for b in node["anyOf"] if "$ref" in b)
            node = body["$defs"][ref.rsplit("/", 1)[1]]["properties"][leaf]
        assert node["description"] == spec.description, spec.path


@pytest.mark.parametrize(
    ("data", "field", "hint"),
    [
        (
            {"travel": {"can_use_publc_transport": "unable"}},
            "travel.can_use_publc_transport",
            "(did you mean 'travel.can_use_public_transport'?)",
        ),
        ({"trvel": {}}, "trvel", "(did you mean 'travel'?)"),
        (
            {"travel.can_use_public_transport": "with_support"},
            "travel.can_use_public_transport",
            "(write 'can_use_public_transport' nested under 'travel:')",
        ),
        (
            {"travel": {"motability": True}},
            "travel.motability",
            "(did you mean 'vehicles.motability'?)",
        ),
        (
            {"can_use_public_transport": "unable"},
            "can_use_public_transport",
            "(did you mean 'travel.can_use_public_transport'?)",
        ),
        ({"assessor": {"nme": "J. Smith"}}, "assessor.nme", "(did you mean 'assessor.name'?)"),
    ],
)
def test_record_errors_suggest_the_closest_field(
    data: dict[str, object], field: str, hint: str
) -> None:
    with pytest.raises(RecordError) as caught:
        parse_record({"case_id": "C-1", "assessment_date": "2021-03-15", **data})
    [error] = caught.value.errors
    assert error.field == field
    assert error.message == f"is not a field of the assessment record {hint}"


def test_a_key_like_no_field_gets_no_suggestion() -> None:
    with pytest.raises(RecordError) as caught:
        parse_record({"case_id": "C-1", "assessment_date": "2021-03-15", "zzz": 1})
    assert caught.value.errors[0].message == "is not a field of the assessment record"


def test_record_md_opens_with_a_complete_nested_example_record() -> None:
    """The first YAML block of record.md is a valid record naming every registry field, nested
    under its section (a section that must be filled in whole, ``override``, commented out)."""
    text = (ROOT / "docs" / "record.md").read_text(encoding="utf-8")
    block = text[text.index("```yaml\n") + len("```yaml\n") :]
    block = block[: block.index("```")]
    assert text.index("```yaml") < text.index("| field | values | meaning |")
    data = load_yaml(block)[0]
    record = parse_record(data, source="docs/record.md")
    assert decide(record).outcome == "do_not_provide"
    for spec in REGISTRY:
        section, _, leaf = spec.path.rpartition(".")
        if not section:
            assert leaf in data, spec.path
        elif section in data:
            assert leaf in data[section], spec.path
        else:
            assert re.search(rf"^#\s+{leaf}:", block, re.M), spec.path
