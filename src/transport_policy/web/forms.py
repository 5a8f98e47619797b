"""Form fields for record fields: how each is shown (radios, a number, text, a date) and how
what was sent is read back, with GOV.UK-style error messages that name the field and never
repeat what was entered."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..documents.model import value_words
from ..errors import FieldError
from ..model.fields import FIELDS, FieldSpec

DONT_KNOW = "dont-know"
"""The radio value (and button value) of "don't know yet": the fact stays unknown."""

GROUPS: dict[str, tuple[str, ...]] = {
    "override.outcome": ("override.outcome", "override.reason"),
    "override.reason": ("override.outcome", "override.reason"),
}
"""Fields that are answered together (an override needs its reason)."""

UNKNOWN_WORDS: dict[str, str] = {"override.outcome": "No: follow the recommendation"}

Kind = Literal["radios", "number", "text", "textarea", "date"]


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class Widget:
    """One record field as a form field."""

    path: str
    kind: Kind
    title: str
    hint: str
    options: tuple[Option, ...] = ()
    unknown_label: str | None = None
    """The "don't know yet" radio or button (``None``: a blank answer means not recorded)."""
    value: str = ""
    parts: tuple[str, str, str] = ("", "", "")
    """A date's day, month and year as entered."""
    error: str | None = None
    clauses: tuple[Any, ...] = field(default=())

    @property
    def id(self) -> str:
        return html_id(self.path)

    @property
    def anchor(self) -> str:
        """Where the error summary links to: the field, or a date's day."""
        return self.id + "-day" if self.kind == "date" else self.id


def html_id(path: str) -> str:
    return "f-" + path.replace(".", "-").replace("_", "-")


def label_of(path: str) -> str:
    """A field's short name for messages: "Age", "Can walk or wheel there safely"."""
    words = FIELDS[path].words if path in FIELDS else path
    if path == "case_id":
        words = "case reference"
    return words[:1].upper() + words[1:]


def group_of(path: str) -> tuple[str, ...]:
    return GROUPS.get(path, (path,))


def kind_of(spec: FieldSpec) -> Kind:
    if spec.kind in ("bool", "enum"):
        return "radios"
    if spec.kind in ("integer", "number"):
        return "number"
    if spec.kind == "date":
        return "date"
    return "text" if spec.one_line else "textarea"


def form_value(value: object) -> str:
    """A record value as a form sends it back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value) if not isinstance(value, float) else f"{value:g}"


def widget(
    path: str,
    title: str,
    value: object,
    *,
    asked: bool,
    sent: Mapping[str, Any] | None = None,
    error: str | None = None,
    clauses: tuple[Any, ...] = (),
) -> Widget:
    """The form field for ``path``: showing ``value`` (or what was ``sent``, after an error).
    ``asked`` marks a fact already answered "don't know yet" (its radio is then checked)."""
    spec = FIELDS[path]
    kind = kind_of(spec)
    shown = form_value(value) if sent is None else str(sent.get(path, ""))
    unknown = None
    if spec.fact and kind in ("radios", "number"):
        unknown = UNKNOWN_WORDS.get(path, "Don't know yet")
    options: tuple[Option, ...] = ()
    if kind == "radios":
        if sent is None and value is None and asked:
            shown = DONT_KNOW
        allowed = spec.allowed() or ()
        options = tuple(
            Option(form_value(v), capital(value_words(_fact(v))), form_value(v) == shown)
            for v in allowed
        )
        if unknown is not None:
            options += (Option(DONT_KNOW, unknown, shown == DONT_KNOW),)
    parts = _date_parts(path, value, sent) if kind == "date" else ("", "", "")
    return Widget(
        path, kind, title, spec.description, options, unknown, shown, parts, error, clauses
    )


def _fact(value: object) -> str | bool:
    return value if isinstance(value, str | bool) else str(value)


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _date_parts(path: str, value: object, sent: Mapping[str, Any] | None) -> tuple[str, str, str]:
    if sent is not None:
        day, month, year = (str(sent.get(f"{path}-{p}", "")) for p in ("day", "month", "year"))
        return day, month, year
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        year, month, day = value.split("-")
        return str(int(day)), str(int(month)), year
    return "", "", ""


def read_answers(
    paths: tuple[str, ...], form: Mapping[str, Any]
) -> tuple[dict[str, Any], list[FieldError]]:
    """The values sent for ``paths`` (``None``: unknown or blank) and the errors, each naming
    its field and never repeating what was sent."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for path in paths:
        try:
            values[path] = read_one(FIELDS[path], form)
        except ValueError as exc:
            errors.append(FieldError(path, str(exc)))
    return values, errors


def read_one(spec: FieldSpec, form: Mapping[str, Any]) -> Any:
    """One field's value from the form; ``ValueError`` with the message to show."""
    kind, path, name = kind_of(spec), spec.path, label_of(spec.path).lower()
    unknown = form.get("dont_know") == path or (kind == "radios" and form.get(path) == DONT_KNOW)
    if unknown and spec.fact:
        return None
    if kind == "date":
        return read_date(path, form)
    sent = form.get(path)
    text = sent.strip() if isinstance(sent, str) else ""
    if kind == "radios":
        choices = {form_value(v): v for v in spec.allowed() or ()}
        if text not in choices:
            raise ValueError(f"Select an answer for {name}")
        return choices[text]
    if kind == "number":
        return read_number(spec, text, name)
    if path == "case_id" and not text:
        raise ValueError("Enter the case reference")
    return text or None


def read_number(spec: FieldSpec, text: str, name: str) -> int | float:
    if not text:
        raise ValueError(f"Enter the {name}, or choose Don't know yet")
    if spec.kind == "integer":
        if not re.fullmatch(r"[0-9]{1,4}", text):
            raise ValueError(f"{capital(name)} must be a whole number, like 43")
        return int(text)
    if not re.fullmatch(r"[0-9]{1,6}(\.[0-9]{1,3})?", text):
        raise ValueError(f"{capital(name)} must be a number, like 2.5")
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{capital(name)} must be a number, like 2.5")
    return number


def read_date(path: str, form: Mapping[str, Any]) -> str:
    parts = [str(form.get(f"{path}-{p}", "")).strip() for p in ("day", "month", "year")]
    name = label_of(path).lower()
    if not any(parts):
        raise ValueError(f"Enter the {name}")
    if not all(re.fullmatch(r"[0-9]{1,2}", p) for p in parts[:2]) or not re.fullmatch(
        r"[0-9]{4}", parts[2]
    ):
        raise ValueError(f"The {name} must be a real date, like 15 3 2021")
    try:
        return dt.date(int(parts[2]), int(parts[1]), int(parts[0])).isoformat()
    except ValueError:
        raise ValueError(f"The {name} must be a real date, like 15 3 2021") from None


def record_messages(errors: list[FieldError]) -> dict[str, str]:
    """A record's validation errors as messages by field path ("Age must be at most 130")."""
    out: dict[str, str] = {}
    for err in errors:
        path = err.field if err.field in FIELDS else err.field.rpartition(".")[0]
        words = label_of(path) if path in FIELDS else err.field
        if err.message == "is required":
            message = f"Enter the {words.lower()}"
        else:
            message = err.said_of(words)
        out.setdefault(path if path in FIELDS else err.field, message)
    return out
