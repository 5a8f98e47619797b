"""Policies, manifests and compiled rulesets kept between processes (``rules.stored``).

A kept result must be exactly what loading would make, must never outlive an edit of the rules or
of the code, and must never be a reason for a command to fail.
"""

from __future__ import annotations

import ast
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import RULES
from transport_policy import PolicyStore, decide, load_case
from transport_policy.engine import Engine
from transport_policy.engine.runtime import (
    DurableEvaluator,
    PythonEvaluator,
    policy_fields,
    record_facts,
)
from transport_policy.errors import RuleError
from transport_policy.rules import loader, stored
from transport_policy.rules.conditions import FAILS, HOLDS, Always

CASE = sorted((RULES.parent / "cases").glob("*.yaml"))[0]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(stored.ENV_DIR, str(folder))
    monkeypatch.delenv(stored.ENV_OFF, raising=False)
    return folder


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    return root


def _kinds(folder: Path) -> list[str]:
    return sorted(p.name.split("-")[0] for p in folder.glob("*.pickle"))


def _no_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("loaded from YAML although it was kept")

    monkeypatch.setattr(loader, "load_policy", refuse)
    monkeypatch.setattr(loader, "read_manifest", refuse)


def test_a_kept_policy_is_the_policy_loading_makes(
    cache: Path, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = PolicyStore(rules).get("2021-01")
    assert _kinds(cache) == ["manifests", "policy"]
    _no_loading(monkeypatch)
    kept = PolicyStore(rules).get("2021-01")
    assert kept is not loaded
    assert kept == loaded
    assert kept.digest == loaded.digest


def test_every_golden_case_is_decided_alike_with_a_kept_policy(
    cache: Path, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = PolicyStore(rules).policies
    _no_loading(monkeypatch)
    kept = PolicyStore(rules).policies
    for path in sorted((RULES.parent / "cases").glob("*.yaml")):
        record, _ = load_case(path)
        version = PolicyStore(rules).in_force(record.assessment_date).version
        made = [decide(record, policy=p[version]).to_json() for p in (loaded, kept)]
        assert made[0] == made[1], path.name


def test_the_folder_is_private_to_its_owner(cache: Path, rules: Path) -> None:
    PolicyStore(rules).get("2021-01")
    if os.name == "posix":
        assert stat.S_IMODE(cache.stat().st_mode) == 0o700


def test_an_edited_rule_file_is_loaded_again(cache: Path, rules: Path) -> None:
    before = PolicyStore(rules).get("2021-01")
    exclusions = rules / "2021-01" / "exclusions.yaml"
    text = exclusions.read_text(encoding="utf-8")
    edited = text.replace("description:", "description: Edited.", 1)
    assert edited != text
    exclusions.write_text(edited, encoding="utf-8")
    after = PolicyStore(rules).get("2021-01")
    assert after.digest != before.digest
    assert after.rules != before.rules


def test_an_edited_base_changes_the_version_built_on_it(cache: Path, rules: Path) -> None:
    old = PolicyStore(rules).get("2016")
    path = rules / "2021-01" / "exclusions.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("description:", "description: Base.", 1),
        encoding="utf-8",
    )
    assert PolicyStore(rules).get("2016").digest != old.digest


def _edit_private_car(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    edited = text.replace(
        "{field: vehicles.drives_self, is: true}", "{field: vehicles.drives_self, is: false}", 1
    )
    assert edited != text
    path.write_text(edited, encoding="utf-8")


def test_an_edited_rule_file_in_a_subfolder_is_loaded_again(cache: Path, tmp_path: Path) -> None:
    """A manifest may name a file in a subfolder of its version: an edit of it is seen too."""
    folder = tmp_path / "mine" / "draft-2027"
    shutil.copytree(RULES.parent / "docs" / "examples" / "draft-2027", folder)
    (folder / "sub").mkdir()
    (folder / "exclusions.yaml").rename(folder / "sub" / "exclusions.yaml")
    manifest = folder / "policy.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(
            "  - exclusions.yaml", "  - sub/exclusions.yaml"
        ),
        encoding="utf-8",
    )
    before = PolicyStore(folder).get("draft-2027")
    _edit_private_car(folder / "sub" / "exclusions.yaml")
    after = PolicyStore(folder).get("draft-2027")
    assert after.digest != before.digest
    assert str(after.rule_index["private-car"].condition) != str(
        before.rule_index["private-car"].condition
    )


def test_an_edited_base_of_a_base_outside_the_rules_folder_is_seen(
    cache: Path, rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version extending 2016 of another rules folder is built on that folder's 2021-01 too."""
    monkeypatch.setenv("TRANSPORT_POLICY_RULES", str(rules))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "policy.yaml").write_text(
        "id: ccc-adults-transport\nversion: draft\ntitle: Draft\neffective_from: 2030-01-01\n"
        'extends: "2016"\n',
        encoding="utf-8",
    )
    before = PolicyStore(mine).get("draft")
    _edit_private_car(rules / "2021-01" / "exclusions.yaml")
    assert PolicyStore(mine).get("draft").digest != before.digest
    assert str(rules / "2021-01" / "exclusions.yaml") in PolicyStore(mine).watched


