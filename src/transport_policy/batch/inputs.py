"""Batch inputs: case files, folders of them and JSON Lines files, read lazily as items.

Inputs are case files (YAML or JSON), folders of them, and JSON Lines files of records (``-`` is
standard input, read as JSON Lines). Each input record becomes one *item*, numbered from 1 in
input order. A blank line, a line that is not valid UTF-8 or JSON (a truncated last line, say) is
an error for that line only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Final, NamedTuple

from ..casefile import BOM, MAX_BYTES, load_case, parse_record, parse_text
from ..errors import FieldError, RecordError
from ..model.record import AssessmentRecord

_BOM: Final = BOM.encode()

CASE_SUFFIXES: Final = (".yaml", ".yml", ".json")


LINES_SUFFIXES: Final = (".jsonl", ".ndjson")


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
        yield Item(
            start + 1,
            name,
            None,
            None,
            0,
            problem=FieldError("(file)", f"cannot be read ({exc.strerror})"),
        )
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
        if number == 1:  # a byte order mark (Windows Notepad) is not part of the first record
            payload = payload.removeprefix(_BOM)
        yield Item(index, f"{name}:{number}", payload, None, size, not complete, problem)


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
        raise RecordError(
            [FieldError("(line)", f"is not valid UTF-8 (byte {exc.start})")], source=item.source
        ) from None
    if not text.strip():
        raise RecordError([FieldError("(line)", "is blank")], source=item.source)
    try:
        data = parse_text(text, source=item.source, fmt="json", unit="(line)")
    except RecordError as exc:
        if not item.last_without_newline:
            raise
        hint = " (the last line has no newline: it may be truncated)"
        raise RecordError(
            [FieldError(e.field, e.message + hint) for e in exc.errors], source=item.source
        ) from None
    return parse_record(data, source=item.source)
