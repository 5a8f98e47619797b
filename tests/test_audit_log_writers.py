"""Several writers on one decision log keep one intact chain, and the last entry is found in time
linear in its length."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

from transport_policy import decide, load_case
from transport_policy.audit.log import DecisionLog, LogError
from transport_policy.audit.logfile import TAIL_BLOCK, last_line
from transport_policy.audit.verify import verify

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.yaml"))[:4]


def _decided() -> list[tuple[object, object]]:
    return [(decide(r), r) for r, _ in (load_case(p) for p in CASES)]


def test_one_log_shared_by_threads_keeps_its_chain(tmp_path: Path) -> None:
    pairs = _decided()
    path = tmp_path / "decisions.log"
    threads, per_thread = 8, 150

    def write(log: DecisionLog) -> None:
        for i in range(per_thread):
            decision, record = pairs[i % len(pairs)]
            log.append(decision, record)  # type: ignore[arg-type]

    with DecisionLog(path, minimal=True) as log:
        workers = [threading.Thread(target=write, args=(log,)) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    report = verify(path)
    assert report.ok, report.problem
    assert report.entries == threads * per_thread


def test_two_logs_on_one_file_in_one_thread_interleave_into_one_chain(tmp_path: Path) -> None:
    pairs = _decided()
    path = tmp_path / "decisions.log"
    with DecisionLog(path) as first, DecisionLog(path, minimal=True) as second:
        for i, (decision, record) in enumerate(pairs * 3):
            (first if i % 2 else second).append(decision, record)  # type: ignore[arg-type]
    report = verify(path)
    assert report.ok, report.problem
    assert report.entries == len(pairs) * 3


class _CountingFile(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        out = super().read(size)
        self.bytes_read += len(out)
        return out


def test_the_last_line_is_read_in_time_linear_in_its_length() -> None:
    long_line = b"x" * (TAIL_BLOCK * 40 + 17)
    handle = _CountingFile(b"first\n" + long_line + b"\n")
    line, end, complete = last_line(handle)
    assert (line, complete) == (long_line, True)
    assert end == len(long_line) + 7
    assert handle.bytes_read <= 2 * len(long_line) + TAIL_BLOCK


def test_the_last_line_of_a_file_of_one_line_and_of_an_empty_file() -> None:
    assert last_line(io.BytesIO(b"only\n")) == (b"only", 5, True)
    assert last_line(io.BytesIO(b"")) == (b"", 0, True)
    assert last_line(io.BytesIO(b"cut")) == (b"", 3, False)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_log_that_cannot_be_written_says_so_as_it_is_closed() -> None:
    (decision, record), *_ = _decided()
    with (
        pytest.raises(LogError, match=r"^/dev/full: cannot be written \(No space left"),
        DecisionLog("/dev/full") as log,  # the append fails; closing fails again
    ):
        log.append(decision, record)  # type: ignore[arg-type]
    log = DecisionLog("/dev/full").__enter__()
    with pytest.raises(LogError, match=r"^/dev/full: cannot be written"):
        log.close()  # nothing appended: syncing is what fails
