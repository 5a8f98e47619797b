"""What `render` renders: a case file (decided now), a decision (as `decide --format json` prints
it) or one entry of a decision log (exactly the decision logged, never decided again).

A log entry is checked against its own hash before it is rendered, so a document made for a
complaint investigation shows what the person was told, or nothing. Every problem is a
:class:`~transport_policy.errors.RecordError` (field paths) or
:class:`~transport_policy.errors.DocumentError` naming the file; no input value is echoed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..api import decide
from ..audit.log import LogError, check_entry, parse_entry, read_lines
from ..casefile import (
    MAX_BYTES,
    parse_record,
    parse_text,
    read_source,
    split_expected,
    validation_errors,
)
from ..errors import DocumentError, FieldError, RecordError
from ..model.decision import Decision
from .context import Context, LogPosition, case_context, case_facts

DECISION_KEYS = frozenset({"outcome", "input_digest"})
"""Keys every decision has and no assessment record may have."""


@dataclass(frozen=True)
class Source:
    """A decision to render, with what the documents say beside it."""

    decision: Decision
    context: Context
    record: Mapping[str, Any] | None = None
    """The record a log entry holds (``None`` for a minimal entry, a case file or a decision)."""


def parse_decision(data: Mapping[str, Any], *, source: str) -> Decision:
    """Validate a decision read from a file or a log; field-path errors name its keys."""
    try:
        return Decision.model_validate(dict(data))
    except ValidationError as exc:
        errors = [
            FieldError(e.field, "is not a key of a decision")
            if e.message.startswith("is not a field of")
            else e
            for e in validation_errors(exc)
        ]
        raise RecordError(errors, source=source) from None


def _first_line(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.readline(MAX_BYTES).rstrip(b"\n")
    except OSError:
        return b""  # reported by read_source, with the reason


def _is_log(first_line: bytes) -> bool:
    return bool(first_line.strip()) and parse_entry(first_line)[0] is not None


def read_entry(path: str, seq: int, *, at: int | None = None) -> tuple[dict[str, Any], bytes]:
    """Entry ``seq`` of the decision log at ``path``, checked against its hash, and its line
    exactly as written (without the newline). ``at`` is where the entry's line starts, when
    known (:attr:`~transport_policy.audit.log.Appended.offset`): read there instead of counting
    lines from the start; the entry found there must still be entry ``seq``."""
    where = f"{path}, entry {seq}"
    found, note = _line_at(path, at) if at is not None else _line_numbered(path, seq)
    if found is None:
        raise DocumentError(f"has no entry {seq} ({note})", source=path)
    raw, complete = found
    entry, problem = check_entry(raw) if complete else (None, "is incomplete")
    if entry is None:
        raise DocumentError(
            f"{problem}; nothing was rendered. Run `transport-policy audit verify` on the log",
            source=where,
        )
    if entry["seq"] != seq:
        raise DocumentError(
            f"{'line' if at is None else 'the line at byte'} {seq if at is None else at} holds "
            f"entry {entry['seq']}: the log is not intact. Run "
            "`transport-policy audit verify` on it",
            source=path,
        )
    return entry, raw


Line = tuple[bytes, bool]
"""A log line without its newline, and whether it was complete (ended with one)."""


def _line_numbered(path: str, seq: int) -> tuple[Line | None, str]:
    """Line ``seq`` of the file, or ``None`` and how many lines it has."""
    lines = 0
    for number, raw, complete in read_lines(path):
        lines = number
        if number == seq:
            return (raw, complete), ""
    return None, f"it has {lines} lines"


def _line_at(path: str, offset: int) -> tuple[Line | None, str]:
    """The line starting at byte ``offset``, or ``None`` and a note when the file ends first."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(min(offset, size))
            raw = handle.readline()
    except OSError as exc:
        raise LogError(f"{path}: cannot be read ({exc.strerror})") from None
    if not raw:
        return None, f"it has {size} bytes, and the entry was at byte {offset}"
    complete = raw.endswith(b"\n")
    return ((raw[:-1] if complete else raw), complete), ""


def entry_source(path: str, entry: Mapping[str, Any]) -> Source:
    """A checked log entry (:func:`read_entry`) of the log at ``path`` as a decision to render:
    the decision logged, and the entry's position and record."""
    seq = int(entry["seq"])
    decision = parse_decision(entry["decision"], source=f"{path}, entry {seq}")
    position = LogPosition(str(path), seq, str(entry["time"]), str(entry["hash"]))
    record = entry.get("record")
    facts = case_facts(decision, record)
    return Source(decision, Context(facts, position=position), record)


def from_log(path: str, seq: int) -> Source:
    """Entry ``seq`` of the decision log at ``path``, checked against its hash."""
    return entry_source(path, read_entry(path, seq)[0])


def load_source(
    path: str,
    *,
    seq: int | None = None,
    policy: str | None = None,
    rules: str | Path | None = None,
) -> Source:
    """The decision in ``path``: a log's entry ``seq``, a decision, or a case file decided under
    ``policy`` (default: the version in force on its assessment date) from ``rules``."""
    if seq is not None:
        if policy is not None:
            raise DocumentError("--policy applies to a case file; a log entry is shown as logged")
        return from_log(path, seq)
    if path != "-" and _is_log(_first_line(path)):
        raise DocumentError(
            "is a decision log: give --seq N, the number of the entry to render", source=path
        )
    text, name = read_source(path)
    if path == "-" and _is_log(text.partition("\n")[0].encode()):
        raise DocumentError("is a decision log: give the log's file and --seq N", source=name)
    shown = Path(name).name if path != "-" else None
    data, _expected = split_expected(parse_text(text, source=name))
    if isinstance(data, Mapping) and data.keys() >= DECISION_KEYS:
        if policy is not None:
            raise DocumentError("--policy applies to a case file; a decision is shown as made")
        decision = parse_decision(data, source=name)
        return Source(decision, Context(case_facts(decision, None), source=shown))
    record = parse_record(data, source=name)
    try:
        decision = decide(record, policy=policy, rules=rules)
    except RecordError as error:
        raise error.with_source(name) from None
    return Source(decision, case_context(decision, record, path))


__all__ = ["Source", "entry_source", "from_log", "load_source", "parse_decision", "read_entry"]
