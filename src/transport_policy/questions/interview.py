"""The state of a guided interview: the record being built, the facts put to the assessor, the
policy version it is decided under, and what could still change the outcome.

The record is kept as the nested mapping its saved file holds (every field, ``None`` when
unknown: :func:`~transport_policy.model.record_yaml.as_written`). Every answer is checked by the
record model before it is kept (a value the model refuses is reported against its field, and the
record is left as it was), so the record is always one ``decide`` accepts once ``case_id`` and
``assessment_date`` are known. Facts put to the assessor are never asked again in the same
sitting, whatever the answer (:func:`.engine.next_questions`' ``skip``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..api import decide, select_policy
from ..casefile import parse_record, parse_text, read_source, split_expected
from ..engine.cache import CACHE
from ..errors import FieldError, RecordError
from ..model.contradictions import contradicted, values_of
from ..model.decision import Decision, NextQuestion
from ..model.fields import FIELDS
from ..model.record import FIELD_ORDER, AssessmentRecord
from ..model.record_yaml import as_written, record_yaml, written_here
from ..rules.model import Policy
from .answers import DONT_KNOW
from .engine import next_questions

BASICS = ("case_id", "assessment_date")
"""Asked first, when the partial case does not have them: the record needs them, and the
assessment date selects the policy version."""

_STAND_INS: dict[str, object] = {"case_id": "(not yet given)", "assessment_date": dt.date.today()}
"""Valid values for basics not yet given, used only to check the rest of the record."""


def _checkable(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with a stand-in for each basic not yet given (absent, ``null`` or empty), as
    the record model can check it."""
    given = {p: data[p] for p in BASICS if data.get(p) not in (None, "")}
    return {**data, **_STAND_INS, **given}


def _set(data: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """A copy of the nested record mapping with one field set (``None``: unknown)."""
    out = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in data.items()}
    if "." not in path:
        out[path] = value
        return out
    section, _, leaf = path.partition(".")
    part = out.get(section)
    out[section] = {**(part if isinstance(part, Mapping) else {}), leaf: value}
    return out


def _get(data: Mapping[str, Any], path: str) -> object:
    if "." not in path:
        return data.get(path)
    section, _, leaf = path.partition(".")
    part = data.get(section)
    return part.get(leaf) if isinstance(part, Mapping) else None


@dataclass
class Interview:
    """One interview: the record so far and the facts put to the assessor in this sitting."""

    data: dict[str, Any]
    version: str | None = None
    """The policy version asked for (``--policy``); by default the one in force on the date."""
    rules: str | Path | None = None
    asked: list[str] = field(default_factory=list)
    """Fields put to the assessor in this sitting, in order (answered, or "don't know yet")."""

    @classmethod
    def start(
        cls,
        data: Mapping[str, Any] | None = None,
        *,
        source: str = "<record>",
        version: str | None = None,
        rules: str | Path | None = None,
    ) -> Interview:
        """An interview from a partial case (a record that may lack the basics), checked as it
        was given: a field the record does not have, or a section that is not a mapping, is
        refused by name (the record kept, :func:`as_written`, holds only the record's fields)."""
        parse_record(_checkable(data or {}), source=source)
        interview = cls(as_written(data or {}), version, rules)
        store = CACHE.store(str(rules) if rules is not None else None)
        if version is not None:
            store.get(version)  # an unknown version or rules that do not load: before any question
        if not interview.missing_basics():
            interview.policy()
        return interview

    def missing_basics(self) -> list[str]:
        return [p for p in BASICS if self.data.get(p) in (None, "")]

    def value(self, path: str) -> object:
        return _get(self.data, path)

    def set(self, path: str, value: object) -> list[tuple[str, str]]:
        """Record an answer (``None``: don't know yet). A value the record model refuses raises
        :class:`RecordError` naming the field, and nothing changes.

        The latest answer stands: the other facts it contradicts (an unpaid carer's support to
        walk there, once the person cannot walk there at all) are made unknown again, and may
        be asked again; returned as (field, why they cannot hold together)."""
        changed = _set(self.data, path, value)
        cleared = contradicted(values_of(changed), path)
        for other, _ in cleared:
            changed = _set(changed, other, None)
        parse_record(_checkable(changed))
        if path == "assessment_date":
            Interview(changed, self.version, self.rules).policy()
        self.data = changed
        self.asked = [p for p in self.asked if p not in dict(cleared)]
        if path in FIELDS and "." in path and path not in self.asked:
            self.asked.append(path)
        return cleared

    def record(self) -> AssessmentRecord:
        return parse_record(self.data)

    def policy(self) -> Policy:
        """The policy version the record is decided under."""
        record = parse_record(_checkable(self.data))
        try:
            return select_policy(record, version=self.version, rules=self.rules)
        except RecordError as exc:
            raise RecordError(exc.errors, source=exc.source, case_id=None) from None

    def next(self) -> list[NextQuestion]:
        """The next questions that could change the outcome, none already put to the assessor."""
        return next_questions(self.record(), self.policy(), skip=self.asked)

    def decision(self) -> Decision:
        return decide(self.record(), policy=self.version, rules=self.rules)

    def answers(self) -> list[str]:
        """The fields to show for checking: the basics, every fact with a value and every fact
        put to the assessor, in record field order."""
        known = [p for p in FIELDS if self.value(p) is not None or p in self.asked]
        return sorted(dict.fromkeys([*BASICS, *known]), key=FIELD_ORDER.__getitem__)

    def unknown(self) -> list[str]:
        """Fields put to the assessor and still unknown."""
        return [p for p in self.asked if self.value(p) is None]

    def yaml(self, header: list[str]) -> str:
        """The record as a commented YAML case file (facts left unknown are marked so)."""
        prompts = self.policy().prompts if not self.missing_basics() else {}
        notes = dict.fromkeys(self.unknown(), DONT_KNOW)
        return record_yaml(self.data, header=header, prompts=prompts, notes=notes)


def load_partial(path: str | Path) -> tuple[dict[str, Any], str, bool]:
    """A partial case file's mapping (its ``expected`` block left out), its display name, and
    whether ``new-case`` or an interview wrote it."""
    text, source = read_source(str(path))
    data, _ = split_expected(parse_text(text, source=source))
    if not isinstance(data, Mapping):
        raise RecordError([FieldError("(file)", "must be a mapping of fields")], source=source)
    return dict(data), source, written_here(text)


def default_save_path(case_id: str, folder: Path = Path()) -> Path:
    """Where an interview is saved when no file is named: the case id as a file name in
    ``folder``, numbered so that no existing file is overwritten."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", case_id).strip("-.") or "interview"
    path = folder / f"{stem}.yaml"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.yaml"
    return path


def field_error(exc: RecordError, path: str) -> str:
    """What is wrong with one field, from a record error, as sentences naming the field
    (or, when none is about it, each field the error names)."""
    found = [e for e in exc.errors if e.field == path] or exc.errors
    return "; ".join(e.said_of(e.field) for e in found)


__all__ = ["BASICS", "Interview", "default_save_path", "field_error", "load_partial"]
