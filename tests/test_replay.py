"""`replay`: re-deciding logged records under the version they recorded, and what changed."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from transport_policy import decide, load_case
from transport_policy.audit.log import DecisionLog
from transport_policy.audit.replay import (
    ABSENT,
    ALTERED,
    CHANGED,
    IDENTICAL,
    NOT_REPLAYABLE,
    RULES_CHANGED,
    UNAVAILABLE,
    Change,
    _compare,
    diff,
    render_text,
    replay,
    to_json_line,
)
from transport_policy.casefile import parse_record
from transport_policy.cli.replay import replay_command
from transport_policy.digest import canonical_json

ROOT = Path(__file__).resolve().parents[1]
UNREASONABLE_CAR = (
    ROOT
    / "cases"
    / ("a-woman-whose-own-car-it-is-unreasonable-to-expect-her-to-drive-is-provided-transport.yaml")
)
OTHERS = sorted(p for p in (ROOT / "cases").glob("*.yaml") if p != UNREASONABLE_CAR)[:4]
JUDGEMENT = "        - {field: judgement.own_vehicle_use_reasonable, is: true}\n"


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """A copy of the bundled rules that a test may edit."""
    return Path(shutil.copytree(ROOT / "rules", tmp_path / "rules"))


def _log(path: Path, rules: Path | None, *, minimal: bool = False) -> Path:
    with DecisionLog(path, minimal=minimal) as log:
        for case in [UNREASONABLE_CAR, *OTHERS]:
            record, _ = load_case(case)
            log.append(decide(record, rules=rules), record)
    return path


def test_an_unchanged_policy_replays_identically(tmp_path: Path) -> None:
    results = list(replay(_log(tmp_path / "d.log", None), jobs=1))
    assert [r.status for r in results] == [IDENTICAL] * 5
    assert [r.version for r in results] == ["2021-01"] * 5


def test_replay_after_a_rule_edit_reports_the_change(tmp_path: Path, rules: Path) -> None:
    log = _log(tmp_path / "d.log", rules)
    exclusions = rules / "2021-01" / "exclusions.yaml"
    text = exclusions.read_text(encoding="utf-8")
    assert JUDGEMENT in text
    exclusions.write_text(text.replace(JUDGEMENT, "", 1), encoding="utf-8")

    first, *others = replay(log, rules=rules, jobs=1)
    assert first.status == CHANGED and first.case_id == load_case(UNREASONABLE_CAR)[0].case_id
    changes = {c.path: c for c in first.changes}
    assert (changes["outcome"].before, changes["outcome"].after) == ("provide", "do_not_provide")
    assert changes["reasons[exclude.private_car]"].before is ABSENT
    assert changes["policy.digest"].before != changes["policy.digest"].after
    assert all(r.status in (CHANGED, RULES_CHANGED) for r in others)

    result = CliRunner().invoke(replay_command, [str(log), "--rules", str(rules), "--jobs", "1"])
    assert result.exit_code == 1
    assert '~ outcome: "provide" → "do_not_provide"' in result.output
    assert "the rule files of 2021-01 have changed" in result.output


def test_changes_made_in_worker_processes_are_reported_as_in_one_process(
    tmp_path: Path, rules: Path
) -> None:
    log = _log(tmp_path / "d.log", rules)
    exclusions = rules / "2021-01" / "exclusions.yaml"
    exclusions.write_text(exclusions.read_text(encoding="utf-8").replace(JUDGEMENT, "", 1))
    assert pickle.loads(pickle.dumps(ABSENT)) is ABSENT

    here = list(replay(log, rules=rules, jobs=1))
    there = list(replay(log, rules=rules, jobs=2, chunk_size=1))  # one entry per worker task
    assert there == here
    added = {c.path: c for c in there[0].changes}["reasons[exclude.private_car]"]
    assert added.before is ABSENT

    for result, again in zip(there, here, strict=True):  # as the text and JSON outputs show it
        assert render_text(result) == render_text(again)
        assert to_json_line(result) == to_json_line(again)


def test_a_last_entry_cut_short_is_reported_as_incomplete(tmp_path: Path) -> None:
    log = _log(tmp_path / "d.log", None)
    data = log.read_bytes()
    log.write_bytes(data[: data.rindex(b"\n", 0, -1) + 40])  # the last entry cut short
    *others, last = replay(log, jobs=1)
    assert [r.status for r in others] == [IDENTICAL] * 4
    assert last.status == ALTERED and last.entry == 5
    assert last.message.startswith("the entry is incomplete (the log does not end with a newline)")
    assert sum(r.size for r in [*others, last]) == log.stat().st_size  # the progress bar's


def test_minimal_entries_are_not_replayable(tmp_path: Path) -> None:
    log = _log(tmp_path / "d.log", None, minimal=True)
    assert {r.status for r in replay(log, jobs=1)} == {NOT_REPLAYABLE}
    result = CliRunner().invoke(replay_command, [str(log), "--format", "json"])
    assert result.exit_code == 0
    assert "5 not replayable" in result.stderr


def test_another_version_can_be_asked_for(tmp_path: Path) -> None:
    log = _log(tmp_path / "d.log", None)
    results = list(replay(log, policy="2016", jobs=1))
    assert {r.version for r in results} == {"2016"}
    # The same criteria: only the 2021-01 review date's warning (governance.review) differs.
    assert {c.path.partition("[")[0] for r in results for c in r.changes} <= {"warnings"}
    assert IDENTICAL in {r.status for r in results}
    unknown = CliRunner().invoke(replay_command, [str(log), "--policy", "1999"])
    assert unknown.exit_code == 3 and "1999" in unknown.output


def test_a_missing_version_or_an_altered_entry_is_reported(tmp_path: Path, rules: Path) -> None:
    log = _log(tmp_path / "d.log", None)
    shutil.rmtree(rules / "2021-01")
    assert {r.status for r in replay(log, rules=rules, jobs=1)} == {UNAVAILABLE}

    lines = log.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"outcome":"', b'"outcome":"x', 1)
    log.write_bytes(b"".join(lines))
    statuses = [r.status for r in replay(log, jobs=1)]
    assert statuses == [IDENTICAL, ALTERED, IDENTICAL, IDENTICAL, IDENTICAL]
    assert CliRunner().invoke(replay_command, [str(log)]).exit_code == 1


def test_diff_matches_list_entries_by_clause_and_names_paths() -> None:
    before = {
        "outcome": "provide",
        "reasons": [{"clause": "a", "facts": {"x.y": 1}}, {"clause": "b", "facts": {}}],
        "questions": ["q1"],
    }
    after = {
        "outcome": "provide",
        "reasons": [{"clause": "b", "facts": {}}, {"clause": "a", "facts": {"x.y": 2}}],
        "questions": ["q1", "q2"],
        "new": True,
    }
    assert diff(before, after) == [
        Change('reasons[a].facts["x.y"]', 1, 2),
        Change("questions[1]", ABSENT, "q2"),
        Change("new", ABSENT, True),
    ]
    assert diff({"a": 1}, {"a": True}) == [Change("a", 1, True)]  # no JSON type coercion
    assert json.dumps(Change("p", ABSENT, 3).as_dict()) == '{"path": "p", "after": 3}'


def _file_digest(folder: Path) -> str:
    """The policy digest as defined before it covered the resolved policy: sha256 over every file
    of the version's folder, sorted by path (path, NUL, content with LF line endings)."""
    import hashlib

    digest = hashlib.sha256()
    for rel in sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()):
        digest.update(rel.encode() + b"\0" + (folder / rel).read_bytes().replace(b"\r\n", b"\n"))
    return "sha256:" + digest.hexdigest()


