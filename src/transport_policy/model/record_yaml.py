"""An assessment record written as commented YAML, every field from the field registry.

``transport-policy new-case`` writes a blank record with it, and the interview saves its record
with it. Every field of the registry is written, nested under its section, in registry order,
with comments saying what it asks (the policy's prompt, or the registry's description) and which
values it takes; a field with no value is written ``null`` (not yet established). A section whose
fields are required together (``override``) is written commented out unless it is filled in.
Strings are double-quoted, so a colon or a ``#`` in the notes never changes the document.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any, get_args

import yaml
from pydantic import BaseModel

from .fields import REGISTRY, FieldSpec, sections
from .record import AssessmentRecord

WIDTH = 96
"""Comment lines are wrapped to this many columns."""

FIRST_LINE = "# An assessment record for transport-policy (docs/record.md: what each field means)."
"""The first line of every record written here: how a file written by ``new-case`` or the
interview is told from one written by hand (which the interview never overwrites)."""


def written_here(text: str) -> bool:
    """Whether a case file's text was written by :func:`record_yaml`."""
    return text.startswith(FIRST_LINE + "\n")


def scalar(value: object) -> str:
    """One value as YAML that the record loader reads back as the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    text = yaml.safe_dump(str(value), default_style='"', allow_unicode=True, width=1_000_000_000)
    return text.removesuffix("\n").removesuffix("\n...")


def values_words(spec: FieldSpec) -> str:
    """Which values a field takes, in words."""
    low, high = spec.minimum, spec.maximum
    bounds = (
        f" from {low:g} to {high:g}"
        if low is not None and high is not None
        else (f", at least {low:g}" if low is not None else "")
    )
    return {
        "bool": "true or false",
        "enum": "one of: " + ", ".join(spec.values),
        "enum_list": "a list of any of: " + ", ".join(spec.values),
        "integer": "a whole number" + bounds,
        "number": "a number" + bounds,
        "text": "text on one line" if spec.one_line else "text",
        "date": "a date, YYYY-MM-DD",
    }[spec.kind]


def _comment(text: str, indent: str) -> list[str]:
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=indent + "# ",
        subsequent_indent=indent + "# ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _filled_together(section: str) -> bool:
    """Whether the section's fields are required together (it is absent or complete)."""
    info = AssessmentRecord.model_fields.get(section)
    if info is None:
        return False
    annotation = info.annotation
    models = [
        a
        for a in (get_args(annotation) or (annotation,))
        if isinstance(a, type) and issubclass(a, BaseModel)
    ]
    return any(f.is_required() for m in models for f in m.model_fields.values())


def _field_lines(
    spec: FieldSpec, value: object, prompts: Mapping[str, str], note: str | None, indent: str
) -> list[str]:
    words = values_words(spec)
    about = _comment(prompts.get(spec.path, spec.description), indent)
    about += _comment(f"{words[0].upper()}{words[1:]}.", indent)
    plain = (spec.kind == "date" and _is_iso_date(value)) or (
        spec.kind == "enum" and value in spec.values
    )
    written = str(value) if plain else scalar(value)
    line = f"{indent}{spec.name}: {written}"
    return [*about, line + (f"  # {note}" if note else "")]


def _is_iso_date(value: object) -> bool:
    """An ISO date written as text (a record dumped as JSON): written plain, as a date."""
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def as_written(data: Mapping[str, Any], fields: tuple[FieldSpec, ...] = REGISTRY) -> dict[str, Any]:
    """The record as :func:`record_yaml` writes it, and so as its file reads back: every section
    with every field (``None`` when unknown), except a section whose fields are required together,
    which is there only when filled in. Top-level fields are kept as given."""
    out = {spec.path: data[spec.path] for spec in fields if spec.path in data}
    for name, specs in sections(fields).items():
        part = data.get(name)
        values = part if isinstance(part, Mapping) else {}
        if values or not _filled_together(name):
            out[name] = {spec.name: values.get(spec.name) for spec in specs}
    return out


def record_yaml(
    data: Mapping[str, Any],
    *,
    header: Sequence[str],
    prompts: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
    fields: tuple[FieldSpec, ...] = REGISTRY,
) -> str:
    """The record ``data`` (a nested mapping; missing fields are written ``null``) as commented
    YAML. ``header``: the comment lines at the top, after :data:`FIRST_LINE`; ``prompts``: the
    policy's question for each field it asks about; ``notes``: a short comment after a field's
    value (field path → text); ``fields``: the field registry (the record's own by default)."""
    prompts = prompts or {}
    notes = notes or {}
    written = as_written(data, fields)
    out = [FIRST_LINE, *(f"# {line}".rstrip() for line in header)]
    for spec in fields:
        if "." not in spec.path:
            value = written.get(spec.path)
            out += ["", *_field_lines(spec, value, prompts, notes.get(spec.path), "")]
    for name, specs in sections(fields).items():
        values = written.get(name)
        out.append("")
        body: list[str] = []
        for spec in specs:
            value = values.get(spec.name) if values else None
            body += _field_lines(spec, value, prompts, notes.get(spec.path), "  ")
        if values is None:
            out += _comment(
                f"{name}: fill in every field below and remove the '# ' before each line to use "
                "it (leave it as it is otherwise).",
                "",
            )
            out += [f"# {name}:", *(("# " + line) if line.strip() else line for line in body)]
        else:
            out += [f"{name}:", *body]
    return "\n".join(out) + "\n"
