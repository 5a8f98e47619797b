"""`batch`: one output line per input record, in order, whatever is wrong with some of them."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from transport_policy import decide, load_case
from transport_policy.audit.log import DecisionLog
from transport_policy.audit.verify import verify
from transport_policy.batch.pool import IN_FLIGHT_PER_WORKER, ordered_map
from transport_policy.batch.run import REJECTED, Settings, run
from transport_policy.casefile import MAX_BYTES
from transport_policy.cli.batch import _closed, batch_command
from transport_policy.cli.common import CannotRun
from transport_policy.cli.signals import Stopped, StopSignals

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.yaml"))
GOOD = [load_case(p)[0].model_dump(mode="json", exclude_none=True) for p in CASES[:8]]
SECRET = "SECRET-VALUE-7731"

# Each kind of bad line, and the field its error names.
BAD: dict[str, tuple[bytes, str]] = {
    "blank": (b"   ", "(line)"),
    "not utf-8": (b'{"case_id": "\xff\xfe"}', "(line)"),
    "not json": (b'{"case_id": "C-1", ', "(line)"),
    "not an object": (b"[1, 2]", "(record)"),
    "bad value": (json.dumps({**GOOD[0], "person": {"age": SECRET}}).encode(), "person.age"),
    "unknown field": (json.dumps({**GOOD[0], "secret_field": SECRET}).encode(), "secret_field"),
    "contradictory facts": (
        json.dumps({**GOOD[0], "vehicles": {"motability": True, "private_car": False}}).encode(),
        "vehicles.motability",
    ),
    "no version in force": (
        json.dumps({"case_id": "C-old", "assessment_date": "2015-06-01"}).encode(),
        "assessment_date",
    ),
}


def _line(i: int) -> bytes:
    record = dict(GOOD[i % len(GOOD)], case_id=f"B-{i}")
    return json.dumps(record).encode()


def _check(outputs: list[str], bad: dict[int, str], source: str) -> None:
    """Output i is the decision of line i, or an error record naming line i."""
    for i, text in enumerate(outputs):
        out = json.loads(text)
        if i in bad:
            assert set(out) == {"index", "source", "case_id", "errors"}
            assert out["index"] == i + 1 and out["source"] == f"{source}:{i + 1}"
            assert out["errors"] and out["errors"][0]["field"] == BAD[bad[i]][1]
            assert SECRET not in text
        else:
            assert out["case_id"] == f"B-{i}" and out["outcome"]


@settings(max_examples=25)
@given(st.data())
def test_k_bad_lines_out_of_n_give_n_results_in_order(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    n = data.draw(st.integers(1, 14), label="n")
    bad = data.draw(
        st.dictionaries(st.integers(0, n - 1), st.sampled_from(sorted(BAD))), label="bad"
    )
    truncated = data.draw(st.booleans(), label="last line truncated")
    lines = [BAD[bad[i]][0] if i in bad else _line(i) for i in range(n)]
    body = b"\n".join(lines) + b"\n"
    if truncated:
        body = body[:-1]
        if n - 1 not in bad:  # cut the last record short: an error for that line only
            body = body[: body.rindex(b"\n") + 1 if n > 1 else 0] + lines[-1][: len(lines[-1]) // 2]
            bad[n - 1] = "not json"
    path = tmp_path_factory.mktemp("batch") / "records.jsonl"
    path.write_bytes(body)
    outputs = [r.line for r in run([str(path)], Settings(), jobs=1)]
    assert len(outputs) == n
    _check(outputs, bad, str(path))


def test_worker_processes_keep_input_order(tmp_path: Path) -> None:
    n, bad = 23, {2: "blank", 9: "bad value", 10: "not utf-8", 22: "not json"}
    lines = [BAD[bad[i]][0] if i in bad else _line(i) for i in range(n)]
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    outputs = [r.line for r in run([str(path)], Settings(), jobs=2, chunk_size=3)]
    assert len(outputs) == n
    _check(outputs, bad, str(path))
    single = [r.line for r in run([str(path)], Settings(), jobs=1)]
    assert outputs == single


def test_a_truncated_last_line_says_so(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_bytes(_line(0) + b"\n" + _line(1)[:30])
    first, last = (json.loads(r.line) for r in run([str(path)], Settings(), jobs=1))
    assert first["case_id"] == "B-0"
    assert "may be truncated" in last["errors"][0]["message"]


def test_a_byte_order_mark_before_the_first_line_is_not_part_of_its_record(
    tmp_path: Path,
) -> None:
    """A JSON Lines file saved with a byte order mark (Windows Notepad) is decided as without
    it, as `decide` reads such a case file; one later in the file is a bad line."""
    marked, plain = tmp_path / "marked.jsonl", tmp_path / "plain.jsonl"
    plain.write_bytes(_line(0) + b"\n" + _line(1) + b"\n")
    marked.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes() + b"\xef\xbb\xbf" + _line(2) + b"\n")
    got = [json.loads(r.line) for r in run([str(marked)], Settings(), jobs=1)]
    want = [json.loads(r.line) for r in run([str(plain)], Settings(), jobs=1)]
    assert got[:2] == want
    assert got[2]["errors"][0]["field"] == "(line)"


def test_an_overlong_line_is_an_error_for_that_line_only(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_bytes(_line(0) + b"\n" + b"x" * (MAX_BYTES + 10) + b"\n" + _line(2) + b"\n")
    results = [json.loads(r.line) for r in run([str(path)], Settings(), jobs=1)]
    assert [r.get("case_id") for r in results] == ["B-0", None, "B-2"]
    assert "larger than" in results[1]["errors"][0]["message"]


def _double(chunk: list[int], _settings: object) -> list[int]:
    return [2 * x for x in chunk]


def test_only_a_few_chunks_are_in_flight() -> None:
    """Input is read as results are written, so memory does not grow with the input."""
    pulled = [0]

    def chunks() -> Iterator[list[int]]:
        for start in range(0, 2000, 10):
            pulled[0] += 1
            yield list(range(start, start + 10))

    out: list[int] = []
    for done, result in enumerate(ordered_map(_double, chunks(), None, 2), start=1):
        out.extend(result)
        assert pulled[0] - done <= 2 * IN_FLIGHT_PER_WORKER
    assert out == [2 * x for x in range(2000)]


def test_cli_exit_statuses_and_output_file(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_bytes(_line(0) + b"\n" + _line(1) + b"\n")
    out = tmp_path / "decisions.jsonl"
    runner = CliRunner()
    ok = runner.invoke(batch_command, [str(good), "--output", str(out), "--jobs", "1"])
    assert ok.exit_code == 0, ok.output
    assert [json.loads(line)["case_id"] for line in out.read_text().splitlines()] == ["B-0", "B-1"]

    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(_line(0) + b"\n\n" + _line(2) + b"\n")
    partial = runner.invoke(batch_command, [str(mixed), "--jobs", "1"])
    assert partial.exit_code == 1
    assert len(partial.stdout.splitlines()) == 3
    assert "1 rejected" in partial.stderr

    unknown = runner.invoke(batch_command, [str(good), "--policy", "1999"])
    assert unknown.exit_code == 3 and "1999" in unknown.output
    usage = runner.invoke(batch_command, [str(good), "--minimal"])
    assert usage.exit_code == 2
    missing = runner.invoke(batch_command, [str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2


def test_the_summary_counts_outcomes(tmp_path: Path) -> None:
    result = CliRunner().invoke(batch_command, [str(ROOT / "cases"), "--jobs", "1"])
    outcomes = Counter(json.loads(line)["outcome"] for line in result.stdout.splitlines())
    listed = ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items()))
    assert f"batch: {len(CASES)} records: {len(CASES)} decided ({listed}), 0 rejected" in (
        result.stderr
    )
    assert len(outcomes) == 4


def test_partitions_cannot_be_resumed(tmp_path: Path) -> None:
    args = [str(CASES[0]), "-o", str(tmp_path / "o"), "--resume", "--partitions", str(tmp_path)]
    result = CliRunner().invoke(batch_command, args)
    assert result.exit_code == 2 and "--partitions cannot be resumed" in result.output


def test_cli_reads_folders_case_files_and_stdin(tmp_path: Path) -> None:
    runner = CliRunner()
    folder = runner.invoke(batch_command, [str(ROOT / "cases"), "--jobs", "1"])
    assert folder.exit_code == 0
    ids = [json.loads(line)["case_id"] for line in folder.stdout.splitlines()]
    assert ids == [load_case(p)[0].case_id for p in CASES]

    stdin = runner.invoke(batch_command, ["-", str(CASES[0])], input=_line(0) + b"\n")
    assert stdin.exit_code == 0
    first, second = (json.loads(line) for line in stdin.stdout.splitlines())
    assert first["case_id"] == "B-0" and second["case_id"] == load_case(CASES[0])[0].case_id


@pytest.mark.parametrize("minimal", [False, True])
def test_cli_log_holds_the_decided_records_in_order(tmp_path: Path, minimal: bool) -> None:
    records = tmp_path / "records.jsonl"
    records.write_bytes(b"\n".join([_line(0), b"", _line(2), _line(3)]) + b"\n")
    log = tmp_path / "decisions.log"
    args = [str(records), "--log", str(log), "--jobs", "1"] + (["--minimal"] if minimal else [])
    assert CliRunner().invoke(batch_command, args).exit_code == 1  # one blank line
    assert CliRunner().invoke(batch_command, args).exit_code == 1  # appends: the chain goes on
    report = verify(log)
    assert report.ok and report.entries == 6
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["decision"]["case_id"] for e in entries] == ["B-0", "B-2", "B-3"] * 2
    assert all(("record" in e) != minimal for e in entries)


def test_a_record_nested_too_deeply_is_rejected_not_an_engine_failure(tmp_path: Path) -> None:
    deep = b"[" * 5000 + b"]" * 5000
    records = tmp_path / "records.jsonl"
    records.write_bytes(b"\n".join([_line(0), b'{"case_id": ' + deep + b"}", _line(2)]) + b"\n")
    result = CliRunner().invoke(batch_command, [str(records), "--jobs", "1"])
    assert result.exit_code == 1, result.output
    first, middle, last = (json.loads(line) for line in result.stdout.splitlines())
    assert first["case_id"] == "B-0" and last["case_id"] == "B-2"
    assert middle["index"] == 2 and [e["field"] for e in middle["errors"]] == ["(line)"]
    assert "1 rejected" in result.stderr and "engine" not in result.stderr

    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a.json").write_bytes(json.dumps(GOOD[0]).encode())
    (folder / "b.json").write_bytes(deep)
    files = CliRunner().invoke(batch_command, [str(folder), "--jobs", "1"])
    assert files.exit_code == 1, files.output
    errors = json.loads(files.stdout.splitlines()[1])["errors"]
    assert [e["field"] for e in errors] == ["(file)"]


def test_a_fault_while_reading_a_record_rejects_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Only a record that was read and validated can fail in the engine."""

    def broken(_data: object, *, source: str) -> None:
        raise LookupError(source)

    monkeypatch.setattr("transport_policy.batch.inputs.parse_record", broken)
    path = tmp_path / "records.jsonl"
    path.write_bytes(_line(0) + b"\n")
    (result,) = run([str(path)], Settings(), jobs=1)
    assert result.status == REJECTED
    assert json.loads(result.line)["errors"][0]["field"] == "(record)"