def test_entries_logged_under_the_earlier_digest_definition_replay_as_rules_changed(
    tmp_path: Path,
) -> None:
    """The digest definition changed (it now covers the resolved policy), so an entry logged
    before carries a digest no version has now: replay reports it as "rules changed"."""
    path = tmp_path / "old.log"
    with DecisionLog(path) as log:
        for case in [UNREASONABLE_CAR, *OTHERS]:
            record, _ = load_case(case)
            decision = decide(record)
            old = _file_digest(ROOT / "rules" / decision.policy.version)
            assert old != decision.policy.digest
            policy = decision.policy.model_copy(update={"digest": old})
            log.append(decision.model_copy(update={"policy": policy}), record)
    results = list(replay(path, jobs=1))
    assert [r.status for r in results] == [RULES_CHANGED] * 5
    assert all([c.path for c in r.changes] == ["policy.digest"] for r in results)


def test_entries_logged_before_questions_had_answer_types_replay_identically(
    tmp_path: Path,
) -> None:
    """Questions gained ``answer_type`` and ``allowed_values``; an entry logged without them
    replays as identical, and one logged with them is still compared on them."""
    cases = sorted((ROOT / "cases").glob("*.yaml"))
    asked = [p for p in cases if decide(load_case(p)[0]).questions][:3]
    path = tmp_path / "before.log"
    with DecisionLog(path) as log:
        for case in asked:
            record, _ = load_case(case)
            record_json = canonical_json(record.model_dump(mode="json", exclude_none=True))
            now = decide(record).model_dump(mode="json")
            before = {
                **now,
                "questions": [
                    {k: v for k, v in q.items() if k not in ("answer_type", "allowed_values")}
                    for q in now["questions"]
                ],
            }
            log.append_canonical(canonical_json(before), record_json, now["input_digest"])
            now["questions"][0]["answer_type"] = "text"  # recorded, and not today's
            log.append_canonical(canonical_json(now), record_json, now["input_digest"])
    results = list(replay(path, jobs=1))
    assert [r.status for r in results] == [IDENTICAL, CHANGED] * 3
    for result, case in zip(results[1::2], asked, strict=True):
        first = decide(load_case(case)[0]).questions[0].field
        assert [c.path for c in result.changes] == [f"questions[{first}].answer_type"]


