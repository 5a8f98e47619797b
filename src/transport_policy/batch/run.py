"""Deciding many records: one result per input record, in input order.

Each item gives exactly one result: a decision, or an error record naming the item's index,
source, case id (when known) and field-path errors, never the input values. The work runs in the
shared worker pool (:mod:`.pool`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Generator, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Final, NamedTuple

from ..api import decide
from ..digest import canonical_json_text
from ..errors import FieldError, RecordError, TransportPolicyError
from ..model.canonical import record_json as canonical_record
from ..rules.versions import PolicyStore
from .inputs import Item, item_record, iter_items
from .pool import chunked
from .workers import Workers, map_chunks

if TYPE_CHECKING:
    import pyarrow as pa

CHUNK_SIZE: Final = 200


DECIDED, REJECTED, FAILED = 0, 1, 2
"""Result statuses: decided; the record was rejected (invalid); the engine failed on it."""
STATUS_NAMES: Final = ("decided", "rejected", "failed")
ENGINE_FIELD: Final = "(engine)"
"""The field of the error record of a record the engine failed on."""


class Result(NamedTuple):
    """The output line for one item, and what the decision log needs when it was decided."""

    status: int
    line: str
    decision_json: bytes | None = None
    record_json: bytes | None = None
    input_digest: str = ""
    size: int = 0
    ordinal: int = 0
    """The item's position in the batch, from 1 (the ``index`` of its row)."""
    case_id: str | None = None
    outcome: str | None = None
    version: str | None = None
    """The policy version that decided."""


@dataclass(frozen=True)
class Settings:
    """How to decide: a policy version to force (else the one in force), rules, log contents."""

    policy: str | None = None
    rules: str | None = None
    log: str | None = None
    """``None`` (no log), ``full`` or ``minimal``: which canonical JSON to return for the log."""


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
        return _error(item, FAILED, record.case_id, [FieldError(ENGINE_FIELD, str(exc))])
    except Exception as exc:  # a fault, not the record's: keep the other records going
        message = f"unexpected {type(exc).__name__} while deciding; please report it"
        return _error(item, FAILED, record.case_id, [FieldError(ENGINE_FIELD, message)])
    line = decision.to_json()
    decision_json = record_json = None
    if settings.log is not None:  # the same bytes as canonical_json(decision.model_dump(...))
        decision_json = canonical_json_text(line)
    if settings.log == "full":
        record_json = canonical_record(record)
    return Result(
        DECIDED,
        line,
        decision_json,
        record_json,
        decision.input_digest,
        item.size,
        item.ordinal,
        decision.case_id,
        decision.outcome,
        decision.policy.version,
    )


def _error(item: Item, status: int, case_id: str | None, errors: list[FieldError]) -> Result:
    error = RecordError(errors, source=item.source, case_id=case_id)
    line = json.dumps({"index": item.ordinal, **error.as_dict()}, ensure_ascii=False)
    return Result(status, line, size=item.size, ordinal=item.ordinal, case_id=case_id)


def partition_schema() -> pa.Schema:
    """The columns of ``batch --partitions``: each output line, and what it says in brief."""
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("index", pa.int64(), nullable=False),
            pa.field("status", pa.string(), nullable=False),
            ("case_id", pa.string()),
            ("outcome", pa.string()),
            ("policy_version", pa.string()),
            ("input_digest", pa.string()),
            pa.field("line", pa.string(), nullable=False),
        ]
    )


def partition_row(result: Result) -> dict[str, Any]:
    """A result as a row of :func:`partition_schema`."""
    return {
        "index": result.ordinal,
        "status": STATUS_NAMES[result.status],
        "case_id": result.case_id,
        "outcome": result.outcome,
        "policy_version": result.version,
        "input_digest": result.input_digest or None,
        "line": result.line,
    }


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


def run(
    paths: Sequence[str],
    settings: Settings,
    *,
    jobs: int | None = None,
    workers: Workers | None = None,
    stdin: IO[bytes] | None = None,
    chunk_size: int = CHUNK_SIZE,
    skip: int = 0,
) -> Generator[Result, None, None]:
    """Decide every input record; one :class:`Result` per record, in input order.

    ``workers`` says where (default: the local pool with ``jobs`` processes). Closing the
    generator before the end (or an exception while it waits) stops the workers' work at once.
    ``skip`` input records are read but not decided (a resumed run).
    """
    chunks = chunked(itertools.islice(iter_items(paths, stdin), skip, None), chunk_size)
    warm = ((settings.rules, settings.policy),)
    mapped = map_chunks(decide_chunk, chunks, settings, workers or Workers(jobs=jobs), warm)
    with closing(mapped):
        for results in mapped:
            yield from results


__all__ = [
    "DECIDED",
    "FAILED",
    "REJECTED",
    "Result",
    "Settings",
    "check_settings",
    "decide_chunk",
    "decide_item",
    "partition_row",
    "partition_schema",
    "run",
]
