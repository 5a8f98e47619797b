"""A record's canonical JSON and its ``input_digest``, made once per record.

The digest is ``sha256:`` over the RFC 8785 canonical JSON of the validated record with unknown
(null) fields omitted: ``canonical_json(record.model_dump(mode="json", exclude_none=True))``.
:func:`record_json` writes the same bytes straight from the record's fields, without pydantic's
serialiser and the general writer's pass over every value: a validated record holds only text,
booleans, whole numbers, numbers, dates, lists of text and its sections. Whenever a value is not
one the fast path prints exactly as RFC 8785 does (a number outside the plain-decimal range, text
that is not valid UTF-8), it falls back to the general writer; a test compares both on the golden
cases and generated records, and a property test on arbitrary ones.

The bytes of the last record digested are kept (by identity), so the decision log and
``batch --log full`` reuse them instead of serialising the record again.
"""

from __future__ import annotations

import datetime as dt
import functools

from pydantic import BaseModel

from ..digest import canonical_json, encode_sorted, sha256_digest
from .record import AssessmentRecord

_SAFE_INT = 2**53 - 1


class _Unsuitable(Exception):
    """A value the fast path does not print as RFC 8785 does."""


def _ready(value: object) -> object:
    """A field's value as the standard encoder prints it in RFC 8785 form."""
    kind = type(value)
    if kind is int:
        if -_SAFE_INT <= value <= _SAFE_INT:  # type: ignore[operator]
            return value
        raise _Unsuitable
    if kind is float:
        assert isinstance(value, float)
        if value.is_integer():
            if abs(value) <= _SAFE_INT:
                return int(value)
            raise _Unsuitable
        if 1e-4 <= abs(value) < 1e16:
            return value
        raise _Unsuitable
    if kind is dt.date:
        return value.isoformat()  # type: ignore[attr-defined]
    raise _Unsuitable


_PASS = frozenset({str, bool, list})
"""Types printed as they are (a record's lists are lists of text)."""


@functools.cache
def _sorted_names(model: type[BaseModel]) -> tuple[str, ...]:
    """A model's field names in RFC 8785 order (ASCII names: code-point order)."""
    return tuple(sorted(model.model_fields))


def _plain(record: AssessmentRecord) -> dict[str, object]:
    """``record.model_dump(mode="json", exclude_none=True)`` with floats as RFC 8785 prints them,
    every object's members already in canonical order."""
    out: dict[str, object] = {}
    values = record.__dict__
    for name in _sorted_names(type(record)):
        value = values[name]
        if value is None:
            continue
        if isinstance(value, BaseModel):
            leaves = value.__dict__
            out[name] = {
                leaf: item if type(item) in _PASS else _ready(item)
                for leaf in _sorted_names(type(value))
                if (item := leaves[leaf]) is not None
            }
        else:
            out[name] = value if type(value) in _PASS else _ready(value)
    return out


def record_json(record: AssessmentRecord) -> bytes:
    """The RFC 8785 canonical JSON of the record, unknown (null) fields omitted."""
    last = _last
    if last[0] is record:
        return last[1]
    try:
        made = encode_sorted(_plain(record))
    except (_Unsuitable, ValueError, UnicodeEncodeError):
        made = canonical_json(record.model_dump(mode="json", exclude_none=True))
    _remember(record, made)
    return made


_last: tuple[object, bytes] = (None, b"")
"""The last record serialised and its bytes (replaced as a whole: safe across threads)."""


def _remember(record: AssessmentRecord, made: bytes) -> None:
    global _last
    _last = (record, made)


def input_digest(record: AssessmentRecord) -> str:
    """``sha256:`` over the RFC 8785 canonical JSON of the record, unknown (null) fields omitted."""
    return sha256_digest(record_json(record))