def test_progress_is_shown_on_stderr_only_when_asked(tmp_path: Path) -> None:
    log = str(_log(tmp_path / "d.log", None))
    quiet = CliRunner().invoke(replay_command, [log, "-j", "1"])
    shown = CliRunner().invoke(replay_command, [log, "-j", "1", "--progress"])
    assert quiet.exit_code == shown.exit_code == 0
    assert "replaying" not in quiet.stderr and "replaying" in shown.stderr
    assert shown.stdout == quiet.stdout


OLD_LOG = (
    Path(__file__).parent
    / "fixtures"
    / ("a-decision-logged-before-assessment-date-journey-and-next-steps.log")
)


def test_a_decision_logged_before_the_newer_keys_compares_without_them(tmp_path: Path) -> None:
    """The entry was written by the code before decisions had assessment_date, journey and
    next_steps: only the rule files' digest differs, the keys it lacks are not changes."""
    logged = json.loads(OLD_LOG.read_bytes())["decision"]
    assert not {"assessment_date", "journey", "next_steps"} & set(logged)
    (result,) = replay(OLD_LOG, jobs=1)
    assert result.status in (IDENTICAL, RULES_CHANGED), result.changes
    assert [c.path for c in result.changes] in ([], ["policy.digest"])
    # A key the logged decision has is still compared.
    entry = json.loads(OLD_LOG.read_bytes())
    entry["decision"]["outcome"] = "provide"
    assert _compare(entry["decision"], _now(entry), forced=False)


OLD_PROVIDE_LOG = (
    Path(__file__).parent
    / "fixtures"
    / "a-provide-decision-logged-before-provision-requirements.log"
)


def test_a_provision_logged_before_its_requirements_compares_without_them() -> None:
    """A provide decision written by the code before a provision listed what the transport must
    offer: only the rule files' digest differs; a requirement recorded now is still compared."""
    entry = json.loads(OLD_PROVIDE_LOG.read_bytes())
    assert entry["decision"]["outcome"] == "provide"
    assert "requirements" not in entry["decision"]["provision"]
    (result,) = replay(OLD_PROVIDE_LOG, jobs=1)
    # the rules' wording may have changed since; the provision compares equal
    assert [c.path for c in result.changes if c.path.startswith("provision")] == []
    now = _now(entry)
    assert now["provision"]["requirements"] == []
    with_needs = {**entry["decision"], "provision": {**entry["decision"]["provision"]}}
    with_needs["provision"]["requirements"] = ["wheelchair_accessible"]
    changed = [c.path for c in _compare(with_needs, now, forced=False)]
    assert [p for p in changed if p.startswith("provision")] == ["provision.requirements[0]"]


def _now(entry: dict[str, Any]) -> dict[str, Any]:
    record = parse_record(entry["record"])
    return decide(record).model_dump(mode="json")
