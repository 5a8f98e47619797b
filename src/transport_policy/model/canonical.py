"""A record's canonical JSON and its ``input_digest``, made once per record.

The digest is ``sha256:`` over the RFC 8785 canonical JSON of the validated record with unknown
(null) fields omitted: ``canonical_json(record.model_dump(mode="json", exclude_none=True))``.
:func:`record_json` makes the same bytes faster: it reads the record's fields in sorted order into
plain dicts (a validated record holds only text, booleans, whole numbers, numbers, dates, lists of
text and its sections; dates are written ISO, whole-valued numbers as integers) and has
``pydantic_core.to_json`` write them, which keeps that order and writes text and numbers in the
plain-decimal range as RFC 8785 does (UTF-8, the same escapes, the shortest round-trip digits).
Whenever a value is outside what that covers (a number beyond 2**53 or needing an exponent, text
that is not valid UTF-8) the general writer is used instead. Tests compare both on generated
records, on every kind of value and on numbers across their range.

The bytes of the last record digested are kept (by identity), so the decision log and
``batch --log full`` reuse them instead of serialising the record again.
"""

from __future__ import annotations

import datetime as dt
import functools

import pydantic_core
from pydantic import BaseModel

from ..digest import canonical_json, sha256_digest
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
    if kind is list and all(type(item) is str for item in value):  # type: ignore[attr-defined]
        return value  # a choice of several values (enum_list)
    raise _Unsuitable


_PASS = frozenset({str, bool})
"""Types printed as they are."""


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
        made = pydantic_core.to_json(_plain(record))
    except (_Unsuitable, pydantic_core.PydanticSerializationError):
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