def test_skipped_folder_entries_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    (folder / "archive").mkdir(parents=True)
    (folder / "one.json").write_bytes(json.dumps(GOOD[0]).encode())
    (folder / "notes.txt").write_text("not a case")
    result = CliRunner().invoke(batch_command, [str(folder), "--jobs", "1"])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 1
    assert "skipped 2 folder entries" in result.stderr
    assert f"{folder / 'archive'}/" in result.stderr and str(folder / "notes.txt") in result.stderr
    assert "batch: 1 record: 1 decided" in result.stderr

    for i in range(7):
        (folder / f"note-{i}.txt").write_text("")
    many = CliRunner().invoke(batch_command, [str(folder), "--jobs", "1"])
    assert "skipped 9 folder entries" in many.stderr and "and 4 more" in many.stderr


def test_an_output_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_bytes(_line(0) + b"\n")
    targets = [tmp_path / "no-such-folder" / "out.jsonl"]
    if Path("/proc/version").exists():
        targets.append(Path("/proc/version"))
    for target in targets:
        result = CliRunner().invoke(batch_command, [str(good), "-o", str(target), "--jobs", "1"])
        assert result.exit_code == 3, result.output
        assert f"cannot write {target}: " in result.stderr
        assert "Traceback" not in result.output and "Errno" not in result.stderr


