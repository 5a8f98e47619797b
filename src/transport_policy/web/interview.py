"""The case in progress, as it travels in the pages' forms, and as it is saved and uploaded.

The record is carried in a hidden form field (JSON), not on the server: nothing about the person
is kept between requests. It is not signed: whoever can post the form can also upload any record,
so a signature would protect nothing the upload does not already allow. Instead every request
validates it as strictly as an upload (the record model, field by field), so a damaged or edited
field is refused with the field paths it breaks, never decided.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..casefile import decode_text, parse_record, parse_text, reject_constant, split_expected
from ..errors import FieldError, RecordError
from ..model.record import FIELD_PATHS, AssessmentRecord

STATE_FIELD = "state"
UPLOAD_SOURCE = "the uploaded file"


class StateError(Exception):
    """The form's case could not be read (damaged, or not from these pages)."""


@dataclass(frozen=True)
class Interview:
    """A valid record (as plain JSON data, unknown facts left out) and the fields asked so far
    in this sitting (answered, or answered "don't know yet")."""

    record: dict[str, Any]
    asked: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, record: AssessmentRecord, asked: Iterable[str] = ()) -> Interview:
        return cls(plain(record), tuple(dict.fromkeys(asked)))

    @classmethod
    def from_form(cls, text: object) -> Interview:
        """The case carried by a form; :class:`StateError` if it is not one of ours, and
        :class:`RecordError` (field paths) if its record is not valid."""
        if not isinstance(text, str) or not text:
            raise StateError("the form carries no case")
        try:
            data = json.loads(text, parse_constant=reject_constant)
        except (ValueError, RecursionError):
            raise StateError("the form's case is not valid JSON") from None
        if not isinstance(data, dict) or set(data) != {"record", "asked"}:
            raise StateError("the form's case is not in the expected shape")
        asked = data["asked"]
        if not isinstance(asked, list) or not all(a in FIELD_PATHS for a in asked):
            raise StateError("the form's list of questions asked is not valid")
        return cls.of(parse_record(data["record"], source="the form"), asked)

    def to_form(self) -> str:
        return json.dumps({"record": self.record, "asked": list(self.asked)}, ensure_ascii=False)

    def value(self, path: str) -> Any:
        section, _, name = path.partition(".")
        if not name:
            return self.record.get(section)
        part = self.record.get(section)
        return part.get(name) if isinstance(part, dict) else None

    def answered(self, values: dict[str, Any]) -> Interview:
        """With ``values`` set (``None`` leaves a fact unknown) and their fields marked asked;
        :class:`RecordError` if the result is not a valid record."""
        data = json.loads(json.dumps(self.record))
        for path, value in values.items():
            _set(data, path, value)
        if isinstance(data.get("override"), dict) and data["override"].get("outcome") is None:
            data.pop("override")  # no override: its reason goes with it
        return Interview.of(parse_record(data, source="the answers"), [*self.asked, *values])


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    section, _, name = path.partition(".")
    if not name:
        data[section] = value
        return
    part = data.setdefault(section, {})
    if value is None:
        part.pop(name, None)
    else:
        part[name] = value
    if not part:
        data.pop(section)


def plain(record: AssessmentRecord) -> dict[str, Any]:
    """The record as JSON data with unknown facts (and then empty sections) left out."""
    data = record.model_dump(mode="json", exclude_none=True)
    return {k: v for k, v in data.items() if v != {}}


def new_case(case_id: str, assessment_date: str) -> Interview:
    """A case with only its reference and assessment date (``YYYY-MM-DD``)."""
    data = {"case_id": case_id, "assessment_date": assessment_date}
    return Interview.of(parse_record(data, source="the new case"))


def read_upload(raw: bytes, filename: str) -> Interview:
    """A saved (or partial) record uploaded as YAML or JSON; a case file's ``expected`` block
    is ignored. Problems are :class:`RecordError` against ``the uploaded file``."""
    if not raw.strip():
        raise RecordError([FieldError("(file)", "is empty")], source=UPLOAD_SOURCE)
    text = decode_text(raw, UPLOAD_SOURCE)
    name = filename.lower()
    fmt = "json" if name.endswith(".json") else "yaml" if name.endswith((".yaml", ".yml")) else None
    data, _expected = split_expected(parse_text(text, source=UPLOAD_SOURCE, fmt=fmt))
    return Interview.of(parse_record(data, source=UPLOAD_SOURCE))


def download_name(interview: Interview, suffix: str) -> str:
    """A safe file name for the case: its id with anything but letters, digits, ``.-_`` as
    ``-``."""
    case = re.sub(r"[^A-Za-z0-9._-]+", "-", str(interview.record.get("case_id", "case")))
    return f"{case.strip('.-')[:60] or 'case'}{suffix}"


def record_json(interview: Interview) -> str:
    return json.dumps(interview.record, indent=2, ensure_ascii=False) + "\n"


def record_yaml(interview: Interview, today: dt.date) -> str:
    header = (
        "# Assessment record saved from the transport assessment pages on "
        f"{today.isoformat()}.\n"
        "# Facts not yet known are left out. Upload this file on the pages' start page to carry\n"
        "# on, or decide it with: transport-policy decide FILE\n"
    )
    body = yaml.safe_dump(interview.record, sort_keys=False, allow_unicode=True, width=88)
    return header + body
