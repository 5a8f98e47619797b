"""Reading case files and records safely.

YAML is read with a safe loader that follows YAML 1.2's booleans (only ``true``/``false``; ``yes``,
``no``, ``on`` stay strings and fail validation), rejects duplicate keys, anchors and aliases, and
refuses files over :data:`MAX_BYTES`. JSON rejects duplicate keys and ``NaN``/``Infinity``.
Every problem becomes a :class:`~transport_policy.errors.RecordError` naming the source and the
field path; no message repeats an input value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import FieldError, RecordError
from .model.fields import suggest_key
from .model.record import AssessmentRecord

MAX_BYTES = 1_000_000
"""The largest case file or record accepted, in bytes."""

EXPECTED_KEY = "expected"
"""A case file may carry the decision it expects under this key (golden cases); it is never
part of the record."""


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


MAX_DEPTH = 32
"""The deepest nesting of mappings and lists accepted in a case or rule file."""


class StrictYamlLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader (libyaml's when available) with YAML 1.2 core-schema scalars.

    Only ``true``/``false`` are booleans (``yes``, ``no``, ``on`` stay text); integers are
    decimal (``020`` is 20, and ``0x11``, ``0o21``, ``1_7`` stay text); floats are plain decimal or
    exponent notation; dates and times are text (the model parses ``YYYY-MM-DD`` itself, so a bad
    date is reported against its field). Duplicate keys and non-text keys are refused; anchors,
    aliases and over-deep nesting are refused by :func:`load_yaml` before anything is built.
    """

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be plain text", key_node.start_mark
                )
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {_safe_key(key)}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_decimal_int(self, node: Any) -> int:
        return int(str(self.construct_scalar(node)), 10)


def _core_schema() -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}

    def add(tag: str, pattern: str, first: str) -> None:
        for char in first or [None]:
            resolvers.setdefault(char, []).append((tag, re.compile(pattern)))

    add("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN")
    resolvers.setdefault("", []).append(("tag:yaml.org,2002:null", re.compile(r"^$")))
    add("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
    add("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", "-+0123456789")
    add(
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    )
    return resolvers


StrictYamlLoader.yaml_implicit_resolvers = _core_schema()
StrictYamlLoader.add_constructor("tag:yaml.org,2002:int", StrictYamlLoader.construct_decimal_int)


def load_yaml(text: str) -> list[Any]:
    """Every document in ``text``, read strictly.

    A first pass over the event stream (no objects built) refuses anchors, aliases and nesting
    deeper than :data:`MAX_DEPTH`, so nothing recursive ever sees a hostile document.
    """
    depth = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.constructor.ConstructorError(
                None,
                None,
                "anchors and aliases are not allowed",
                event.start_mark,  # type: ignore[arg-type]
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"nested more than {MAX_DEPTH} levels deep",
                    event.start_mark,  # type: ignore[arg-type]
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return list(yaml.load_all(text, Loader=StrictYamlLoader))


def _safe_key(key: object) -> str:
    text = str(key)
    text = "".join(c if c.isprintable() else "?" for c in text)
    return repr(text[:60] + ("…" if len(text) > 60 else ""))


def _loc_path(loc: tuple[int | str, ...]) -> str:
    parts = []
    for item in loc:
        text = str(item)
        if len(text) > 60 or not text.isprintable():
            text = _safe_key(item)
        parts.append(text)
    return ".".join(parts) or "(record)"


_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a field of the assessment record",
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "string_type": "must be text",
    "model_type": "must be a mapping of fields",
    "model_attributes_type": "must be a mapping of fields",
    "date_type": "must be a date written YYYY-MM-DD",
    "finite_number": "must be a finite number",
    "string_pattern_mismatch": "must be text on one line, without control characters",
}


def _message(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "")
        expected = re.sub(r"\s+or\s+", ", ", expected)
        return f"is not one of {expected}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        word = {
            "greater_than_equal": "at least",
            "less_than_equal": "at most",
            "greater_than": "more than",
            "less_than": "less than",
        }[kind]
        bound = next(iter(v for k, v in ctx.items() if k in ("ge", "le", "gt", "lt")), "")
        return f"must be {word} {bound}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)"
    if kind == "value_error":
        return str(ctx.get("error", "is not valid"))
    return _MESSAGES.get(kind, "is not valid")


def validation_errors(exc: ValidationError) -> list[FieldError]:
    """Field-path errors of a pydantic ValidationError, without the offending values."""
    out: list[FieldError] = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = tuple(err["loc"])
        # Unions of a section with None report the section branch only once.
        message = _message(err)
        if err["type"] == "extra_forbidden":
            message += suggest_key(loc)
        out.append(FieldError(_loc_path(loc), message))
    return list(dict.fromkeys(out))


