"""The worker pool stops at once, however its workers were interrupted."""

from __future__ import annotations

import multiprocessing
import os
import struct
import threading
from concurrent.futures import ProcessPoolExecutor

import pytest

from transport_policy.batch.pool import terminate_workers

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs the fork start method"
)


def _square(n: int) -> int:
    return n * n


def test_stopping_a_pool_with_a_partial_result_in_its_pipe_does_not_hang() -> None:
    """A worker stopped half-way through writing a result leaves a partial message in the result
    pipe: stopping the pool must still end (it used to wait for the rest for ever)."""
    pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"))
    assert pool.submit(_square, 3).result(timeout=60) == 9
    writer = pool._result_queue._writer  # type: ignore[attr-defined]
    # What a worker killed mid-write leaves: a length header promising more than follows.
    os.write(writer.fileno(), struct.pack("!i", 1 << 20) + b"partial")
    stopped = threading.Event()

    def stop() -> None:
        terminate_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)
        stopped.set()

    threading.Thread(target=stop, daemon=True).start()
    assert stopped.wait(30), "the pool did not stop"
    assert pool._executor_manager_thread is None  # type: ignore[attr-defined]  # joined
