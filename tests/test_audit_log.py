"""The decision log: its hash chain, appending, and `audit verify` naming the first bad entry."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import tempfile
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from transport_policy import decide, load_case
from transport_policy.audit.log import GENESIS, DecisionLog, LogError, canonical_object
from transport_policy.audit.verify import Checkpoint, Report, verify
from transport_policy.cli.audit import audit_group
from transport_policy.digest import canonical_json
from transport_policy.model.decision import Decision
from transport_policy.model.record import AssessmentRecord

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.yaml"))[:6]
ENTRIES = len(CASES)


@pytest.fixture(scope="module")
def decided() -> list[tuple[Decision, AssessmentRecord]]:
    out = []
    for path in CASES:
        record, _ = load_case(path)
        out.append((decide(record), record))
    return out


@pytest.fixture(scope="module")
def log_bytes(
    tmp_path_factory: pytest.TempPathFactory, decided: list[tuple[Decision, AssessmentRecord]]
) -> bytes:
    path = tmp_path_factory.mktemp("log") / "decisions.log"
    with DecisionLog(path) as log:
        for decision, record in decided[:3]:
            log.append(decision, record)
    with DecisionLog(path, minimal=True) as log:  # a second writer continues the chain
        for decision, record in decided[3:]:
            log.append(decision, record)
    return path.read_bytes()


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:-1]


def _write(tmp_path: Path, lines: list[bytes], name: str = "t.log") -> Path:
    path = tmp_path / name
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def test_each_entry_is_canonical_json_and_hashed_as_documented(
    log_bytes: bytes, decided: list[tuple[Decision, AssessmentRecord]]
) -> None:
    prev = GENESIS
    for seq, line in enumerate(_lines(log_bytes), start=1):
        entry = json.loads(line)
        assert rfc8785.dumps(entry) == line
        body = {k: v for k, v in entry.items() if k != "hash"}
        assert entry["hash"] == "sha256:" + hashlib.sha256(rfc8785.dumps(body)).hexdigest()
        assert entry["seq"] == seq and entry["prev"] == prev
        assert entry["time"].endswith("Z")
        decision, record = decided[seq - 1]
        assert entry["decision"] == decision.model_dump(mode="json")
        if seq <= 3:
            assert entry["record"] == record.model_dump(mode="json", exclude_none=True)
            assert "record_digest" not in entry
        else:  # minimal: the record's digest only
            assert entry["record_digest"] == decision.input_digest
            assert "record" not in entry
        prev = entry["hash"]


def test_an_intact_log_verifies_and_gives_its_checkpoint(log_bytes: bytes, tmp_path: Path) -> None:
    path = _write(tmp_path, _lines(log_bytes))
    report = verify(path)
    assert report.ok and report.entries == ENTRIES
    last = json.loads(_lines(log_bytes)[-1])["hash"]
    assert report.checkpoint == Checkpoint(ENTRIES, last)
    assert verify(path, Checkpoint.parse(str(report.checkpoint))).ok


def test_an_empty_log_verifies(tmp_path: Path) -> None:
    path = tmp_path / "empty.log"
    path.touch()
    assert verify(path).ok and verify(path).checkpoint == Checkpoint(0, GENESIS)


@given(st.data())
def test_a_corrupted_byte_is_reported_at_its_entry(log_bytes: bytes, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(log_bytes) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda b: b != log_bytes[position]))
    corrupted = log_bytes[:position] + bytes([value]) + log_bytes[position + 1 :]
    entry = log_bytes[:position].count(b"\n") + 1
    report = _verify_bytes(corrupted)
    assert report.problem is not None
    assert report.problem.entry == entry, report.problem.message
    assert report.entries == entry - 1


@given(st.data())
def test_swapped_entries_are_reported_at_the_first(log_bytes: bytes, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, ENTRIES - 2))
    j = data.draw(st.integers(i + 1, ENTRIES - 1))
    lines = _lines(log_bytes)
    lines[i], lines[j] = lines[j], lines[i]
    report = _verify_bytes(b"".join(line + b"\n" for line in lines))
    assert report.problem is not None
    assert (report.problem.entry, report.problem.kind) == (i + 1, "reordered")


@given(st.integers(0, ENTRIES - 2))
def test_a_removed_entry_is_named(log_bytes: bytes, k: int) -> None:
    lines = _lines(log_bytes)
    del lines[k]
    report = _verify_bytes(b"".join(line + b"\n" for line in lines))
    assert report.problem is not None
    assert (report.problem.entry, report.problem.kind) == (k + 1, "removed")


def test_entries_removed_from_the_end_need_the_checkpoint(log_bytes: bytes, tmp_path: Path) -> None:
    checkpoint = verify(_write(tmp_path, _lines(log_bytes), "full.log")).checkpoint
    cut = _write(tmp_path, _lines(log_bytes)[:-2])
    assert verify(cut).ok  # a chain alone cannot tell
    report = verify(cut, checkpoint)
    assert report.problem is not None
    assert (report.problem.entry, report.problem.kind) == (ENTRIES - 1, "truncated")


def test_a_rewritten_log_does_not_match_the_checkpoint(
    log_bytes: bytes, tmp_path: Path, decided: list[tuple[Decision, AssessmentRecord]]
) -> None:
    checkpoint = verify(_write(tmp_path, _lines(log_bytes), "full.log")).checkpoint
    rewritten = tmp_path / "rewritten.log"
    with DecisionLog(rewritten) as log:
        for decision, record in reversed(decided):
            log.append(decision, record)
    assert verify(rewritten).ok  # consistent in itself
    report = verify(rewritten, checkpoint)
    assert report.problem is not None
    assert (report.problem.entry, report.problem.kind) == (ENTRIES, "rewritten")


def test_appending_refuses_a_log_cut_short_or_with_a_changed_last_entry(
    log_bytes: bytes, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.log"
    cut.write_bytes(log_bytes[:-10])
    with pytest.raises(LogError, match="incomplete"), DecisionLog(cut):
        pass
    changed = tmp_path / "changed.log"
    changed.write_bytes(log_bytes.replace(b'"seq":6', b'"seq":7'))
    with pytest.raises(LogError, match="does not match its hash"), DecisionLog(changed):
        pass
    assert changed.read_bytes() == log_bytes.replace(b'"seq":6', b'"seq":7')  # untouched


def _append_many(path: str, count: int) -> None:
    record, _ = load_case(CASES[0])
    decision = decide(record)
    for _ in range(count):
        with DecisionLog(path) as log:
            log.append(decision, record)


def test_concurrent_writers_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "shared.log"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(str(path), 15)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert all(w.exitcode == 0 for w in workers)
    report = verify(path)
    assert report.ok and report.entries == 45


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers(-(2**53) + 1, 2**53 - 1)
            | st.text()
            | st.floats(allow_nan=False, allow_infinity=False),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=4), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=6,
    )
)
def test_an_object_assembled_from_canonical_members_is_canonical(value: dict[str, Any]) -> None:
    members = {k: canonical_json(v) for k, v in value.items()}
    assert canonical_object(members) == rfc8785.dumps(value)


def test_verify_command_exit_statuses(log_bytes: bytes, tmp_path: Path) -> None:
    runner = CliRunner()
    path = _write(tmp_path, _lines(log_bytes))
    intact = runner.invoke(audit_group, ["verify", str(path)])
    assert intact.exit_code == 0, intact.output
    checkpoint = next(line for line in intact.output.splitlines() if line.startswith("checkpoint"))
    checkpoint = checkpoint.split(": ", 1)[1]
    again = runner.invoke(audit_group, ["verify", str(path), "--checkpoint", checkpoint])
    assert again.exit_code == 0 and "agrees with the checkpoint" in again.output

    cut = _write(tmp_path, _lines(log_bytes)[:-1], "cut.log")
    truncated = runner.invoke(audit_group, ["verify", str(cut), "--checkpoint", checkpoint])
    assert truncated.exit_code == 1
    assert f"entry {ENTRIES} was removed from the end" in truncated.output

    lines = _lines(log_bytes)
    lines[2] = lines[2].replace(b'"seq":3', b'"seq":4')
    changed = runner.invoke(
        audit_group, ["verify", str(_write(tmp_path, lines, "c.log")), "--format", "json"]
    )
    assert changed.exit_code == 1
    result = json.loads(changed.output)
    assert result["problem"]["entry"] == 3 and result["checkpoint"] is None

    bad = runner.invoke(audit_group, ["verify", str(path), "--checkpoint", "six:sha256:00"])
    assert bad.exit_code == 2


def test_a_file_that_is_not_a_log_is_named_as_possibly_not_one(
    log_bytes: bytes, tmp_path: Path
) -> None:
    output = b'{"case_id":"C-1","outcome":"provide"}\n'  # a batch's output, given by mistake
    for name, data, what in (
        ("decisions.jsonl", output, "entry 1 was changed: it does not have the members"),
        ("case.yaml", b"case_id: C-1\n", "entry 1 was changed: it is not valid JSON"),
        ("notes.bin", b"\x00\x01", "entry 1 is incomplete"),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        result = CliRunner().invoke(audit_group, ["verify", str(path)])
        assert result.exit_code == 1
        assert what in result.output and f"(is {path} a decision log?)" in result.output
    lines = _lines(log_bytes)
    tampered = _write(tmp_path, [lines[0].replace(b'"seq":1', b'"seq":7'), *lines[1:]])
    problem = verify(tampered).problem  # a log entry, changed: no hint
    assert problem is not None and problem.message.endswith("does not match its hash")
    first_torn = tmp_path / "torn.log"
    first_torn.write_bytes(lines[0][:-5])
    problem = verify(first_torn).problem
    assert problem is not None and problem.kind == "incomplete"


def _verify_bytes(data: bytes) -> Report:
    with tempfile.NamedTemporaryFile(suffix=".log") as handle:
        handle.write(data)
        handle.flush()
        return verify(handle.name)


def test_a_decision_is_logged_only_with_the_record_it_was_made_from(
    tmp_path: Path, decided: list[tuple[Decision, AssessmentRecord]]
) -> None:
    (decision, _), (_, other_record) = decided[:2]
    path = tmp_path / "d.log"
    for minimal in (False, True):
        with (
            pytest.raises(LogError, match="not made from this record"),
            DecisionLog(path, minimal=minimal) as log,
        ):
            log.append(decision, other_record)
    assert path.read_bytes() == b""


def test_what_verify_says_is_verified_agrees_with_its_verdict(
    log_bytes: bytes, tmp_path: Path, decided: list[tuple[Decision, AssessmentRecord]]
) -> None:
    runner = CliRunner()
    checkpoint = str(verify(_write(tmp_path, _lines(log_bytes), "full.log")).checkpoint)
    rewritten = tmp_path / "rewritten.log"
    with DecisionLog(rewritten) as log:
        for decision, record in reversed(decided):
            log.append(decision, record)
    assert verify(rewritten, Checkpoint.parse(checkpoint)).entries == 0
    text = runner.invoke(audit_group, ["verify", str(rewritten), "--checkpoint", checkpoint])
    assert text.exit_code == 1
    first, second = text.output.splitlines()
    assert "NOT intact" in first and second.startswith("no entry verified")
    as_json = runner.invoke(
        audit_group, ["verify", str(rewritten), "--checkpoint", checkpoint, "--format", "json"]
    )
    assert json.loads(as_json.output)["entries"] == 0

    cut = _write(tmp_path, _lines(log_bytes)[:-2], "cut.log")
    truncated = runner.invoke(audit_group, ["verify", str(cut), "--checkpoint", checkpoint])
    assert truncated.output.splitlines()[1] == (
        f"entries 1 to {ENTRIES - 2} follow the chain, but the checkpoint cannot vouch for them "
        f"(entry {ENTRIES} is missing)"
    )

    lines = _lines(log_bytes)
    lines[2] = lines[2].replace(b'"seq":3', b'"seq":4')
    changed = runner.invoke(audit_group, ["verify", str(_write(tmp_path, lines, "c.log"))])
    assert changed.output.splitlines()[1] == "entries 1 to 2 verified"


def test_an_entry_nested_too_deeply_is_reported_not_a_crash(
    log_bytes: bytes, tmp_path: Path
) -> None:
    deep = b'{"seq": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    path = _write(tmp_path, [*_lines(log_bytes), deep])
    report = verify(path)
    assert report.problem is not None
    assert (report.problem.entry, report.problem.kind) == (ENTRIES + 1, "changed")
    assert "nested too deeply" in report.problem.message
    result = CliRunner().invoke(audit_group, ["verify", str(path)])
    assert result.exit_code == 1 and f"entries 1 to {ENTRIES} verified" in result.output
    with pytest.raises(LogError, match="nested too deeply"), DecisionLog(path):
        pass
