"""The worker pool shared by ``batch``, ``replay`` and ``impact``: chunks of work decided in
worker processes, results in input order, with bounded memory and clean stopping.

Only a bounded number of chunks is in flight between this process and the workers, so memory
stays flat however long the input. Each worker builds its own engine (durable-rules handles never
cross a process boundary). :func:`map_chunks` runs the same work on the engine a
:class:`Workers` names: this local pool, or a Dask cluster (:mod:`.cluster`).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import Any, Final, TypeVar

IN_FLIGHT_PER_WORKER: Final = 4


T = TypeVar("T")


R = TypeVar("R")


S = TypeVar("S")


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def ordered_map(
    func: Callable[[list[T], S], list[R]],
    chunks: Iterator[list[T]],
    settings: S,
    jobs: int,
) -> Generator[list[R], None, None]:
    """``func(chunk, settings)`` for each chunk in worker processes, results in input order.

    At most ``jobs * IN_FLIGHT_PER_WORKER`` chunks are in flight, so memory does not grow with
    the input. With one job, or when the input fits in one chunk, the work is done in this process.
    ``func`` and ``settings`` must be picklable (a module-level function, a dataclass).
    """
    first = next(chunks, None)
    if first is None:
        return
    second = next(chunks, None) if jobs > 1 else None
    if second is None:
        yield func(first, settings)
        for chunk in chunks:
            yield func(chunk, settings)
        return
    limit = jobs * IN_FLIGHT_PER_WORKER
    pool = ProcessPoolExecutor(
        jobs, mp_context=_context(), initializer=_worker_setup, initargs=(os.getpid(),)
    )
    pending: deque[Future[list[R]]] = deque()
    finished = False
    try:
        for chunk in _prepend((first, second), chunks):
            pending.append(pool.submit(func, chunk, settings))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
        finished = True
    finally:
        if not finished:  # stopped early (an error, a signal, the consumer gone): no waiting
            terminate_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)


def terminate_workers(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's worker processes now, abandoning their work, and wait for them to end."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(5)
        if process.is_alive():  # pragma: no cover - SIGTERM is not blocked in workers
            process.kill()
            process.join()
    _close_result_writer(pool)


def _close_result_writer(pool: ProcessPoolExecutor) -> None:
    """Let the pool's manager thread see the end of the result pipe once its workers are gone.

    A worker stopped while writing a result (a chunk's results are larger than a pipe buffer)
    leaves a partial message in the pipe. The manager thread then waits in ``recv`` for the rest,
    and since this process holds the pipe's write end too, the wait never ends: ``shutdown``
    (and the interpreter's exit, which joins that thread) hang for ever. Closing this process's
    write end, the last one once the workers are dead, ends the ``recv`` with end-of-file: the
    manager marks the pool broken and shuts it down. Nothing in this process writes results.
    """
    queue = getattr(pool, "_result_queue", None)
    writer = getattr(queue, "_writer", None)
    if writer is not None:
        writer.close()


_PR_SET_PDEATHSIG: Final = 1


def _worker_setup(parent: int) -> None:
    """Signals in a worker: the parent alone decides when to stop.

    Ctrl-C reaches every process of the terminal's group: workers ignore it and the parent stops
    them. SIGTERM and SIGHUP end a worker at once (the parent sends SIGTERM to stop it). On Linux a
    worker is also sent SIGTERM if its parent dies, however it died, so none is left behind.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    # A worker started by a fork server is that server's child, not the parent's: left alone.
    if sys.platform.startswith("linux") and os.getppid() == parent:
        import ctypes

        try:
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl in this libc
            return
        if os.getppid() != parent:  # the parent died just before the line above
            os._exit(1)


def _prepend(head: Iterable[T], rest: Iterator[T]) -> Iterator[T]:
    yield from head
    yield from rest


def _context() -> Any:
    """Worker start method: ``fork`` where available (workers start at once; each builds its own
    engine, since engines are per process), else ``spawn``. ``TRANSPORT_POLICY_START_METHOD``
    overrides it."""
    method = os.environ.get("TRANSPORT_POLICY_START_METHOD")
    if not method:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)
