"""Digests: ``sha256:`` + hex over canonical JSON (RFC 8785, JSON Canonicalization Scheme)."""

from __future__ import annotations

import hashlib
import json
from json.encoder import encode_basestring

import rfc8785

_LITERALS = {None: "null", True: "true", False: "false"}
_SAFE_INT = 2**53 - 1


def canonical_json(value: object) -> bytes:
    """RFC 8785 canonical JSON of ``value`` (dicts, lists, str, int, float, bool, None).

    The ``rfc8785`` package is the reference, but it is slow for whole records. Two faster paths
    give byte-identical output (the test suite checks them against ``rfc8785.dumps``):

    * the standard library's encoder, sorted and compact, when every key is ASCII (so code-point
      order is RFC 8785's UTF-16 order) and every float prints the same in Python and ECMAScript
      (whole numbers below 2**53 are written as integers, others only between 1e-4 and 1e16,
      where both use plain decimal notation with the shortest round-trip digits);
    * otherwise a structural writer that delegates numbers to ``rfc8785`` and strings to the
      standard library's escaper ``json.encoder.encode_basestring`` (the one
      ``json.dumps(ensure_ascii=False)`` uses, which escapes exactly what RFC 8785 escapes).
    """
    ready = _json_ready(value)
    if ready is not _UNSUITABLE:
        try:
            return _ENCODER.encode(ready).encode("utf-8")
        except (ValueError, UnicodeEncodeError):
            pass
    return _canon(value).encode("utf-8")


_UNSUITABLE = object()
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def _ready_float(value: float) -> object:
    """A float as the standard encoder prints it the way RFC 8785 does (a whole number below 2**53
    as an integer, another only between 1e-4 and 1e16), or ``_UNSUITABLE``."""
    if value.is_integer():
        return int(value) if abs(value) <= _SAFE_INT else _UNSUITABLE
    return value if 1e-4 <= abs(value) < 1e16 else _UNSUITABLE


def _json_ready(value: object) -> object:
    """``value`` with floats made printable by the standard encoder, or ``_UNSUITABLE``."""
    if isinstance(value, float):
        return _ready_float(value)
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                return _UNSUITABLE
            ready = _json_ready(item)
            if ready is _UNSUITABLE:
                return _UNSUITABLE
            out[key] = ready
        return out
    if isinstance(value, list):
        items = [_json_ready(item) for item in value]
        return _UNSUITABLE if any(i is _UNSUITABLE for i in items) else items
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _SAFE_INT:
        return _UNSUITABLE
    return value


def _canon(value: object) -> str:
    if value is None or value is True or value is False:
        return _LITERALS[value]
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, int) and -_SAFE_INT <= value <= _SAFE_INT:
        return str(value)
    if isinstance(value, (int, float)):
        return bytes(rfc8785.dumps(value)).decode("ascii")
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(f"{_canon(k)}:{_canon(value[k])}" for k in keys) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_canon(v) for v in value) + "]"
    raise TypeError(f"cannot canonicalise a {type(value).__name__}")


class _Unsuitable(Exception):
    """A number the standard encoder does not print as RFC 8785 does."""


def _parse_float(token: str) -> object:
    ready = _ready_float(float(token))
    if ready is _UNSUITABLE:
        raise _Unsuitable
    return ready


def _parse_int(token: str) -> int:
    value = int(token)
    if abs(value) > _SAFE_INT:
        raise _Unsuitable
    return value


def _refuse_constant(token: str) -> object:
    raise _Unsuitable


_FIRST_OUT_OF_ORDER = "\ud800"
"""The first character whose code-point order may differ from its UTF-16 order (surrogates, U+E000
and above): text whose characters are all below it sorts the same either way."""


def canonical_json_text(text: str) -> bytes:
    """RFC 8785 canonical JSON of the value the JSON ``text`` holds: ``canonical_json(json.loads(
    text))``, made without walking the value in Python.

    The text is parsed with hooks that make each number ready for the standard encoder as
    :func:`canonical_json` does (whole numbers below 2**53 as integers, other numbers only between
    1e-4 and 1e16), then written sorted by the standard encoder; a number outside that, or a
    value holding a character at or above U+D800 (where code-point and UTF-16 order may differ,
    so member names might sort otherwise), takes the general path. For a decision,
    ``canonical_json_text(decision.to_json())`` equals
    ``canonical_json(decision.model_dump(mode="json"))``: the JSON pydantic writes reads back as
    the same values (numbers round-trip exactly).
    """
    try:
        value = json.loads(
            text, parse_float=_parse_float, parse_int=_parse_int, parse_constant=_refuse_constant
        )
        made = _ENCODER.encode(value)  # characters as they are: the text may have escaped them
        if made.isascii() or max(made) < _FIRST_OUT_OF_ORDER:
            return made.encode("utf-8")
    except (_Unsuitable, ValueError, UnicodeEncodeError):
        pass
    return canonical_json(json.loads(text))


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()
