"""Errors raised by transport-policy.

Every error the library raises is a :class:`TransportPolicyError`. The subclasses carry where the
problem is (``source`` file, field ``path`` or ``rule_id``) so that a caller can report it without
parsing the message. No error message repeats a value taken from the input.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


class TransportPolicyError(Exception):
    """Base class of every error raised by transport-policy."""


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of an input record."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}

    def said_of(self, subject: str) -> str:
        """The message as a sentence about ``subject`` (the field's path, or its name in
        words): "person.age must be at most 130", but "assessment_date: no policy version was
        in force on this date: ..." for a message that does not follow its subject."""
        joint = " " if self.message.startswith(("is ", "must ")) else ": "
        return f"{subject}{joint}{self.message}"


class RecordError(TransportPolicyError):
    """An assessment record (or case file) is not valid; nothing was decided.

    ``errors`` lists every field-path problem found; ``source`` names the file (or ``<stdin>``,
    ``<record>``) and ``case_id`` is the record's id when it could be read.
    """

    def __init__(
        self,
        errors: list[FieldError],
        *,
        source: str | None = None,
        case_id: str | None = None,
    ) -> None:
        self.errors = errors
        self.source = source
        self.case_id = case_id
        where = f"{source}: " if source else ""
        lines = "; ".join(f"{e.field}: {e.message}" for e in errors)
        super().__init__(f"{where}{lines}")

    @property
    def path(self) -> str:
        """The field path of the first problem."""
        return self.errors[0].field if self.errors else ""

    def as_dict(self) -> dict[str, object]:
        """The error record that takes a rejected case's place in JSON output: ``source``,
        ``case_id`` (``None`` unless valid) and the field-path ``errors``; no input values."""
        return {
            "source": self.source,
            "case_id": self.case_id,
            "errors": [e.as_dict() for e in self.errors],
        }

    def with_source(self, source: str) -> RecordError:
        return RecordError(self.errors, source=source, case_id=self.case_id)


class RuleError(TransportPolicyError):
    """A rule file is not valid: the policy cannot be loaded."""

    def __init__(
        self,
        message: str,
        *,
        path: str,
        rule_id: str | None = None,
        field: str | None = None,
    ) -> None:
        self.path = path
        self.rule_id = rule_id
        self.field = field
        self.message = message
        self.folder: str | None = None
        super().__init__(self._text())

    def _text(self) -> str:
        # A base version's file is named relative to the version loaded (``../2021-01/...``).
        path = os.path.normpath(os.path.join(self.folder, self.path)) if self.folder else self.path
        where = (
            path
            + (f": rule {self.rule_id!r}" if self.rule_id else "")
            + (f": {self.field}" if self.field else "")
        )
        return f"{where}: {self.message}"

    def in_folder(self, folder: str) -> RuleError:
        """The same error, its file named with the policy-version folder it is in."""
        self.folder = folder
        self.args = (self._text(),)
        return self


class PolicyVersionError(TransportPolicyError):
    """No policy version fits the request (unknown version, or none in force at a date)."""


class EngineError(TransportPolicyError):
    """The rule engine failed while deciding a record; the decision was not made."""

    def __init__(self, message: str, *, rule_id: str | None = None) -> None:
        self.rule_id = rule_id
        super().__init__(message)


class DocumentError(TransportPolicyError):
    """A document cannot be made: the source is not a case, a decision or a decision-log entry,
    or the format needs a library that is not installed. ``source`` names the file."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


EXTRA_FOR_DOCUMENTS = "documents"
"""The ``pip`` extra that installs the HTML, PDF and DOCX renderers."""


def extra_missing(fmt: str) -> DocumentError:
    """The error for a format whose rendering library is not installed."""
    return DocumentError(
        f"{fmt} output needs the {EXTRA_FOR_DOCUMENTS!r} extra: "
        f"pip install 'transport-policy[{EXTRA_FOR_DOCUMENTS}]' (text and markdown need nothing "
        "more)"
    )