def test_an_output_or_log_that_is_an_input_or_the_other_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    records = folder / "records.jsonl"
    records.write_bytes(_line(0) + b"\n" + _line(1) + b"\n")
    kept = records.read_bytes()
    (tmp_path / "link.jsonl").symlink_to(records)
    out, log = tmp_path / "out.jsonl", tmp_path / "decisions.log"
    refused = {
        "--output": [str(records), "-o", str(records)],
        "--output ": [str(folder), "-o", str(tmp_path / "link.jsonl")],  # through a folder, a link
        "--log": [str(records), "-o", str(out), "--log", str(records)],
        "--output and --log": [str(records), "-o", str(out), "--log", str(out)],
    }
    for what, args in refused.items():
        result = CliRunner().invoke(batch_command, [*args, "--jobs", "1"])
        assert result.exit_code == 2, (what, result.output)
        message = "name the same file" if " and " in what else "is also an input"
        assert message in result.stderr and what.strip() in result.stderr
        assert records.read_bytes() == kept and not log.exists()
    assert not out.exists()
    ok = CliRunner().invoke(batch_command, [str(records), "-o", str(out), "--log", str(log)])
    assert ok.exit_code == 0 and len(out.read_text().splitlines()) == 2


def test_a_log_that_cannot_be_appended_to_is_named_with_what_is_wrong(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    records.write_bytes(_line(0) + b"\n")
    not_a_log = tmp_path / "decisions.jsonl"  # an earlier batch's output, given as the log
    not_a_log.write_bytes(_line(1) + b"\n")
    torn = tmp_path / "torn.log"
    torn.write_bytes(b'{"decision":{')
    out = tmp_path / "out.jsonl"
    for log, what in (
        (not_a_log, "the last entry does not have the members of a log entry"),
        (torn, "the last entry is incomplete (no newline at the end)"),
    ):
        kept = log.read_bytes()
        for args in ([], ["-o", str(out)]):  # to standard output, and to a file (resumable)
            result = CliRunner().invoke(batch_command, [str(records), "--log", str(log), *args])
            assert result.exit_code == 3, result.output
            assert f"{log}: {what}; nothing was appended" in result.stderr
            assert log.read_bytes() == kept and not out.exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_named_for_the_output_and_for_the_log(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    records.write_bytes(_line(0) + b"\n" + _line(1) + b"\n")
    out, log = tmp_path / "out.jsonl", tmp_path / "decisions.log"
    for args, message in (
        (["-o", "/dev/full"], "cannot write /dev/full: No space left on device"),
        (["-o", str(out), "--log", "/dev/full"], "/dev/full: cannot be written (No space left"),
    ):
        result = CliRunner().invoke(batch_command, [str(records), *args, "--jobs", "1"])
        assert result.exit_code == 3, result.output
        assert message in result.stderr
    assert not log.exists()


def test_an_output_that_fails_again_as_it_closes_keeps_the_first_error() -> None:
    class Failing:
        def close(self) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    first = CannotRun("cannot write out.jsonl: No space left on device")
    with pytest.raises(CannotRun) as kept, _closed(Failing(), "out.jsonl"):  # type: ignore[arg-type]
        raise first
    assert kept.value is first
    with pytest.raises(CannotRun) as closing, _closed(Failing(), "out.jsonl"):  # type: ignore[arg-type]
        pass
    assert closing.value.message == "cannot write out.jsonl: No space left on device"


def test_a_signal_waits_until_the_line_and_its_log_entry_are_written() -> None:
    before = signal.getsignal(signal.SIGTERM)
    stop, reached = StopSignals(), []
    with stop.installed():
        with pytest.raises(Stopped) as stopped, stop.writing():
            os.kill(os.getpid(), signal.SIGTERM)
            reached.append("the end of the write")  # the signal waits until here
        assert reached and stopped.value.signum == signal.SIGTERM
        reached.clear()
        with pytest.raises(Stopped), stop.writing():  # a second signal stops at once
            os.kill(os.getpid(), signal.SIGTERM)
            reached.append("after the first signal")
            os.kill(os.getpid(), signal.SIGTERM)
            pytest.fail("the second signal did not stop the run")
        assert reached == ["after the first signal"]
    assert signal.getsignal(signal.SIGTERM) == before


def test_an_ignored_hangup_stays_ignored() -> None:
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with StopSignals().installed():
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) != signal.SIG_DFL
    finally:
        signal.signal(signal.SIGHUP, previous)


# A batch in a process of its own, stopped from outside while its workers are busy.

BATCH = "from transport_policy.cli import run; run()"  # as the console script does
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _start_time(pid: int) -> str | None:
    """A process's start time (to tell it from a later process given the same id), if alive."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else fields[19]


def _children(pid: int) -> dict[int, str]:
    """The live child processes of ``pid`` and their start times, found by scanning /proc."""
    out: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            out[int(entry)] = fields[19]
    return out


def _survivors(children: dict[int, str]) -> list[int]:
    deadline = time.monotonic() + 5
    while True:
        alive = [pid for pid, start in children.items() if _start_time(pid) == start]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def _wait_for(condition: Iterator[bool], what: str) -> None:
    deadline = time.monotonic() + 60
    for ok in condition:
        if ok:
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _stop_while_busy(
    process: subprocess.Popen[bytes],
    children: dict[int, str],
    name: str,
    whole_group: bool,
    status: int,
    err: Path,
) -> str:
    """Send a stop signal to a command whose two workers are busy (noted in ``children``); it
    ends with ``status`` and leaves no worker behind. What it said on standard error."""
    children.update(_children(process.pid))
    assert len(children) == 2
    signum = getattr(signal, name)
    if whole_group:  # Ctrl-C: the terminal signals every process of the group
        os.killpg(process.pid, signum)
    else:
        os.kill(process.pid, signum)
    assert process.wait(timeout=30) == status, err.read_text()
    assert _survivors(children) == []
    return err.read_text()


def _cleanup(process: subprocess.Popen[bytes], children: dict[int, str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()
    for pid in _survivors(children) if children else []:
        os.kill(pid, signal.SIGKILL)


@linux_only
@pytest.mark.parametrize(
    ("name", "whole_group", "status"),
    [
        ("SIGTERM", False, 143),  # `kill PID`, as a supervisor sends it
        ("SIGHUP", False, 129),
        ("SIGINT", True, 130),  # Ctrl-C: the terminal signals every process of the group
    ],
)
def test_a_stop_signal_terminates_the_workers_and_keeps_complete_lines(
    tmp_path: Path, name: str, whole_group: bool, status: int
) -> None:
    out, err = tmp_path / "out.jsonl", tmp_path / "err.txt"
    with err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", BATCH, "batch", "-", "-o", str(out), "--jobs", "2"],
            stdin=subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,
        )
    children: dict[int, str] = {}
    try:
        assert process.stdin is not None
        # More records than are in flight at once; the input stays open, so the batch cannot
        # finish before it is stopped.
        process.stdin.write(b"".join(_line(i) + b"\n" for i in range(3000)))
        process.stdin.flush()
        _wait_for((out.exists() and out.stat().st_size > 0 for _ in iter(int, 1)), "output")
        said = _stop_while_busy(process, children, name, whole_group, status, err)
        assert f"stopped by {name}" in said
        lines = out.read_bytes().split(b"\n")
        assert lines[-1] == b""  # every line written is complete
        assert [json.loads(line)["case_id"] for line in lines[:-1]] == [
            f"B-{i}" for i in range(len(lines) - 1)
        ]
    finally:
        _cleanup(process, children)


@linux_only
def test_a_closed_output_pipe_stops_the_batch_quietly(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    records.write_bytes(b"".join(_line(i) + b"\n" for i in range(3000)))
    err = tmp_path / "err.txt"
    with err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", BATCH, "batch", str(records), "--jobs", "2"],
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    children: dict[int, str] = {}
    try:
        assert process.stdout is not None
        assert json.loads(process.stdout.readline())["case_id"] == "B-0"  # like `| head -1`
        children = _children(process.pid)
        process.stdout.close()
        assert process.wait(timeout=30) == 141
        assert err.read_bytes() == b""
        assert _survivors(children) == []
    finally:
        _cleanup(process, children)


@linux_only
@pytest.mark.parametrize(
    ("name", "whole_group", "status"), [("SIGTERM", False, 143), ("SIGINT", True, 130)]
)
@pytest.mark.parametrize("command", ["replay", "impact"])
def test_replay_and_impact_stop_as_batch_does(
    tmp_path: Path, command: str, name: str, whole_group: bool, status: int
) -> None:
    """Stopped while their workers are busy: the workers are stopped, no traceback, replay's
    lines are whole and impact writes no report."""
    out, err, report = tmp_path / "out.jsonl", tmp_path / "err.txt", tmp_path / "impact.csv"
    record, _ = load_case(CASES[0])
    if command == "replay":
        log = tmp_path / "decisions.log"
        with DecisionLog(log) as writer:
            decision = decide(record)
            for _ in range(4000):
                writer.append(decision, record)
        args = ["replay", str(log), "--format", "json", "--jobs", "2"]
    else:
        args = ["impact", "-", "--from", "2016", "--to", "2021-01", "--jobs", "2"]
        args += ["--format", "csv", "-o", str(report)]
    with err.open("wb") as stderr, out.open("wb") as stdout:
        process = subprocess.Popen(
            [sys.executable, "-c", BATCH, *args],
            stdin=subprocess.PIPE,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    children: dict[int, str] = {}
    try:
        assert process.stdin is not None
        if command == "impact":  # the input stays open: impact cannot finish before it is stopped
            process.stdin.write(b"".join(_line(i) + b"\n" for i in range(3000)))
            process.stdin.flush()
            _wait_for((len(_children(process.pid)) == 2 for _ in iter(int, 1)), "workers")
            time.sleep(1)
        else:
            _wait_for((out.stat().st_size > 0 for _ in iter(int, 1)), "output")
        said = _stop_while_busy(process, children, name, whole_group, status, err)
        assert f"{command}: stopped by {name}" in said and "Traceback" not in said, said
        assert "leaked" not in said
        lines = out.read_bytes().split(b"\n")
        assert lines[-1] == b""  # every line written is complete
        assert all(json.loads(line)["status"] == "identical" for line in lines[:-1])
        assert not report.exists()
    finally:
        _cleanup(process, children)
