"""Where the work of ``batch``, ``replay`` and ``impact`` runs: this machine's process pool
(:mod:`.pool`, the default) or a Dask cluster (:mod:`.cluster`, the ``dask`` extra). Either way
the results come back in input order, the same byte for byte."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Final, Literal, TypeVar

from ..errors import TransportPolicyError

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")

ENGINES: Final = ("local", "dask")
DASK_EXTRA: Final = "pip install 'transport-policy[dask]'"


@dataclass(frozen=True)
class Workers:
    """Where chunks are decided: ``local`` (this machine's process pool) or ``dask``."""

    engine: Literal["local", "dask"] = "local"
    jobs: int | None = None
    """Worker processes (default: one per core); with ``dask``, of the local cluster."""
    scheduler: str | None = None
    """With ``dask``: the address of an existing cluster's scheduler instead of a local one."""


def map_chunks(
    func: Callable[[list[T], S], list[R]],
    chunks: Iterator[list[T]],
    settings: S,
    workers: Workers,
    warm: tuple[tuple[str | None, str | None], ...] = ((None, None),),
) -> Generator[list[R], None, None]:
    """:func:`ordered_map` on the engine ``workers`` names. ``warm`` lists the policy versions a
    Dask worker compiles as it joins: ``(rules root, version)``, ``None`` for the bundled rules
    or for every version."""
    from .pool import default_jobs, ordered_map

    jobs = workers.jobs or default_jobs()
    if workers.engine != "dask":
        return ordered_map(func, chunks, settings, jobs)
    try:
        from . import cluster
    except ImportError as exc:
        raise TransportPolicyError(
            f"--engine dask needs Dask ({exc.name} is not installed): {DASK_EXTRA}"
        ) from None
    return cluster.ordered_map(
        func, chunks, settings, jobs=jobs, scheduler=workers.scheduler, warm=warm
    )