def parse_record(data: object, *, source: str = "<record>") -> AssessmentRecord:
    """Validate a mapping (e.g. parsed JSON) as an assessment record."""
    if type(data) is dict:  # the usual case, first: the checks below cost more
        mapping = data
    elif isinstance(data, AssessmentRecord):
        return data
    elif isinstance(data, Mapping):
        mapping = dict(data)
    else:
        raise RecordError([FieldError("(record)", "must be a mapping of fields")], source=source)
    try:
        return AssessmentRecord.model_validate(mapping)
    except RecursionError:  # a mapping built in Python, nested beyond any parser's limit
        raise RecordError([FieldError("(record)", "is nested too deeply")], source=source) from None
    except RecordError as exc:  # contradictory facts (model/contradictions.py)
        raise exc.with_source(source) from None
    except ValidationError as exc:
        errors = validation_errors(exc)
        case_id = data.get("case_id")
        usable = isinstance(case_id, str) and all(e.field != "case_id" for e in errors)
        raise RecordError(
            errors,
            source=source,
            case_id=case_id.strip() if usable else None,  # type: ignore[union-attr]
        ) from None


def reject_constant(name: str) -> float:
    """``json.loads``' ``parse_constant``: refuse ``NaN`` and ``Infinity``."""
    raise ValueError(f"{name} is not allowed")


def load_json(text: str) -> Any:
    """JSON as a record is read: no object repeating a key (:class:`RepeatedKey`), no ``NaN``
    or ``Infinity`` (a :class:`ValueError`, as for text that is not JSON)."""
    return json.loads(text, object_pairs_hook=unique_keys, parse_constant=reject_constant)


BOM = "\ufeff"
"""The byte order mark some editors (Windows Notepad) write at the start of a UTF-8 file: not
part of the record (YAML allows it, and JSON readers may ignore it: RFC 8259, 8.1)."""


def utf8_text(raw: bytes) -> str:
    """UTF-8 bytes as text, less a :data:`BOM` at the start (:class:`UnicodeDecodeError` if
    they are not UTF-8)."""
    return raw.decode("utf-8").removeprefix(BOM)


class RepeatedKey(ValueError):
    """A JSON object names a key twice."""


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads``' ``object_pairs_hook``: refuse an object that repeats a key
    (:class:`RepeatedKey`, naming the first key repeated)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise RepeatedKey(f"duplicate key {_safe_key(key)}")
            seen.add(key)
    return out


def parse_text(text: str, *, source: str, fmt: str | None = None, unit: str = "(file)") -> Any:
    """Parse JSON or YAML text safely (``fmt`` is ``json``, ``yaml`` or guessed).

    Problems are reported against ``unit``: ``(file)``, or ``(line)`` for a JSON Lines record.
    """
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise RecordError([FieldError(unit, f"is larger than {MAX_BYTES} bytes")], source=source)
    if fmt is None:
        fmt = "json" if text.lstrip().startswith(("{", "[")) else "yaml"
    try:
        if fmt == "json":
            return load_json(text)
        docs = load_yaml(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise RecordError([FieldError(unit, _parse_message(exc, fmt))], source=source) from None
    except RecursionError:
        raise RecordError(
            [FieldError(unit, f"is not valid {fmt.upper()} (nested too deeply)")], source=source
        ) from None
    if len(docs) != 1:
        raise RecordError(
            [FieldError(unit, f"must hold exactly one YAML document, found {len(docs)}")],
            source=source,
        )
    return docs[0]


def _parse_message(exc: Exception, fmt: str) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = exc.problem or exc.context or "syntax error"
        if isinstance(exc, yaml.constructor.ConstructorError) and what.startswith(
            "could not determine a constructor"
        ):
            what = "a YAML tag is used; case files may not use tags"  # the tag is input: not echoed
        return f"is not valid {fmt.upper()} ({what}{where})"
    return f"is not valid {fmt.upper()} ({exc})"


def split_expected(data: object) -> tuple[object, dict[str, Any] | None]:
    """Separate a case file's ``expected`` block from its record."""
    if isinstance(data, Mapping) and EXPECTED_KEY in data:
        rest = {k: v for k, v in data.items() if k != EXPECTED_KEY}
        expected = data[EXPECTED_KEY]
        return rest, dict(expected) if isinstance(expected, Mapping) else {}
    return data, None


def read_source(path: str) -> tuple[str, str]:
    """The text of a case file (``-`` is standard input) and its display name."""
    import sys

    if path == "-":
        raw = sys.stdin.buffer.read(MAX_BYTES + 1)
        source = "<stdin>"
    else:
        source = path
        try:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise RecordError(
                [FieldError("(file)", f"cannot be read ({exc.strerror})")], source=source
            ) from None
    if len(raw) > MAX_BYTES:
        raise RecordError(
            [FieldError("(file)", f"is larger than {MAX_BYTES} bytes")], source=source
        )
    return decode_text(raw, source), source


def decode_text(raw: bytes, source: str) -> str:
    """A case file's bytes as text (:func:`utf8_text`); a :class:`RecordError` against
    ``source`` when they are not UTF-8."""
    try:
        return utf8_text(raw)
    except UnicodeDecodeError as exc:
        raise RecordError(
            [FieldError("(file)", f"is not valid UTF-8 (byte {exc.start})")], source=source
        ) from None


def load_case(path: str | Path) -> tuple[AssessmentRecord, dict[str, Any] | None]:
    """Read and validate one case file; return the record and its ``expected`` block, if any."""
    text, source = read_source(str(path))
    fmt = (
        "json"
        if source.endswith(".json")
        else ("yaml" if source.endswith((".yaml", ".yml")) else None)
    )
    data, expected = split_expected(parse_text(text, source=source, fmt=fmt))
    return parse_record(data, source=source), expected