def test_changed_code_is_a_new_key(
    cache: Path, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    PolicyStore(rules).get("2021-01")
    calls: list[object] = []
    real = loader.load_policy
    monkeypatch.setattr(loader, "load_policy", lambda d: calls.append(d) or real(d))
    monkeypatch.setattr(stored, "_code", b"other code")
    PolicyStore(rules).get("2021-01")
    assert len(calls) == 1


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped", "empty"])
def test_a_damaged_file_is_made_again(
    cache: Path, rules: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    good = PolicyStore(rules).get("2021-01")
    for path in cache.glob("*.pickle"):
        data = path.read_bytes()
        if damage == "garbage":
            data = b"not a kept file at all"
        elif damage == "truncated":
            data = data[: len(data) // 2]
        elif damage == "flipped":
            data = data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:]
        else:
            data = b""
        path.write_bytes(data)
    again = PolicyStore(rules).get("2021-01")
    assert again == good
    _no_loading(monkeypatch)  # made again and written whole
    assert PolicyStore(rules).get("2021-01") == good


def test_a_folder_that_cannot_be_written_only_means_loading(
    tmp_path: Path, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(stored.ENV_DIR, str(blocker / "cache"))
    assert PolicyStore(rules).get("2021-01").version == "2021-01"


def test_code_that_cannot_be_fingerprinted_keeps_nothing(
    cache: Path, rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stored, "_PACKAGE", tmp_path / "an-archive.zip" / "transport_policy")
    monkeypatch.setattr(stored, "_code", None)
    assert PolicyStore(rules).get("2021-01").version == "2021-01"
    assert not cache.exists()


def test_keeping_can_be_turned_off(
    cache: Path, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(stored.ENV_OFF, "1")
    PolicyStore(rules).get("2021-01")
    assert not cache.exists()


def test_a_broken_rule_file_is_never_kept(cache: Path, rules: Path) -> None:
    path = rules / "2021-01" / "exclusions.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("kind: exclusion", "kind: exclusoin", 1),
        encoding="utf-8",
    )
    for _ in range(2):
        with pytest.raises(RuleError, match=r"can-mobilise.*kind"):
            PolicyStore(rules).get("2021-01")
    assert "policy" not in _kinds(cache)


def test_a_ruleset_is_kept_by_what_it_is_made_of(cache: Path, rules: Path) -> None:
    policy = PolicyStore(rules).get("2021-01")
    record, _ = load_case(CASE)
    facts = record_facts(record, policy_fields(policy), policy)
    Engine(policy).close()
    assert "compiled" in _kinds(cache)
    # A policy changed in code may keep its digest: its own conditions are compiled, not the
    # kept ruleset of the policy it was made from.
    statuses = PythonEvaluator(policy).statuses(facts)
    rule = next(r for r in policy.rules if statuses[f"{r.id}/condition"] == FAILS)
    changed = replace(
        policy,
        rules=tuple(replace(r, condition=Always()) if r is rule else r for r in policy.rules),
    )
    assert changed.digest == policy.digest
    evaluator = DurableEvaluator(changed)
    try:
        got = evaluator.statuses(facts)
    finally:
        evaluator.close()
    assert got[f"{rule.id}/condition"] == HOLDS
    assert got == PythonEvaluator(changed).statuses(facts)


def test_the_command_line_decides_the_same_with_and_without_kept_results(
    cache: Path, tmp_path: Path
) -> None:
    script = "from transport_policy.cli import run; run()"
    command = [sys.executable, "-c", script, "decide", str(CASE), "--format", "json"]
    env = {**os.environ, stored.ENV_DIR: str(cache)}
    outputs = [
        subprocess.run(command, env=env, capture_output=True, check=True).stdout for _ in range(2)
    ]
    assert _kinds(cache) == ["compiled", "manifests", "policy"]
    off = subprocess.run(
        command, env={**env, stored.ENV_OFF: "1"}, capture_output=True, check=True
    ).stdout
    assert outputs[0] == outputs[1] == off


def _imports(module: Path, package: Path) -> set[Path]:
    """The package's files a module imports (``from .x import``, ``from ..y.z import``)."""
    found: set[Path] = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = module.parent
            for _ in range(node.level - 1):
                base = base.parent
            target = base.joinpath(*(node.module or "").split(".")) if node.module else base
            names = [target / f"{alias.name}.py" for alias in node.names]
            for candidate in [target.with_suffix(".py"), target / "__init__.py", *names]:
                if candidate.is_file() and package in candidate.parents:
                    found.add(candidate)
    return found


def test_the_code_fingerprint_covers_everything_that_makes_what_is_kept() -> None:
    package = Path(stored.__file__).resolve().parents[1]
    makers = [package / "rules" / "loader.py", package / "rules" / "versions.py"]
    makers.append(package / "engine" / "compile.py")
    seen: set[Path] = set()
    todo = list(makers)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(_imports(module, package))
    covered = {package / name for name in stored.MADE_BY}
    outside = [
        str(m.relative_to(package))
        for m in sorted(seen)
        if m not in covered and m.parent not in covered
    ]
    assert not outside, f"imported by the loader or the compiler, not in MADE_BY: {outside}"
    assert len(seen) > 10  # the walk found the imports


def test_a_file_named_outside_the_version_is_not_read_for_the_key(
    cache: Path, tmp_path: Path
) -> None:
    """Loading refuses a name outside the version's folder without reading it: so does the key
    (``/dev/zero`` would never end)."""
    folder = tmp_path / "mine" / "draft-2027"
    shutil.copytree(RULES.parent / "docs" / "examples" / "draft-2027", folder)
    manifest = folder / "policy.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("  - exclusions.yaml", "  - /dev/zero"),
        encoding="utf-8",
    )
    store = PolicyStore(folder)
    assert "/dev/zero" not in store.watched
    with pytest.raises(RuleError, match="outside this version's folder"):
        store.get("draft-2027")
