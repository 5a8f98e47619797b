"""Deciding records for the service: policy selection (pinned by version or digest, else in
force on the assessment date, as the CLI does), optional logging, the next questions, batch
parsing and streaming."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Collection
from typing import Any

from ..audit.log import DecisionLog
from ..casefile import RepeatedKey, load_json, parse_record, utf8_text
from ..engine import engine_for
from ..errors import FieldError, PolicyVersionError, RecordError
from ..model.decision import Decision, NextQuestion
from ..model.record import AssessmentRecord
from ..questions import next_questions
from ..rules.model import Policy
from ..rules.versions import PolicyStore
from .context import Deadline


def choose(store: PolicyStore, record: AssessmentRecord, pin: str | None) -> tuple[Policy, str]:
    """The policy to decide with and why (the same words as ``decide``)."""
    if pin is None:
        try:
            policy = store.in_force(record.assessment_date)
        except PolicyVersionError as exc:
            raise RecordError(
                [FieldError("assessment_date", str(exc))], case_id=record.case_id
            ) from None
        return policy, f"in force on the assessment date {record.assessment_date.isoformat()}"
    return pinned(store, pin), "requested"


def pinned(store: PolicyStore, pin: str) -> Policy:
    """The version named by a request (its name, or its ``sha256:`` digest); an unknown one is
    a :class:`PolicyVersionError` whose message does not repeat the request's text."""
    if pin.startswith("sha256:"):
        for policy in store.policies.values():
            if policy.digest == pin:
                return policy
        raise PolicyVersionError("no policy version has this digest")
    if pin not in store.versions:
        raise PolicyVersionError(
            f"no policy version has this name; the versions are {', '.join(store.versions)}"
        )
    return store.get(pin)


def decide_one(
    store: PolicyStore,
    data: object,
    pin: str | None,
    log: DecisionLog | None,
    *,
    source: str = "<request>",
) -> Decision:
    record = parse_record(data, source=source)
    policy, why = choose(store, record, pin)
    decision = engine_for(policy).decide(record, selected=why)
    if log is not None:
        log.append(decision, record)
    return decision


def asking(
    store: PolicyStore, data: object, pin: str | None, skip: Collection[str]
) -> tuple[Decision, list[NextQuestion]]:
    """A partial record's decision and the next questions that could change its outcome
    (:func:`~transport_policy.questions.next_questions`), fields in ``skip`` not asked."""
    record = parse_record(data, source="<request>")
    policy, why = choose(store, record, pin)
    questions = next_questions(record, policy, skip=skip)
    return engine_for(policy).decide(record, selected=why), questions


def read_json(raw: bytes) -> object:
    """JSON read as ``decide`` reads a record: UTF-8 only (a byte order mark at the start is
    not part of it), no repeated key, no ``NaN`` or ``Infinity``. A :class:`ValueError`
    (:class:`UnicodeDecodeError`, :class:`RepeatedKey`) or :class:`RecursionError` says it is
    not."""
    return load_json(utf8_text(raw))


def json_fault(exc: Exception) -> str:
    """What is wrong with a body or line :func:`read_json` refused (never its text)."""
    if isinstance(exc, UnicodeDecodeError):
        return f"is not valid UTF-8 (byte {exc.start})"
    if isinstance(exc, RepeatedKey):
        return "is not valid JSON (an object repeats a key)"
    return "is not valid JSON"


def batch_items(
    body: bytes, *, ndjson: bool, deadline: Deadline | None = None
) -> list[tuple[str, object]]:
    """The records of a batch body (a JSON array, or NDJSON) as (source, data); a line that is
    not JSON becomes a :class:`RecordError` in place. NDJSON stops being read as soon as the
    request's time is up (:meth:`Deadline.check`)."""
    if not ndjson:
        return _array_items(body)
    # Lines end at "\n" only, as `batch` reads NDJSON: str.splitlines() would also split at
    # U+2028, U+2029 or U+0085, which JSON text may hold unescaped.
    lines = body.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    out: list[tuple[str, object]] = []
    for number, line in enumerate(lines, start=1):
        if deadline is not None and number % 256 == 0:
            deadline.check()
        out.append((f"line {number}", _ndjson_line(line.removesuffix(b"\r"), number)))
    return out


def _array_items(body: bytes) -> list[tuple[str, object]]:
    """The records of a JSON array body (a :class:`RecordError` if it is not one)."""
    try:
        items = read_json(body)
    except (ValueError, RecursionError) as exc:
        raise RecordError([FieldError("(body)", json_fault(exc))]) from None
    if not isinstance(items, list):
        message = "is not a JSON array of records (send NDJSON as application/x-ndjson)"
        raise RecordError([FieldError("(body)", message)])
    return [(f"record {i}", item) for i, item in enumerate(items, start=1)]


def _ndjson_line(line: bytes, number: int) -> object:
    """One NDJSON line's record, or the :class:`RecordError` that takes its place (as `batch`
    gives it)."""
    source = f"line {number}"
    if not line.strip():
        return RecordError([FieldError("(line)", "is blank")], source=source)
    try:
        return read_json(line)
    except (ValueError, RecursionError) as exc:
        return RecordError([FieldError("(line)", json_fault(exc))], source=source)


def batch_line(
    store: PolicyStore, index: int, source: str, data: Any, pin: str | None, log: DecisionLog | None
) -> str:
    """One NDJSON output line: the decision, or the error object in its place (with the
    record's ``index`` from 1 and its ``source``, as ``batch`` writes it)."""
    try:
        if isinstance(data, RecordError):
            raise data
        return decide_one(store, data, pin, log, source=source).to_json()
    except RecordError as err:
        named = err if err.source else err.with_source(source)
        return json.dumps({"index": index, **named.as_dict()}, ensure_ascii=False)
    except PolicyVersionError as err:
        return json.dumps(
            {
                "index": index,
                "source": source,
                "case_id": None,
                "errors": [{"field": "policy", "message": str(err)}],
            }
        )


LINES_PER_CHUNK = 16
"""Batch output lines sent together; between chunks the worker serves its other requests."""


async def batch_stream(
    items: list[tuple[str, object]], line: Callable[[int, str, object], str], deadline: Deadline
) -> AsyncIterator[bytes]:
    """The NDJSON lines of a batch, ``line(index, source, data)`` each, in input order and a few
    at a time; once the request's time is up every remaining record gets an error object in its
    place instead of a decision, so N records in still give N lines out."""
    late = f"not decided: the request reached its time limit ({deadline.seconds:g} s)"
    chunk: list[str] = []
    for index, (source, data) in enumerate(items, start=1):
        if deadline.passed():
            chunk.append(_not_decided(index, source, late))
        else:
            chunk.append(line(index, source, data))
        if len(chunk) == LINES_PER_CHUNK:
            yield ("\n".join(chunk) + "\n").encode()
            chunk = []
            await asyncio.sleep(0)  # let this worker's other requests in
    if chunk:
        yield ("\n".join(chunk) + "\n").encode()


def _not_decided(index: int, source: str, message: str) -> str:
    error = {"index": index, "source": source, "case_id": None}
    return json.dumps({**error, "errors": [{"field": "(request)", "message": message}]})
