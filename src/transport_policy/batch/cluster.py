"""The Dask engine of the worker pool: chunks decided on a Dask cluster, results in input order.

Used by ``batch``, ``replay`` and ``impact`` with ``--engine dask`` (the ``dask`` extra). Either
a local cluster is started (one worker process per job, **one thread per worker**: durable-rules
is not thread-safe and its rulesets belong to the process that compiled them) or an existing one
is used (``--scheduler ADDRESS``), whose workers must each have one thread too. A worker plugin
compiles the policy versions once per worker process, when the worker joins.

Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_`` in the workers it starts. Any ``MALLOC_*_`` threshold
stops glibc from adjusting its thresholds, and the ~564 KiB a durable-rules session allocates and
frees then goes back to the system on every decision (an ``mmap``/``munmap``, or a trim of the
heap): matching is about five times slower, a whole decision about 1.7 times. The local cluster
is started without the variable (its workers allocate as the local pool's do). On any cluster,
a worker that has such a variable set (an existing cluster's, say) is given thresholds that keep
that memory in the heap as it joins (``mallopt``; :func:`restore_malloc`); a warning names the
workers where that is not possible (a C library other than glibc).

As with the local pool, only a bounded number of chunks is in flight, so memory stays flat
however long the input; the results come back in input order whichever worker decided them.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections import deque
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any, Final, TypeVar

import dask
from distributed import Client, Future, KilledWorker, LocalCluster
from distributed.diagnostics.plugin import WorkerPlugin

from ..errors import TransportPolicyError

IN_FLIGHT_PER_WORKER: Final = 4
CONNECT_SECONDS: Final = 30
MALLOC_PREFIX: Final = "MALLOC_"
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
"""glibc's ``mallopt`` parameters (malloc.h)."""
MMAP_THRESHOLD: Final = 4 * 1024 * 1024
"""Blocks below 4 MiB come from the heap (a session's 564 KiB buffer included)."""
TRIM_THRESHOLD: Final = 64 * 1024 * 1024
"""Up to 64 MiB free at the top of the heap is kept rather than given back after each decision."""
NANNY_ENVIRON: Final = {
    # Unset (None) what Dask's nanny would set before starting a worker.
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")

Warm = tuple[tuple[str | None, str | None], ...]
"""Policy versions to compile in each worker: ``(rules root, version)``, ``None`` for the
bundled rules or for every version of the root."""


class ClusterError(TransportPolicyError):
    """The Dask cluster could not be used, or lost the work."""


class SlowWorkersWarning(UserWarning):
    """Dask workers run with a ``MALLOC_*_`` threshold set: deciding is several times slower."""


class EnginePlugin(WorkerPlugin):
    """Compiles the policy versions once in each worker process, as the worker joins."""

    name = "transport-policy-engines"

    def __init__(self, warm: Warm) -> None:
        self.warm = warm

    def setup(self, worker: Any) -> None:
        restore_malloc()
        build_engines(self.warm)


_MALLOC_STATE: dict[str, object] = {}
"""What :func:`restore_malloc` found and did in this process."""


def restore_malloc() -> dict[str, object]:
    """If a ``MALLOC_*_`` threshold is set in this process's environment, set glibc's mmap and
    trim thresholds so that durable-rules' session buffers stay in the heap; say what was done."""
    variables = {k: v for k, v in os.environ.items() if k.startswith(MALLOC_PREFIX)}
    restored = False
    if any(k.endswith("_THRESHOLD_") for k in variables):
        try:
            import ctypes

            libc = ctypes.CDLL(None)
            restored = bool(
                libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
            )
        except (OSError, AttributeError):  # not glibc: nothing to set
            restored = False
    _MALLOC_STATE.update(variables=variables, restored=restored)
    return dict(_MALLOC_STATE)


def malloc_state() -> dict[str, object]:
    """What :func:`restore_malloc` found and did in this worker (run on each worker)."""
    return dict(_MALLOC_STATE)


def build_engines(warm: Warm) -> int:
    """Compile the versions of ``warm`` into this process's engine cache; how many there are."""
    from ..engine import engine_for
    from ..engine.cache import CACHE

    built = 0
    for root, version in warm:
        store = CACHE.store(root)
        for name in [version] if version is not None else list(store.versions):
            engine_for(store.get(name))
            built += 1
    return built


@contextmanager
def connect(jobs: int, scheduler: str | None) -> Iterator[Client]:
    """A client of a new local cluster of ``jobs`` single-threaded worker processes, or of the
    cluster at ``scheduler``; closed (the local cluster stopped) on exit."""
    try:
        if scheduler is not None:
            client = Client(scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
            with client:
                client.wait_for_workers(1, timeout=CONNECT_SECONDS)
                yield client
            return
        with dask.config.set(NANNY_ENVIRON):
            cluster = LocalCluster(
                n_workers=jobs,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",  # loopback, any free port
                silence_logs=logging.ERROR,
            )
        with cluster, Client(cluster, set_as_default=False) as client:
            yield client
    except (OSError, TimeoutError) as exc:
        where = scheduler or "a local cluster"
        raise ClusterError(f"cannot use the Dask cluster ({where}): {exc}") from None


def check_workers(client: Client) -> int:
    """How many workers the cluster has; each must run one thread. Warns about workers whose
    memory allocator slows durable-rules down and could not be set right."""
    workers = client.scheduler_info(n_workers=-1)["workers"]
    threaded = sorted(a for a, w in workers.items() if int(w.get("nthreads", 1)) != 1)
    if threaded:
        raise ClusterError(
            f"{len(threaded)} Dask worker(s) run several threads ({threaded[0]}, ...): "
            "durable-rules needs one thread per worker process (start them with --nthreads 1)"
        )
    states = client.run(malloc_state)
    slow = sorted(a for a, s in states.items() if s.get("variables") and not s.get("restored"))
    if slow:
        warnings.warn(
            SlowWorkersWarning(
                f"{len(slow)} Dask worker(s) ({slow[0]}, ...) have a MALLOC_*_ threshold set, "
                "which makes durable-rules several times slower: start them without it"
            ),
            stacklevel=2,
        )
    return len(workers)


def ordered_map(
    func: Callable[[list[T], S], list[R]],
    chunks: Iterator[list[T]],
    settings: S,
    *,
    jobs: int,
    scheduler: str | None,
    warm: Warm,
) -> Generator[list[R], None, None]:
    """``func(chunk, settings)`` for each chunk on Dask workers, results in input order (see
    :func:`transport_policy.batch.pool.ordered_map`, which this mirrors)."""
    with connect(jobs, scheduler) as client:
        client.register_plugin(EnginePlugin(warm))
        workers = check_workers(client)
        limit = max(1, workers) * IN_FLIGHT_PER_WORKER
        pending: deque[Future[Any]] = deque()
        try:
            for chunk in chunks:
                pending.append(client.submit(func, chunk, settings, pure=False))
                if len(pending) >= limit:
                    yield _result(pending.popleft())
            while pending:
                yield _result(pending.popleft())
        finally:
            if pending:  # stopped early: drop the work still queued
                client.cancel(list(pending), force=True)


def _result(future: Future[Any]) -> Any:
    try:
        return future.result()
    except KilledWorker:
        raise ClusterError(
            "Dask workers stopped unexpectedly while deciding (the same records stopped "
            "several workers); the output holds every record decided before them, in order"
        ) from None
