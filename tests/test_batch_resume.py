"""`batch --resume` after SIGKILL at random points leaves the output and the decision log as an
uninterrupted run does: no duplicate, no gap, error records with their original index and
source."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from transport_policy import load_case
from transport_policy.audit.verify import verify
from transport_policy.batch.resume import ResumePoint, prepare

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.yaml"))[:10]
RECORDS = 900
CLI = [sys.executable, "-c", "from transport_policy.cli import run; run()"]


def _input(path: Path) -> Path:
    base = [load_case(p)[0].model_dump(mode="json", exclude_none=True) for p in CASES]
    lines = []
    for i in range(RECORDS):
        if i % 97 == 5:
            lines.append('{"case_id": "broken", "person": {"age": "x"}}')
            continue
        lines.append(json.dumps({**base[i % len(base)], "case_id": f"R-{i}"}))
    path.write_text("\n".join(lines) + "\n")
    return path


def _batch(inputs: Path, out: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    args = [*CLI, "batch", str(inputs), "-o", str(out), "--log", str(log), "-j", "1", *extra]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _decisions(log: Path) -> list[dict[str, object]]:
    return [json.loads(line)["decision"] for line in log.read_text().splitlines()]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, list[object]]:
    folder = tmp_path_factory.mktemp("resume")
    inputs = _input(folder / "in.jsonl")
    out, log = folder / "out.jsonl", folder / "decisions.log"
    assert _batch(inputs, out, log).wait(timeout=300) == 1  # some records are rejected
    return inputs, out.read_bytes(), _decisions(log)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_resume_after_sigkill_matches_an_uninterrupted_run(
    tmp_path: Path, reference: tuple[Path, bytes, list[object]], seed: int
) -> None:
    inputs, expected_out, expected_log = reference
    out, log = tmp_path / "out.jsonl", tmp_path / "decisions.log"
    rng = random.Random(seed)
    kills = 0
    proc = _batch(inputs, out, log)
    while proc.poll() is None and kills < 3:
        target = rng.randrange(1, RECORDS)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if out.exists() and out.stat().st_size and out.read_bytes().count(b"\n") >= target:
                break
            time.sleep(0.002)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            kills += 1
            proc = _batch(inputs, out, log, "--resume")
    assert proc.wait(timeout=300) == 1  # the whole output's status: some records are rejected
    assert kills >= 1
    assert out.read_bytes() == expected_out
    assert verify(log).ok
    assert _decisions(log) == expected_log


def test_resume_needs_an_output_file(tmp_path: Path) -> None:
    inputs = _input(tmp_path / "in.jsonl")
    done = subprocess.run([*CLI, "batch", str(inputs), "--resume"], capture_output=True)
    assert done.returncode == 2
    assert b"--output" in done.stderr


def test_resuming_a_run_that_had_completed_changes_nothing(
    tmp_path: Path, reference: tuple[Path, bytes, list[object]]
) -> None:
    inputs, expected_out, expected_log = reference
    out, log = tmp_path / "out.jsonl", tmp_path / "decisions.log"
    assert _batch(inputs, out, log).wait(timeout=300) == 1
    resumed = subprocess.run(
        [*CLI, "batch", str(inputs), "-o", str(out), "--log", str(log), "-j", "1", "--resume"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    rejected = expected_out.count(b'{"index"')
    assert resumed.returncode == 1  # as the run resumed: its output holds rejected records
    assert f"batch: resuming after {RECORDS} records" in resumed.stderr
    assert "batch: 0 records: 0 decided, 0 rejected" in resumed.stderr
    assert (
        f"batch: the output holds {RECORDS} records: {RECORDS - rejected} decided, "
        f"{rejected} rejected\n"
    ) in resumed.stderr
    assert out.read_bytes() == expected_out
    assert _decisions(log) == expected_log


def test_a_log_entry_left_half_written_by_the_kill_is_cut_off_and_the_run_resumes_exactly(
    tmp_path: Path, reference: tuple[Path, bytes, list[object]]
) -> None:
    inputs, expected_out, expected_log = reference
    out, log = tmp_path / "out.jsonl", tmp_path / "decisions.log"
    assert _batch(inputs, out, log).wait(timeout=300) == 1
    kept = out.read_bytes().splitlines(keepends=True)[:300]
    decided = sum(not line.startswith(b'{"index"') for line in kept)
    entries = log.read_bytes().splitlines(keepends=True)
    torn = entries[decided][: len(entries[decided]) // 2]  # killed while writing the next entry
    out.write_bytes(b"".join(kept))
    log.write_bytes(b"".join(entries[:decided]) + torn)
    assert _batch(inputs, out, log, "--resume").wait(timeout=300) == 1
    assert out.read_bytes() == expected_out
    assert verify(log).ok
    assert _decisions(log) == expected_log


def test_a_run_killed_before_it_wrote_anything_resumes_and_can_be_resumed_again(
    tmp_path: Path, reference: tuple[Path, bytes, list[object]]
) -> None:
    inputs, expected_out, expected_log = reference
    out, log = tmp_path / "out.jsonl", tmp_path / "decisions.log"
    earlier = _batch(inputs, tmp_path / "earlier.jsonl", log).wait(timeout=300)  # another run's
    assert earlier == 1 and len(_decisions(log)) == len(expected_log)
    # A first run killed as it started (Ctrl-C while Python was still importing) left no output
    # and no FILE.resume: --resume starts it afresh, noting where it starts in the log.
    assert _batch(inputs, out, log, "--resume").wait(timeout=300) == 1
    # Killed again later, one decision logged ahead of its output line.
    kept = out.read_bytes().splitlines(keepends=True)[:250]
    decided = sum(not line.startswith(b'{"index"') for line in kept)
    entries = log.read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(kept))
    log.write_bytes(b"".join(entries[: len(expected_log) + decided + 1]))
    assert _batch(inputs, out, log, "--resume").wait(timeout=300) == 1
    assert out.read_bytes() == expected_out
    assert verify(log).ok
    assert _decisions(log) == expected_log + expected_log


def test_the_lines_kept_are_counted_by_status(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    lines = [
        b'{"case_id":"C-1","outcome":"provide"}\n',
        b'{"index": 2, "source": "in.jsonl:2", "case_id": null, "errors": '
        b'[{"field": "(line)", "message": "is blank"}]}\n',
        b'{"index": 3, "source": "in.jsonl:3", "case_id": "C-3", "errors": '
        b'[{"field": "(engine)", "message": "unexpected RuntimeError while deciding"}]}\n',
    ]
    out.write_bytes(b"".join(lines) + b'{"case_id":"C-4","outc')  # the last line cut short
    assert prepare(str(out), None) == ResumePoint(3, None, rejected=1, failed=1)
    assert out.read_bytes() == b"".join(lines)


def test_a_run_that_logged_is_resumed_with_its_log_or_not_at_all(
    tmp_path: Path, reference: tuple[Path, bytes, list[object]]
) -> None:
    inputs, expected_out, _ = reference
    out, log = tmp_path / "out.jsonl", tmp_path / "decisions.log"
    assert _batch(inputs, out, log).wait(timeout=300) == 1
    out.write_bytes(b"".join(expected_out.splitlines(keepends=True)[:100]))  # killed there
    kept = out.read_bytes()
    for log_args in ([], ["--log", str(tmp_path / "another.log")]):
        args = [*CLI, "batch", str(inputs), "-o", str(out), "-j", "1", "--resume", *log_args]
        refused = subprocess.run(args, capture_output=True, text=True, timeout=300)
        assert refused.returncode == 3
        assert f"the run being resumed logged to {log.resolve()}: give --log" in refused.stderr
        assert out.read_bytes() == kept
