"""Deciding many records: streamed input, worker processes, results in input order.

Inputs are case files (YAML or JSON), folders of them, and JSON Lines files of records (``-`` is
standard input, read as JSON Lines). Each input record becomes one *item*; each item gives exactly
one result, in input order: a decision, or an error record naming the item's index, source, case
id (when known) and field-path errors, never the input values. A blank line, a line that is not
valid UTF-8 or JSON (a truncated last line, say) is an error for that line only.

Memory stays flat however many records there are: input is read lazily, and only a bounded number
of chunks is in flight between this process and the workers. Each worker builds its own engine
(durable-rules handles never cross a process boundary).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any, Final, NamedTuple, TypeVar

from .api import decide
from .casefile import MAX_BYTES, load_case, parse_record, parse_text
from .digest import canonical_json
from .errors import FieldError, RecordError, TransportPolicyError
from .model.record import AssessmentRecord
from .policies import PolicyStore

CASE_SUFFIXES: Final = (".yaml", ".yml", ".json")
LINES_SUFFIXES: Final = (".jsonl", ".ndjson")
CHUNK_SIZE: Final = 200
IN_FLIGHT_PER_WORKER: Final = 4

DECIDED, REJECTED, FAILED = 0, 1, 2
"""Result statuses: decided; the record was rejected (invalid); the engine failed on it."""


class Item(NamedTuple):
    """One input record: a JSON line (``payload`` is its bytes) or a case file (``path``)."""

    ordinal: int
    """Position in the batch, from 1 (the ``index`` of an error record)."""
    source: str
    payload: bytes | None
    path: str | None
    size: int
    last_without_newline: bool = False
    problem: FieldError | None = None
    """A problem found while reading (a line too long, a file that cannot be read)."""


class Result(NamedTuple):
    """The output line for one item, and what the decision log needs when it was decided."""

    status: int
    line: str
    decision_json: bytes | None = None
    record_json: bytes | None = None
    input_digest: str = ""
    size: int = 0


@dataclass(frozen=True)
class Settings:
    """How to decide: a policy version to force (else the one in force), rules, log contents."""

    policy: str | None = None
    rules: str | None = None
    log: str | None = None
    """``None`` (no log), ``full`` or ``minimal``: which canonical JSON to return for the log."""


def expand_inputs(inputs: Sequence[str], skipped: list[str] | None = None) -> list[str]:
    """The input paths with each folder replaced by its case and JSON Lines files, by name.

    Folders are not searched below their first level. Each entry of a folder that is left out (a
    subfolder, a file of another kind) is added to ``skipped`` when it is given, a folder's name
    ending in ``/``.
    """
    out: list[str] = []
    for name in inputs:
        path = Path(name)
        if name != "-" and path.is_dir():
            for entry in sorted(path.iterdir()):
                if entry.is_file() and entry.name.endswith(CASE_SUFFIXES + LINES_SUFFIXES):
                    out.append(str(entry))
                elif skipped is not None:
                    skipped.append(str(entry) + ("/" if entry.is_dir() else ""))
        else:
            out.append(name)
    return out


def total_bytes(paths: Sequence[str]) -> int | None:
    """The size of every input, or ``None`` when one is a stream (progress is then a count)."""
    try:
        return sum(os.stat(p).st_size for p in paths if p != "-") if "-" not in paths else None
    except OSError:
        return None


def iter_items(paths: Sequence[str], stdin: IO[bytes] | None = None) -> Iterator[Item]:
    """Every input record, lazily, numbered from 1 in input order."""
    index = 0
    for name in paths:
        if name == "-" or name.endswith(LINES_SUFFIXES):
            for item in _line_items(name, stdin, index):
                index = item.ordinal
                yield item
        else:
            index += 1
            try:
                size = os.stat(name).st_size
            except OSError:
                size = 0
            yield Item(index, name, None, name, size)


def _line_items(name: str, stdin: IO[bytes] | None, start: int) -> Iterator[Item]:
    if name == "-":
        if stdin is None:
            stdin = sys.stdin.buffer
        yield from _lines(stdin, "<stdin>", start)
        return
    try:
        handle = open(name, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        yield Item(start + 1, name, None, None, 0,
                   problem=FieldError("(file)", f"cannot be read ({exc.strerror})"))
        return
    with handle:
        yield from _lines(handle, name, start)


def _lines(stream: IO[bytes], name: str, start: int) -> Iterator[Item]:
    index, number = start, 0
    while raw := stream.readline(MAX_BYTES + 1):
        number += 1
        index += 1
        size = len(raw)
        problem = None
        if size > MAX_BYTES and not raw.endswith(b"\n"):
            problem = FieldError("(line)", f"is larger than {MAX_BYTES} bytes")
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(MAX_BYTES + 1)
                size += len(raw)
        complete = raw.endswith(b"\n")
        payload = b"" if problem else raw.rstrip(b"\r\n")
        yield Item(index, f"{name}:{number}", payload, None, size, not complete, problem)


def decide_item(item: Item, settings: Settings) -> Result:
    """Decide one item; every failure of the item becomes its error result.

    Whatever goes wrong while the record is read and validated is the input's problem (the item
    is rejected); only a failure while deciding a valid record is the engine's.
    """
    try:
        record = item_record(item)
    except RecordError as exc:
        return _error(item, REJECTED, exc.case_id, exc.errors)
    except Exception as exc:  # a fault met while reading this input: reject it, go on
        message = f"could not be read (unexpected {type(exc).__name__}; please report it)"
        return _error(item, REJECTED, None, [FieldError("(record)", message)])
    try:
        decision = decide(record, policy=settings.policy, rules=settings.rules)
    except RecordError as exc:  # valid, but not decidable (no version in force at its date)
        return _error(item, REJECTED, exc.case_id or record.case_id, exc.errors)
    except TransportPolicyError as exc:  # the engine failed: the record was not decided
        return _error(item, FAILED, record.case_id, [FieldError("(engine)", str(exc))])
    except Exception as exc:  # a fault, not the record's: keep the other records going
        message = f"unexpected {type(exc).__name__} while deciding; please report it"
        return _error(item, FAILED, record.case_id, [FieldError("(engine)", message)])
    if settings.log is None:
        return Result(DECIDED, decision.to_json(), size=item.size)
    record_json = None
    if settings.log == "full":
        record_json = canonical_json(record.model_dump(mode="json", exclude_none=True))
    return Result(
        DECIDED, decision.to_json(), canonical_json(decision.model_dump(mode="json")), record_json,
        decision.input_digest, item.size,
    )


def item_record(item: Item) -> AssessmentRecord:
    """The validated record of an item (a :class:`RecordError` says what is wrong with it)."""
    if item.problem is not None:
        raise RecordError([item.problem], source=item.source)
    if item.path is not None:
        record, _expected = load_case(item.path)
        return record
    assert item.payload is not None
    try:
        text = item.payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError([FieldError("(line)", f"is not valid UTF-8 (byte {exc.start})")],
                          source=item.source) from None
    if not text.strip():
        raise RecordError([FieldError("(line)", "is blank")], source=item.source)
    try:
        data = parse_text(text, source=item.source, fmt="json", unit="(line)")
    except RecordError as exc:
        if not item.last_without_newline:
            raise
        hint = " (the last line has no newline: it may be truncated)"
        raise RecordError([FieldError(e.field, e.message + hint) for e in exc.errors],
                          source=item.source) from None
    return parse_record(data, source=item.source)


def _error(item: Item, status: int, case_id: str | None, errors: list[FieldError]) -> Result:
    error = RecordError(errors, source=item.source, case_id=case_id)
    line = json.dumps({"index": item.ordinal, **error.as_dict()}, ensure_ascii=False)
    return Result(status, line, size=item.size)


def decide_chunk(chunk: list[Item], settings: Settings) -> list[Result]:
    """Decide a chunk of items (the unit of work sent to a worker process)."""
    return [decide_item(item, settings) for item in chunk]


def check_settings(settings: Settings) -> None:
    """Fail early (in this process) on rules that do not load or an unknown ``--policy``."""
    store = PolicyStore(settings.rules)
    if settings.policy:
        store.get(settings.policy)
    else:
        _ = store.policies


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


def run(
    paths: Sequence[str],
    settings: Settings,
    *,
    jobs: int | None = None,
    stdin: IO[bytes] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Generator[Result, None, None]:
    """Decide every input record; one :class:`Result` per record, in input order.

    Closing the generator before the end (or an exception while it waits) terminates the
    worker processes at once.
    """
    chunks = chunked(iter_items(paths, stdin), chunk_size)
    mapped = ordered_map(decide_chunk, chunks, settings, jobs or default_jobs())
    with closing(mapped):
        for results in mapped:
            yield from results


__all__ = [
    "DECIDED", "FAILED", "REJECTED", "Item", "Result", "Settings", "check_settings", "decide_item",
    "expand_inputs", "item_record", "iter_items", "ordered_map", "run", "terminate_workers",
    "total_bytes",
]
