"""Policy versions that extend a base version (``extends:``), and what the digest covers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from transport_policy import PolicyStore
from transport_policy.errors import RuleError
from transport_policy.rules.diff import diff_versions, render_text
from transport_policy.rules.loader import load_policy, resolve_version

ROOT = Path(__file__).resolve().parents[1]
JUDGEMENT = "        - {field: judgement.own_vehicle_use_reasonable, is: true}\n"


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """A copy of the bundled rules, with the draft example beside them, that a test may edit."""
    root = Path(shutil.copytree(ROOT / "rules", tmp_path / "rules"))
    shutil.copytree(ROOT / "docs" / "examples" / "draft-2027", root / "draft-2027")
    return root


def _overlay(root: Path, manifest: str, **files: str) -> Path:
    folder = root / "overlay"
    folder.mkdir()
    (folder / "policy.yaml").write_text(
        "id: ccc-adults-transport\nversion: overlay\ntitle: An overlay\n"
        "effective_from: 2030-01-01\n" + manifest,
        encoding="utf-8",
    )
    for name, text in files.items():
        (folder / name.replace("_", ".", 1)).write_text(text, encoding="utf-8")
    return folder


def _rule_from(folder: Path, name: str, rule_id: str) -> str:
    """The YAML text of one rule of a rule file, as a one-rule file."""
    text = (folder / name).read_text(encoding="utf-8")
    start = text.index(f"  - id: {rule_id}\n")
    end = text.find("\n  - id:", start + 1)
    return "rules:\n" + (text[start : end + 1] if end >= 0 else text[start:])


def test_editing_a_base_rule_changes_the_digest_of_every_version_built_on_it(rules: Path) -> None:
    before = {v: p.digest for v, p in PolicyStore(rules).policies.items()}
    assert set(before) == {"2016", "2021-01", "draft-2027"}
    assert len(set(before.values())) == 3
    path = rules / "2021-01" / "scope.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("description: The person", "description: Reviewed. The person", 1),
        encoding="utf-8",
    )
    after = {v: p.digest for v, p in PolicyStore(rules).policies.items()}
    assert all(after[v] != before[v] for v in before)


def test_the_draft_is_found_through_its_bundled_base() -> None:
    draft = load_policy(ROOT / "docs" / "examples" / "draft-2027")
    assert draft.extends == "2021-01" and draft.version == "draft-2027"
    assert "judgement.own_vehicle_use_reasonable" not in draft.rule_index["private-car"].fields


@pytest.mark.parametrize("path", ["../2021-01/exclusions.yaml", "/etc/hostname", "link.yaml"])
def test_a_manifest_naming_a_file_outside_its_folder_is_refused(rules: Path, path: str) -> None:
    folder = _overlay(rules, f'extends: "2021-01"\nfiles: ["{path}"]\n')
    (folder / "link.yaml").symlink_to(rules / "2021-01" / "exclusions.yaml")
    with pytest.raises(RuleError) as caught:
        load_policy(folder)
    assert (caught.value.path, caught.value.field) == ("policy.yaml", "files[0]")
    assert "outside this version's folder" in str(caught.value)
    assert str(folder) in str(caught.value)


def test_an_overlay_replaces_adds_and_removes_rules(rules: Path) -> None:
    base = rules / "2021-01"
    replaced = _rule_from(base, "exclusions.yaml", "private-car").replace(JUDGEMENT, "")
    added = _rule_from(base, "exclusions.yaml", "shared-vehicle").replace(
        "id: shared-vehicle", "id: shared-vehicle-again"
    )
    folder = _overlay(
        rules,
        'extends: "2021-01"\nfiles: [a.yaml, b.yaml]\n'
        "remove_rules: [mobility-benefit, use-mobility-benefit-for-this-journey]\n",
        a_yaml=replaced,
        b_yaml=added,
    )
    overlay, original = load_policy(folder), PolicyStore(rules).get("2021-01")
    ids = [r.id for r in overlay.rules]
    base_ids = [r.id for r in original.rules]
    assert "mobility-benefit" in base_ids and "mobility-benefit" not in ids
    removed = {"mobility-benefit", "use-mobility-benefit-for-this-journey"}  # the rule, its action
    kept = [i for i in base_ids if i not in removed]
    assert ids.index("private-car") == kept.index("private-car")
    exclusions = [r.id for r in overlay.by_kind["exclusion"]]
    assert exclusions[-1] == "shared-vehicle-again"
    assert overlay.rule_index["private-car"].source == "a.yaml"
    assert "judgement.own_vehicle_use_reasonable" not in overlay.rule_index["private-car"].fields
    assert overlay.clauses == original.clauses and overlay.prompts == original.prompts


def test_an_overlay_replaces_clauses_and_prompts_by_id(rules: Path) -> None:
    original = PolicyStore(rules).get("2021-01")
    field, clause = next(iter(original.prompts)), next(iter(original.clauses))
    spec = original.clauses[clause]
    folder = _overlay(
        rules,
        'extends: "2021-01"\nclauses: c.yaml\nquestions: q.yaml\n',
        c_yaml=f"clauses:\n  - id: {clause}\n    section: {spec.section!r}\n"
        f"    role: {spec.role}\n    text: A reworded clause.\n"
        + (
            f"    informative_reason: {spec.informative_reason!r}\n"
            if spec.informative_reason
            else ""
        ),
        q_yaml=f"questions:\n  - field: {field}\n    prompt: A reworded question?\n",
    )
    overlay = load_policy(folder)
    assert overlay.clauses[clause].text == "A reworded clause."
    assert overlay.prompts[field] == "A reworded question?"
    assert list(overlay.clauses) == list(original.clauses)


def test_removing_a_rule_the_base_lacks_is_an_error(rules: Path) -> None:
    folder = _overlay(rules, 'extends: "2021-01"\nremove_rules: [no-such-rule]\n')
    with pytest.raises(RuleError) as caught:
        load_policy(folder)
    assert (caught.value.path, caught.value.field) == ("policy.yaml", "remove_rules[0]")


def test_an_unknown_base_is_an_error_naming_the_manifest(rules: Path) -> None:
    folder = _overlay(rules, 'extends: "1999"\n')
    with pytest.raises(RuleError) as caught:
        load_policy(folder)
    assert (caught.value.path, caught.value.field) == ("policy.yaml", "extends")
    assert "'1999'" in str(caught.value) and str(folder) in str(caught.value)


def test_a_cycle_of_bases_is_an_error(rules: Path) -> None:
    manifest = rules / "2021-01" / "policy.yaml"
    text = manifest.read_text(encoding="utf-8")
    cyclic = text.replace('supersedes: "2016"\n', 'supersedes: "2016"\nextends: "2016"\n')
    manifest.write_text(cyclic, encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_policy(rules / "2016")
    assert caught.value.field == "extends"
    assert "cycle: 2016 -> 2021-01 -> 2016" in str(caught.value)


def test_a_version_without_a_base_needs_its_files(rules: Path) -> None:
    folder = _overlay(rules, "")
    with pytest.raises(RuleError) as caught:
        load_policy(folder)
    assert (caught.value.path, caught.value.field) == ("policy.yaml", "files")


def test_rules_diff_names_added_and_removed_rules(rules: Path) -> None:
    added = _rule_from(rules / "2021-01", "exclusions.yaml", "shared-vehicle").replace(
        "id: shared-vehicle", "id: shared-vehicle-again"
    )
    folder = _overlay(
        rules,
        'extends: "2021-01"\nfiles: [b.yaml]\nremove_rules: [mobility-benefit]\n',
        b_yaml=added,
    )
    result = diff_versions(resolve_version(rules / "2021-01"), resolve_version(folder))
    assert (result.rules.added, result.rules.removed) == (
        ["shared-vehicle-again"],
        ["mobility-benefit"],
    )
    text = render_text(result)
    assert "  + rule shared-vehicle-again: added\n" in text
    assert "  - rule mobility-benefit: removed\n" in text


def test_an_error_in_a_base_rule_names_the_base_file(rules: Path) -> None:
    path = rules / "2021-01" / "exclusions.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("clause: exclude.private_car", "clause: exclude.private_cars", 1),
        encoding="utf-8",
    )
    with pytest.raises(RuleError) as caught:
        load_policy(rules / "2016")
    assert (caught.value.path, caught.value.rule_id) == (
        "../2021-01/exclusions.yaml",
        "private-car",
    )
    assert "did you mean 'exclude.private_car'" in str(caught.value)
    assert str(rules / "2021-01" / "exclusions.yaml") in str(caught.value)  # no "2016/../"


def test_removing_a_rule_another_refers_to_says_so(rules: Path) -> None:
    folder = _overlay(rules, 'extends: "2021-01"\nremove_rules: [private-car]\n')
    with pytest.raises(RuleError) as caught:
        load_policy(folder)
    assert (caught.value.path, caught.value.rule_id) == (
        "../2021-01/charging.yaml",
        "own-vehicle-costs",
    )
    assert "refers to rule 'private-car', which the version loaded drops (remove_rules" in str(
        caught.value
    )


def test_a_misspelt_rule_to_remove_or_base_gets_the_closest_name(rules: Path) -> None:
    folder = _overlay(rules, 'extends: "2021-01"\nremove_rules: [privat-car]\n')
    with pytest.raises(RuleError, match=r"did you mean 'private-car'\?"):
        load_policy(folder)
    (folder / "policy.yaml").write_text(
        (folder / "policy.yaml")
        .read_text(encoding="utf-8")
        .replace("remove_rules: [privat-car]", 'extends: "2021-02"')
        .replace('extends: "2021-01"\n', ""),
        encoding="utf-8",
    )
    with pytest.raises(RuleError, match=r"did you mean '2021-01'\?"):
        load_policy(folder)


def test_a_version_extending_itself_is_an_error(rules: Path) -> None:
    folder = _overlay(rules, 'extends: "overlay"\n')
    with pytest.raises(RuleError, match="a version cannot extend itself") as caught:
        load_policy(folder)
    assert caught.value.field == "extends"


def test_a_duplicate_rule_id_names_where_the_first_is(rules: Path) -> None:
    rule = _rule_from(rules / "2021-01", "exclusions.yaml", "shared-vehicle")
    folder = _overlay(
        rules, 'extends: "2021-01"\nfiles: [a.yaml, b.yaml]\n', a_yaml=rule, b_yaml=rule
    )
    with pytest.raises(RuleError, match=r"duplicate rule id \(a rule of this id is in a.yaml\)"):
        load_policy(folder)


@pytest.mark.parametrize(
    ("date", "field", "message"),
    [
        ("2021-01-14", "effective_from", "both come into force on 2021-01-14"),
        ("2020-06-01", "supersedes", "supersedes 2021-01, which comes into force on 2021-01-14"),
    ],
)
def test_an_overlay_dated_into_another_version_s_time_is_refused(
    rules: Path, date: str, field: str, message: str
) -> None:
    """The draft supersedes 2021-01: dated the same day, which applies would be ambiguous; dated
    before it, 2021-01 would replace the version said to replace it."""
    manifest = rules / "draft-2027" / "policy.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("effective_from: 2027-04-01", f"effective_from: {date}"))
    with pytest.raises(RuleError) as caught:
        PolicyStore(rules)
    assert (caught.value.path, caught.value.field) == (str(manifest), field)
    assert message in str(caught.value)
